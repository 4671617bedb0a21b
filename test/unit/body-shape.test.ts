// The shape of a call's body, read from its bytes before it is decoded
// (service/dbus/body-shape.ts): bodies marshalled as a client would, counted
// value by value, and refused where they hold more than a call takes.

import { Variant } from '@jellybrick/dbus-next';
import { expect, it } from 'vitest';
import { judgeBody } from '../../service/dbus/body-shape.js';
import { marshal } from '../../service/dbus/wire-writer.js';

const LIMITS = { maxValues: 1024 };
const judge = (signature: string, body: unknown[]) => judgeBody(marshal(signature, body), signature, true, LIMITS);

it('counts every value of the bodies the contract takes, each container and variant as one', () => {
  expect(judge('', [])).toEqual({ ok: true, values: 0 });
  expect(judge('s', ['Windows 11'])).toEqual({ ok: true, values: 1 });
  expect(judge('ssb', ['a', 'bc', true])).toEqual({ ok: true, values: 3 });
  // An array, and its three strings.
  expect(judge('as', [['DP-1', 'HDMI-A-1', '']])).toEqual({ ok: true, values: 4 });
  // CreateGuest's options: the array; per entry, the entry, its key, its variant and what it holds.
  const options = {
    'memory-mib': new Variant('t', 4096n),
    vcpus: new Variant('u', 4),
    'drivers-iso': new Variant('s', '/home/ada/virtio.iso'),
  };
  expect(judge('sssa{sv}', ['ada-vm', 'win11', '/home/ada/win.iso', options])).toEqual({ ok: true, values: 16 });
  // SetDisplay's resolution: a struct of two in a variant.
  expect(judge('a{sv}', [{ resolution: new Variant('(uu)', [5120, 2880]) }])).toEqual({ ok: true, values: 7 });
  // Values of every alignment after one another.
  expect(judge('ytqxdo', [1, 2n, 3, 4n, 0.5, '/me'])).toEqual({ ok: true, values: 6 });
  expect(judge('ssv', ['me.phyllo.Switcher1.Guest', 'Autostart', new Variant('b', true)])).toEqual({
    ok: true,
    values: 4,
  });
});

it('refuses a variant that holds more than one value or a struct of them, however deep', () => {
  const refusal = (type: string) => ({
    ok: false,
    text: `A variant in a call to this service holds one value or a struct of them, not type '${type}'`,
  });
  const variants = Array.from({ length: 3 }, () => new Variant('y', 1));
  expect(judge('ssv', ['i', 'p', new Variant('av', variants)])).toEqual(refusal('av'));
  expect(judge('a{sv}', [{ heads: new Variant('v', new Variant('u', 1)) }])).toEqual(refusal('v'));
  expect(judge('a{sv}', [{ x: new Variant('((uu))', [[1, 2]]) }])).toEqual(refusal('((uu))'));
  expect(judge('a{sv}', [{ x: new Variant('a{sv}', {}) }])).toEqual(refusal('a{sv}'));
});

it('refuses a body of more values than any call takes, at the first one past the limit', () => {
  const strings = (n: number) => [Array.from({ length: n }, () => '')];
  expect(judge('as', strings(1023))).toEqual({ ok: true, values: 1024 });
  expect(judge('as', strings(1024))).toEqual({
    ok: false,
    text: 'A call to this service holds at most 1024 values; this one holds more',
  });
});

it('leaves a body it cannot follow to the reader, which refuses it in its own words', () => {
  const body = marshal('as', [['a', 'b']]);
  // Cut short, or a signature that is no signature: counted as far as it goes, never thrown.
  expect(judgeBody(body.subarray(0, 6), 'as', true, LIMITS).ok).toBe(true);
  expect(judgeBody(body, 'a(', true, LIMITS).ok).toBe(true);
  expect(judgeBody(body, 'z', true, LIMITS).ok).toBe(true);
});

it('reads big-endian bodies as well', () => {
  const little = marshal('as', [['DP-1', 'DP-2']]);
  const big = Buffer.from(little);
  big.writeUInt32BE(little.readUInt32LE(0), 0);
  big.writeUInt32BE(little.readUInt32LE(4), 4);
  big.writeUInt32BE(little.readUInt32LE(16), 16);
  expect(judgeBody(big, 'as', false, LIMITS)).toEqual({ ok: true, values: 3 });
});

it("refuses a dict key '__proto__', which dbus-next would take as the object's prototype", () => {
  const refusal = { ok: false, text: "A call to this service may not use '__proto__' as a key" };
  // A computed key is an entry of its own (a literal one would set the prototype here too).
  expect(judge('a{ss}', [{ heads: '2', ['__proto__']: '2' }])).toEqual(refusal);
  expect(judge('a{sv}', [{ ['__proto__']: new Variant('b', true) }])).toEqual(refusal);
  expect(judge('a{sv}', [{ __proto__x: new Variant('b', true) }])).toEqual({ ok: true, values: 5 });
});
