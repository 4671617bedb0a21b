// The SPICE link as a share reads and rewrites it, and the password's
// encryption, on bytes shaped as spice-gtk and QEMU's SPICE server send them
// (seen on the wire here: a main channel's link of 26 bytes with common
// capabilities 0b1101, a reply of 186 with 0b1011).

import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AUTH_SPICE,
  authenticationBytes,
  HEADER_BYTES,
  LINK_PERMISSION_DENIED,
  linkResult,
  LinkRefused,
  MAIN_CHANNEL,
  MORE,
  PUBLIC_KEY_BYTES,
  readAuthentication,
  readLinkMessage,
  readLinkReply,
  readLinkResult,
  replyForClient,
  TICKET_BYTES,
} from '../../service/sharing/spice-link.js';
import { encryptTicket, TicketKey } from '../../service/sharing/spice-ticket.js';

function header(size: number, magic = 'REDQ', major = 2): Buffer {
  const bytes = Buffer.alloc(HEADER_BYTES);
  bytes.write(magic, 0, 'latin1');
  bytes.writeUInt32LE(major, 4);
  bytes.writeUInt32LE(2, 8);
  bytes.writeUInt32LE(size, 12);
  return bytes;
}

/** A client's link message: main channel, one common and one channel capability word. */
function linkMessage(commonCaps = 0b1101, channelType = MAIN_CHANNEL): Buffer {
  const body = Buffer.alloc(26);
  body.writeUInt8(channelType, 4);
  body.writeUInt32LE(1, 6);
  body.writeUInt32LE(1, 10);
  body.writeUInt32LE(18, 14);
  body.writeUInt32LE(commonCaps, 18);
  body.writeUInt32LE(0b1, 22);
  return Buffer.concat([header(body.length), body]);
}

const serverKey = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' });

/** A server's link reply with its key and capabilities. */
function linkReply(commonCaps = 0b1011 | 0b100): Buffer {
  const body = Buffer.alloc(4 + PUBLIC_KEY_BYTES + 12 + 8);
  serverKey.copy(body, 4);
  body.writeUInt32LE(1, 166);
  body.writeUInt32LE(1, 170);
  body.writeUInt32LE(178, 174);
  body.writeUInt32LE(commonCaps, 178);
  body.writeUInt32LE(0x7ff, 182);
  return Buffer.concat([header(body.length), body]);
}

describe('the link message', () => {
  it('is read whole, whatever comes after it, and waited for until then', () => {
    const bytes = linkMessage();
    for (let cut = 0; cut < bytes.length; cut++) expect(readLinkMessage(bytes.subarray(0, cut))).toBe(MORE);
    const read = readLinkMessage(Buffer.concat([bytes, Buffer.from('next')]));
    expect(read).not.toBe(MORE);
    if (read === MORE) return;
    expect(read.value.bytes).toEqual(bytes);
    expect(read.value.channelType).toBe(MAIN_CHANNEL);
    expect(read.value.authSelection).toBe(true);
    expect(read.rest.toString()).toBe('next');
  });

  it('tells a client that cannot select its authentication', () => {
    const read = readLinkMessage(linkMessage(0b0010));
    expect(read !== MORE && read.value.authSelection).toBe(false);
  });

  it.each([
    ['not SPICE', Buffer.concat([header(26, 'GET '), Buffer.alloc(26)])],
    ['another protocol version', Buffer.concat([header(26, 'REDQ', 1), Buffer.alloc(26)])],
    ['too short a body', Buffer.concat([header(4), Buffer.alloc(4)])],
    ['too long a body', header(1 << 20)],
    [
      'capabilities past its end',
      Buffer.concat([header(18), Buffer.from([0, 0, 0, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0, 18, 0, 0, 0])]),
    ],
    [
      'capabilities inside its fixed part',
      (() => {
        const bytes = linkMessage();
        bytes.writeUInt32LE(2, HEADER_BYTES + 14);
        return bytes;
      })(),
    ],
  ])('refuses %s', (_what, bytes) => {
    expect(() => readLinkMessage(bytes)).toThrow(LinkRefused);
  });
});

describe('the link reply', () => {
  it("is read with the server's key, then given to the client with the share's, SASL not offered", () => {
    const read = readLinkReply(linkReply());
    if (read === MORE) throw new Error('incomplete');
    expect(read.value.error).toBe(0);
    expect(read.value.publicKey).toEqual(serverKey);
    expect(read.value.authSelection).toBe(true);
    const ours = new TicketKey();
    const rewritten = replyForClient(read.value, ours.publicDer);
    expect(rewritten.length).toBe(read.value.bytes.length);
    const again = readLinkReply(rewritten);
    if (again === MORE) throw new Error('incomplete');
    expect(again.value.publicKey).toEqual(ours.publicDer);
    expect(rewritten.readUInt32LE(HEADER_BYTES + 178)).toBe(0b1011);
    // Everything else as the server said it, its channel capabilities included.
    expect(rewritten.subarray(HEADER_BYTES + 166)).toEqual(
      Buffer.concat([
        read.value.bytes.subarray(HEADER_BYTES + 166, HEADER_BYTES + 178),
        Buffer.from([0b1011, 0, 0, 0]),
        read.value.bytes.subarray(HEADER_BYTES + 182),
      ]),
    );
  });

  it('has its result read alone, whatever follows it', () => {
    expect(readLinkResult(Buffer.from([0, 0, 0]))).toBe(MORE);
    const read = readLinkResult(Buffer.concat([linkResult(0), Buffer.from('init')]));
    if (read === MORE) throw new Error('incomplete');
    expect(read.value).toEqual(linkResult(0));
    expect(read.rest.toString()).toBe('init');
  });

  it("passes on a server's refusal as it is", () => {
    const refusal = Buffer.concat([header(4), linkResult(LINK_PERMISSION_DENIED)]);
    const read = readLinkReply(refusal);
    expect(read !== MORE && read.value.error).toBe(LINK_PERMISSION_DENIED);
  });

  it('refuses a reply too short for its key', () => {
    expect(() => readLinkReply(Buffer.concat([header(40), Buffer.alloc(40)]))).toThrow(LinkRefused);
  });
});

describe('the password', () => {
  it('is read after the mechanism, and decrypts with the key the client was given', () => {
    const key = new TicketKey();
    const ticket = encryptTicket(key.publicDer, Buffer.from('abcd-efgh'));
    expect(ticket.length).toBe(TICKET_BYTES);
    const bytes = authenticationBytes(true, ticket);
    expect(readAuthentication(bytes.subarray(0, 131), true)).toBe(MORE);
    const read = readAuthentication(Buffer.concat([bytes, Buffer.from([1, 2])]), true);
    if (read === MORE) throw new Error('incomplete');
    expect(read.value.mechanism).toBe(AUTH_SPICE);
    expect(key.decrypt(read.value.ticket)?.toString()).toBe('abcd-efgh');
    expect(read.rest).toEqual(Buffer.from([1, 2]));
  });

  it('does not decrypt with another key, nor from garbage', () => {
    const ticket = encryptTicket(new TicketKey().publicDer, Buffer.from('secret'));
    const key = new TicketKey();
    expect(key.decrypt(ticket)).toBeUndefined();
    expect(key.decrypt(Buffer.alloc(TICKET_BYTES, 7))).toBeUndefined();
  });
});
