// Who may act on what, with several seats: a caller acts freely on guests
// and devices of its own seat (or of none); for another seat's, polkit must
// say yes (action me.phyllo.switcher.manage-other-seat). Any failure to find
// out — logind or polkit missing, slow or erring — refuses.

import { readFile } from 'node:fs/promises';
import { callWithDeadline, Message, Variant, type MessageBus } from '../dbus/bus.js';
import { SwitcherError } from '../errors.js';
import { log } from '../log.js';
import type { LogindClient } from './logind.js';

export const OTHER_SEAT_ACTION = 'me.phyllo.switcher.manage-other-seat';

/** The process start time polkit's unix-process subject needs (field 22 of /proc/PID/stat). */
async function startTime(pid: number): Promise<bigint> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return BigInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '0');
}

export class Authority {
  constructor(
    /** The bus callers reach us on: it tells their PID. */
    private readonly serviceBus: MessageBus,
    /** The bus of logind and polkit. */
    private readonly systemBus: MessageBus | undefined,
    private readonly logind: LogindClient | undefined,
    /** Seats only matter with more than one: a single-seat host needs no checks. */
    private readonly multiSeat: () => boolean,
    private readonly timeoutMs = 5_000,
  ) {}

  /** Resolves when `sender` may act on something of `targetSeat` ('' = of no seat); else AccessDenied. */
  async require(sender: string, targetSeat: string, what: string): Promise<void> {
    if (!targetSeat || !this.multiSeat()) return;
    let pid: number;
    try {
      pid = await this.pidOf(sender);
      if (this.logind && (await this.logind.seatOfPid(pid)) === targetSeat) return;
    } catch (error) {
      log.warning(`authorization: cannot tell the seat of ${sender}: ${(error as Error).message}`);
      throw this.denied(what, targetSeat);
    }
    if (await this.polkitAllows(pid)) return;
    throw this.denied(what, targetSeat);
  }

  private denied(what: string, seat: string): SwitcherError {
    return new SwitcherError(
      'AccessDenied',
      `${what} belongs to ${seat}, another seat than yours, and you are not allowed to act on it`,
    );
  }

  private async pidOf(sender: string): Promise<number> {
    const message = new Message({
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member: 'GetConnectionUnixProcessID',
      signature: 's',
      body: [sender],
    });
    const [pid] = (await callWithDeadline(this.serviceBus, message, this.timeoutMs)).body as [number];
    return pid;
  }

  private async polkitAllows(pid: number): Promise<boolean> {
    if (!this.systemBus) return false;
    try {
      const uid = Number((await readFile(`/proc/${pid}/status`, 'utf8')).match(/^Uid:\s+(\d+)/m)?.[1] ?? -1);
      const subject = [
        'unix-process',
        {
          pid: new Variant('u', pid),
          'start-time': new Variant('t', await startTime(pid)),
          uid: new Variant('i', uid),
        },
      ];
      const message = new Message({
        destination: 'org.freedesktop.PolicyKit1',
        path: '/org/freedesktop/PolicyKit1/Authority',
        interface: 'org.freedesktop.PolicyKit1.Authority',
        member: 'CheckAuthorization',
        signature: '(sa{sv})sa{ss}us',
        body: [subject, OTHER_SEAT_ACTION, {}, 0, ''],
      });
      const [[authorized]] = (await callWithDeadline(this.systemBus, message, this.timeoutMs)).body as [[boolean]];
      return authorized === true;
    } catch (error) {
      log.warning(`authorization: polkit did not answer (${(error as Error).message}); refusing`);
      return false;
    }
  }
}
