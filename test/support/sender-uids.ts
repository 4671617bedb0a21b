// SenderUids over a fake bus daemon: each connection's uid from a table, and
// the connections the bus was asked about, in order. A connection the table
// lacks is one the bus does not tell about (as for one that has left).

import { SwitcherError } from '../../service/errors.js';
import { SenderUids } from '../../service/dbus/sender-uids.js';

export function tableSenderUids(uids: Record<string, number>): { senders: SenderUids; asked: string[] } {
  const asked: string[] = [];
  const senders = new SenderUids(async (sender) => {
    asked.push(sender);
    const uid = uids[sender];
    if (uid === undefined) throw new SwitcherError('AccessDenied', 'The bus does not tell who is calling');
    return uid;
  });
  return { senders, asked };
}
