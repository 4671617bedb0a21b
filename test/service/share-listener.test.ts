// A share's listener holds only so many connections, and each only so long
// before its password: real TLS on 127.0.0.1 with the host's certificate
// (made by openssl), the deadlines on a clock of the test's own. No
// connection here gets as far as the guest's display, which is never asked for.

import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { hostCertificate, type HostCertificate } from '../../service/sharing/host-certificate.js';
import { ShareGate } from '../../service/sharing/share-gate.js';
import { ShareListener } from '../../service/sharing/share-listener.js';
import { ManualClock } from '../support/manual-clock.js';

let work = '';
let certificate: HostCertificate;
let clock: ManualClock;
let listener: ShareListener;
let displaysAsked: number[] = [];

/** A TLS connection that has finished its handshake and says nothing; resolves once it is up. */
function quietClient(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: certificate.certificate,
      checkServerIdentity: () => undefined,
    });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves once the other end has closed the connection. */
const closedByServer = (socket: Socket): Promise<void> =>
  new Promise((resolve) => {
    if (socket.destroyed) resolve();
    socket.once('close', () => resolve());
    socket.on('error', () => undefined);
    socket.resume();
  });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'phyllome-listener-'));
  certificate = await hostCertificate(join(work, 'sharing'), ['127.0.0.1'], Date.now());
});

// A listener of each test's own, with every place free and a clock of its own: connections one test
// left behind take no place of the next's.
beforeEach(async () => {
  clock = new ManualClock(1_000_000);
  displaysAsked = [];
  listener = await ShareListener.listen({
    guestName: 'bounded',
    address: '127.0.0.1',
    port: 0,
    certificate,
    gate: new ShareGate('abcd-efgh-jkmn-pqrs', clock.now() + 3_600_000),
    connectDisplay: () => {
      displaysAsked.push(Date.now());
      throw new Error('no connection here should reach the display');
    },
    clock,
    limits: { connections: 6, unjudged: 2, linkTimeoutMs: 5_000, unjudgedPerAddress: 4 },
  });
});

afterEach(() => {
  listener?.close();
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

it('sends away a connection past the ones waiting for their verdict, and the rest at their deadline', async () => {
  const first = await quietClient(listener.port);
  const second = await quietClient(listener.port);
  const [firstClosed, secondClosed] = [closedByServer(first), closedByServer(second)];
  const third = await quietClient(listener.port);
  // At once: two are waiting already.
  await closedByServer(third);
  expect([first.destroyed, second.destroyed]).toEqual([false, false]);
  // The deadline of the two that wait, on the test's clock.
  clock.advance(5_000);
  await Promise.all([firstClosed, secondClosed]);
  expect(displaysAsked).toEqual([]);
});

/** A TCP connection to the listener from `from` (a loopback address), up; `first` is all it ever sends. */
const rawClient = (port: number, first?: Buffer, from = '127.0.0.1'): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1', localAddress: from }, () => {
      if (first) socket.write(first);
      resolve(socket);
    });
    socket.once('error', reject);
  });

it('ends connections that never finish TLS at their deadline, then serves a genuine client', async () => {
  // A stranger fills every place: two say nothing, two send the first 3 bytes of a TLS hello (attack finding 2).
  const hello = Buffer.from([0x16, 0x03, 0x01]);
  const idle = [
    await rawClient(listener.port),
    await rawClient(listener.port),
    await rawClient(listener.port, hello),
    await rawClient(listener.port, hello),
  ];
  const idleClosed = Promise.all(idle.map(closedByServer));
  // Full: the genuine client is sent away at once.
  const early = await new Promise<string>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: listener.port, ca: certificate.certificate });
    socket.once('secureConnect', () => resolve('served'));
    socket.once('error', () => resolve('refused'));
    socket.once('close', () => resolve('refused'));
  });
  expect(early).toBe('refused');
  // The deadline, on the test's clock, from the connection's start: every idle one goes.
  clock.advance(5_000);
  await idleClosed;
  const genuine = await quietClient(listener.port);
  expect(genuine.destroyed).toBe(false);
  // It says nothing either, so its own deadline ends it too, and every place is free again.
  const genuineClosed = closedByServer(genuine);
  clock.advance(5_000);
  await genuineClosed;
});

it('holds only so many connections not yet judged from one address, and serves another at once', async () => {
  // A stranger at 127.0.0.1 holds its four places, and a fifth from there is closed at once.
  const stranger = await Promise.all(Array.from({ length: 4 }, () => rawClient(listener.port)));
  const strangerClosed = Promise.all(stranger.map(closedByServer));
  await closedByServer(await rawClient(listener.port));
  // The genuine client, elsewhere, gets its TLS at once: no deadline had to pass.
  const elsewhere = await rawClient(listener.port, undefined, '127.0.0.2');
  const genuine = await new Promise<TLSSocket>((resolve, reject) => {
    const socket = connect({ socket: elsewhere, ca: certificate.certificate, checkServerIdentity: () => undefined });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
  const genuineClosed = closedByServer(genuine);
  expect(stranger.some((socket) => socket.destroyed)).toBe(false);
  clock.advance(5_000);
  await Promise.all([strangerClosed, genuineClosed]);
});

it('holds no more connections than its limit, even before TLS', async () => {
  // Four from one address, three from another: the seventh is past the six places and closed at once.
  const raw = [...(await Promise.all(Array.from({ length: 4 }, () => rawClient(listener.port))))];
  // One after the other, so that the last is the seventh the listener sees.
  for (let i = 0; i < 3; i++) raw.push(await rawClient(listener.port, undefined, '127.0.0.2'));
  const closed = await Promise.race(raw.map((socket, i) => closedByServer(socket).then(() => i)));
  expect(closed).toBe(6);
  for (const socket of raw) socket.destroy();
});

it('listens no more once closed', async () => {
  const port = listener.port;
  listener.close();
  const refused = await new Promise<string>((resolve) => {
    const socket = createConnection(port, '127.0.0.1', () => resolve('connected'));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
  expect(refused).toBe('ECONNREFUSED');
});
