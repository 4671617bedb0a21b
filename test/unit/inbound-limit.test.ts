// The bound on what a caller's message may cost (service/dbus/inbound-limit.ts):
// a byte stream of real D-Bus messages, written in odd-sized pieces, read the
// way dbus-next reads it (16 bytes, then the rest), with messages too large
// for the limit among them.

import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { headerFields, limitInbound, type RefusedMessage } from '../../service/dbus/inbound-limit.js';
import { Variant } from '@jellybrick/dbus-next';
import { encodeMessage, marshal } from '../../service/dbus/wire-writer.js';

const LIMIT = 4096;
const REFUSED = {
  name: 'org.freedesktop.DBus.Error.InvalidArgs',
  text: "FindGuest takes arguments of type 's', not 'as'",
};

function message(type: number, serial: number, sender: string, body: Buffer, flags = 0, destination = ''): Buffer {
  const bytes = encodeMessage(type, serial, body, (w) => {
    w.field(1, 'o', () => w.string('/me/phyllo/Switcher1'));
    w.field(3, 's', () => w.string('FindGuest'));
    if (destination) w.field(6, 's', () => w.string(destination));
    if (sender) w.field(7, 's', () => w.string(sender));
    w.field(8, 'g', () => w.signature('as'));
  });
  bytes[2] = flags;
  return bytes;
}

const strings = (count: number): Buffer => marshal('as', [Array.from({ length: count }, (_, i) => `s${i}`)]);

/** What a reader like dbus-next's gets from the stream, message by message. */
function reader(stream: PassThrough): Buffer[] {
  const got: Buffer[] = [];
  let header: Buffer | null = null;
  stream.on('readable', () => {
    for (;;) {
      if (!header) {
        header = stream.read(16) as Buffer | null;
        if (!header) return;
      }
      const rest = Math.ceil(header.readUInt32LE(12) / 8) * 8 + header.readUInt32LE(4);
      const tail = stream.read(rest) as Buffer | null;
      if (!tail) return;
      got.push(Buffer.concat([header, tail]));
      header = null;
    }
  });
  return got;
}

