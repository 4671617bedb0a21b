// A share's listener holds only so many connections, and each only so long
// before its password: real TLS on 127.0.0.1 with the host's certificate
// (made by openssl), the deadlines on a clock of the test's own. No
// connection here gets as far as the guest's display, which is never asked for.

import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hostCertificate, type HostCertificate } from '../../service/sharing/host-certificate.js';
import { ShareGate } from '../../service/sharing/share-gate.js';
import { ShareListener } from '../../service/sharing/share-listener.js';
import { ManualClock } from '../support/manual-clock.js';

let work = '';
let certificate: HostCertificate;
const clock = new ManualClock(1_000_000);
let listener: ShareListener;
const displaysAsked: number[] = [];

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
    limits: { connections: 4, unjudged: 2, linkTimeoutMs: 5_000 },
  });
});

afterAll(() => {
  listener?.close();
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

it('holds no more connections than its limit, even before TLS', async () => {
  const raw = await Promise.all(
    Array.from(
      { length: 5 },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = createConnection(listener.port, '127.0.0.1', () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
  // The fifth is closed by the server at once; the four others wait for their TLS handshake.
  const closed = await Promise.race(raw.map((socket, i) => closedByServer(socket).then(() => i)));
  expect(closed).toBe(4);
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
