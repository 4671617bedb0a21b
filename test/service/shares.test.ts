// The shares of one service: real TLS listeners on 127.0.0.1 with the host's
// certificate (made by openssl), a few ports of a range, time on the test's
// own clock. The guests' displays are never reached here (no client links):
// each share is handed a path nobody connects to.

import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Guest } from '../../service/guests/guest.js';
import { hostCertificate, type HostCertificate } from '../../service/sharing/host-certificate.js';
import { Shares } from '../../service/sharing/shares.js';
import { ManualClock } from '../support/manual-clock.js';

const FIRST = randomInt(40_000, 60_000);
const LAST = FIRST + 2;
let work = '';
let certificate: HostCertificate;
let clock: ManualClock;
let shares: Shares;
let opened: string[];
let closed: string[];
const foreign: Server[] = [];

const guest = (name: string): Guest =>
  ({ name, uuid: `${name}-uuid`, path: `/me/phyllo/Switcher1/guest/${name}`, libvirtPath: `/x/${name}` }) as Guest;
const request = (port?: number) => ({ address: '127.0.0.1', port, durationSeconds: 60 });

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Something else of the host listening on a port of the range. */
async function takePort(port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  foreign.push(server);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'phyllome-shares-'));
  certificate = await hostCertificate(join(work, 'sharing'), ['127.0.0.1'], Date.now());
});

function makeShares(openDisplay: (g: Guest) => Promise<string> = async (g) => `/nowhere/${g.uuid}.sock`): Shares {
  clock = new ManualClock();
  opened = [];
  closed = [];
  shares = new Shares({
    settings: { addresses: ['127.0.0.1'], firstPort: FIRST, lastPort: LAST },
    certificate: async () => certificate,
    openDisplay: async (g) => {
      opened.push(g.path);
      return openDisplay(g);
    },
    closeDisplay: (path) => closed.push(path),
    clock,
    limits: { total: 3, perUser: 2 },
  });
  return shares;
}

afterEach(async () => {
  shares?.stop();
  await Promise.all(foreign.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

it('listens on the first free port of the range, skipping the host’s others, and Busy once none is left', async () => {
  makeShares();
  await takePort(FIRST);
  const a = await shares.share(guest('a'), request(), 1000);
  expect(a.port).toBe(FIRST + 1);
  expect(await connects(FIRST + 1)).toBe(true);
  const b = await shares.share(guest('b'), request(), 1001);
  expect(b.port).toBe(LAST);
  await expect(shares.share(guest('c'), request(), 1002)).rejects.toMatchObject({ kind: 'Busy' });
  // Nothing of the refused one is left: its display's socket is taken away again.
  expect(closed).toEqual([guest('c').path]);
  expect(shares.state(guest('c').path)).toBeUndefined();
});

it('takes a port asked for only when it is free', async () => {
  makeShares();
  await takePort(FIRST + 1);
  await expect(shares.share(guest('a'), request(FIRST + 1), 1000)).rejects.toMatchObject({ kind: 'Busy' });
  expect((await shares.share(guest('a'), request(LAST), 1000)).port).toBe(LAST);
});

it('allows one share per guest, a few per user and in all', async () => {
  makeShares();
  await shares.share(guest('a'), request(), 1000);
  await expect(shares.share(guest('a'), request(), 1000)).rejects.toMatchObject({ kind: 'InvalidState' });
  await shares.share(guest('b'), request(), 1000);
  await expect(shares.share(guest('c'), request(), 1000)).rejects.toMatchObject({ kind: 'Busy' });
  await shares.share(guest('c'), request(), 1001);
  await expect(shares.share(guest('d'), request(), 1002)).rejects.toMatchObject({ kind: 'Busy' });
});

it('ends when its time is up, its port closed and its display’s socket taken away', async () => {
  makeShares();
  const changed: string[] = [];
  shares.on('changed', (path) => changed.push(path));
  const a = await shares.share(guest('a'), request(), 1000);
  expect(shares.state(guest('a').path)).toEqual({ expiresAt: clock.now() + 60_000 });
  expect(a.expiresAt).toBe(clock.now() + 60_000);
  clock.advance(59_999);
  expect(await connects(a.port)).toBe(true);
  clock.advance(1);
  expect(shares.state(guest('a').path)).toBeUndefined();
  expect(await connects(a.port)).toBe(false);
  expect(changed).toEqual([guest('a').path, guest('a').path]);
  expect(closed).toEqual([guest('a').path]);
});

it('does not listen for a share ended while it was being set up', async () => {
  let release = (): void => undefined;
  const slow = new Promise<void>((resolve) => (release = resolve));
  makeShares(async (g) => {
    await slow;
    return `/nowhere/${g.uuid}.sock`;
  });
  const sharing = shares.share(guest('a'), request(), 1000);
  await new Promise((resolve) => setImmediate(resolve));
  expect(shares.unshare(guest('a').path, 'the guest stopped')).toBe(true);
  release();
  await expect(sharing).rejects.toMatchObject({ kind: 'InvalidState' });
  for (const port of [FIRST, FIRST + 1, LAST]) expect(await connects(port)).toBe(false);
  expect(closed).toEqual([guest('a').path]);
});