/** Writes `bytes` in pieces of `piece` bytes, each after the reader has had its turn. */
async function feed(stream: PassThrough, bytes: Buffer, piece: number): Promise<void> {
  for (let at = 0; at < bytes.length; at += piece) {
    stream.write(bytes.subarray(at, at + piece));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

it('hands on calls within the limit and replies of any size; skips larger calls and signals unread, telling who sent them', async () => {
  const small = message(1, 10, ':1.5', strings(3));
  const bigCall = message(1, 11, ':1.7', strings(2000));
  const bigSignal = message(4, 12, ':1.8', strings(2000));
  const bigNoReply = message(1, 13, ':1.9', strings(2000), 0x1);
  const bigReply = message(2, 14, ':1.2', strings(2000));
  const last = message(1, 15, ':1.5', strings(1));
  // Within the size: a call the check refuses; a client's signal to us alone; the bus daemon's; a broadcast one.
  const wrongType = message(1, 16, ':1.6', strings(2));
  const toUs = message(4, 17, ':1.6', strings(2), 0, ':1.1');
  const fromBus = message(4, 18, 'org.freedesktop.DBus', strings(1), 0, ':1.1');
  const broadcast = message(4, 19, ':1.6', strings(1));
  expect(bigCall.length).toBeGreaterThan(LIMIT);
  for (const piece of [7, 1000, 1 << 20]) {
    const stream = new PassThrough();
    const refused: RefusedMessage[] = [];
    // FindGuest takes 's': a call of it with an 'as' is refused unread; 'Ok' passes.
    const check = ({ member }: { member: string }) => (member === 'FindGuest' ? REFUSED : undefined);
    limitInbound(
      stream,
      { maxBytes: LIMIT, check: (f) => (f.signature === 'as' && !f.sender.endsWith('.5') ? check(f) : undefined) },
      (r) => refused.push(r),
    );
    const got = reader(stream);
    await feed(
      stream,
      Buffer.concat([small, bigCall, bigSignal, bigNoReply, bigReply, wrongType, toUs, fromBus, broadcast, last]),
      piece,
    );
    expect(got, `in pieces of ${piece}`).toEqual([small, bigReply, fromBus, broadcast, last]);
    const tooLarge = (bytes: number) => ({
      name: 'org.freedesktop.DBus.Error.LimitsExceeded',
      text: `The message is too large: ${bytes} bytes, where at most ${LIMIT} are read`,
    });
    expect(refused).toEqual([
      {
        type: 1,
        serial: 11,
        sender: ':1.7',
        bytes: bigCall.length,
        wantsReply: true,
        reason: 'too large',
        error: tooLarge(bigCall.length),
      },
      {
        type: 4,
        serial: 12,
        sender: ':1.8',
        bytes: bigSignal.length,
        wantsReply: false,
        reason: 'too large',
        error: tooLarge(bigSignal.length),
      },
      {
        type: 1,
        serial: 13,
        sender: ':1.9',
        bytes: bigNoReply.length,
        wantsReply: false,
        reason: 'too large',
        error: tooLarge(bigNoReply.length),
      },
      {
        type: 1,
        serial: 16,
        sender: ':1.6',
        bytes: wrongType.length,
        wantsReply: true,
        reason: 'refused call',
        error: REFUSED,
      },
      {
        type: 4,
        serial: 17,
        sender: ':1.6',
        bytes: toUs.length,
        wantsReply: false,
        reason: 'unicast signal',
        error: { name: '', text: '' },
      },
    ]);
  }
});

it('reads the header fields wherever they are, and says none when there is none', () => {
  const fields = (bytes: Buffer): Buffer => bytes.subarray(16, 16 + bytes.readUInt32LE(12));
  expect(headerFields(fields(message(1, 1, ':1.42', strings(1), 0, ':1.1')), true)).toEqual({
    interface: '',
    member: 'FindGuest',
    destination: ':1.1',
    sender: ':1.42',
    signature: 'as',
  });
  expect(headerFields(fields(message(1, 1, '', strings(1))), true).sender).toBe('');
  const first = encodeMessage(1, 1, Buffer.alloc(0), (w) => w.field(7, 's', () => w.string(':1.3')));
  expect(headerFields(fields(first), true).sender).toBe(':1.3');
  // Garbage: no answer rather than a throw.
  expect(headerFields(Buffer.from([7, 1, 0x7a, 0, 0, 0, 0, 0]), true).sender).toBe('');
});

it("skips unread a call its sender's budget cannot pay for, and reads its next once it can; others are read meanwhile", async () => {
  const stream = new PassThrough();
  const refused: RefusedMessage[] = [];
  let bobMayPay = true;
  const charged: [string, number][] = [];
  const budget = (sender: string, bytes: number): boolean => {
    charged.push([sender, bytes]);
    return sender !== ':1.6' || bobMayPay;
  };
  limitInbound(stream, { maxBytes: LIMIT, budget }, (r) => refused.push(r));
  const got = reader(stream);
  const first = message(1, 1, ':1.6', strings(3));
  const second = message(1, 2, ':1.6', strings(3));
  const ada = message(1, 3, ':1.5', strings(3));
  const third = message(1, 4, ':1.6', strings(3));
  const reply = message(2, 5, ':1.6', strings(3));
  await feed(stream, first, 1 << 20);
  bobMayPay = false;
  await feed(stream, Buffer.concat([second, ada, reply]), 1 << 20);
  bobMayPay = true;
  await feed(stream, third, 1 << 20);
  expect(got).toEqual([first, ada, reply, third]);
  expect(refused).toEqual([
    {
      type: 1,
      serial: 2,
      sender: ':1.6',
      bytes: second.length,
      wantsReply: true,
      reason: 'over budget',
      error: {
        name: 'org.freedesktop.DBus.Error.LimitsExceeded',
        text: 'You have sent the service too much in too short a time; wait a moment, then try again',
      },
    },
  ]);
  // Each call is charged its size, or its values (an array of three strings: four) at 64 bytes each where
  // that is more; replies to our own calls are not charged.
  const cost = (call: Buffer): number => Math.max(call.length, 4 * 64);
  expect(cost(first)).toBe(4 * 64);
  expect(charged).toEqual([
    [':1.6', cost(first)],
    [':1.6', cost(second)],
    [':1.5', cost(ada)],
    [':1.6', cost(third)],
  ]);
});

it('skips unread a call whose body holds more than a call takes, read in any pieces, and reads the next', async () => {
  const deep = encodeMessage(
    1,
    7,
    marshal('v', [new Variant('av', [new Variant('y', 1), new Variant('y', 2)])]),
    (w) => {
      w.field(1, 'o', () => w.string('/me/phyllo/Switcher1'));
      w.field(3, 's', () => w.string('Set'));
      w.field(7, 's', () => w.string(':1.6'));
      w.field(8, 'g', () => w.signature('v'));
    },
  );
  const next = message(1, 8, ':1.6', strings(2));
  for (const piece of [3, 1 << 20]) {
    const stream = new PassThrough();
    const refused: RefusedMessage[] = [];
    limitInbound(stream, { maxBytes: LIMIT }, (r) => refused.push(r));
    const got = reader(stream);
    await feed(stream, Buffer.concat([deep, next]), piece);
    expect(got, `in pieces of ${piece}`).toEqual([next]);
    expect(refused.map((r) => [r.serial, r.reason, r.error.name, r.error.text])).toEqual([
      [
        7,
        'refused call',
        'org.freedesktop.DBus.Error.InvalidArgs',
        "A variant in a call to this service holds one value or a struct of them, not type 'av'",
      ],
    ]);
  }
});
