// Sharing on the per-user service (one person's, on the session bus), on a
// real libvirtd + QEMU: its own user shares with no seat to check, the
// share's local side in a folder of theirs (by default in their runtime
// folder: test/unit/cli.test.ts), its certificate in their state folder. Attacks from another computer and another user are
// sharing.test.ts's, against the host-wide service.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Variant } from '@jellybrick/dbus-next';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GUEST, MANAGER, MANAGER_PATH, propertiesChanged } from '../support/dbus-client.js';
import { libvirtCall } from '../support/libvirt.js';
import { paintedGuestXml } from '../support/painted-guest.js';
import { ROOT, ServiceStack } from '../support/stack.js';

const PROBE = resolve(ROOT, 'test/support/remote-probe.mjs');
const run = promisify(execFile);

let stack: ServiceStack;
let runtime = '';
let state = '';
let guest = '';

interface Grant {
  address: string;
  port: number;
  password: string;
  certificate: string;
  'host-subject': string;
}

async function link(grant: Grant, password: string): Promise<{ result?: number; error?: string }> {
  const request = {
    op: 'link',
    host: grant.address,
    port: grant.port,
    password,
    ca: grant.certificate,
    subject: grant['host-subject'],
  };
  const { stdout } = await run(process.execPath, [PROBE, JSON.stringify(request)], { timeout: 60_000 });
  return JSON.parse(stdout) as { result?: number; error?: string };
}

beforeAll(async () => {
  stack = await ServiceStack.start({ realLibvirtd: true, withService: false });
  // Short: a socket's path is at most 107 bytes.
  runtime = realpathSync(mkdtempSync(join(tmpdir(), 'phyllome-d-')));
  state = realpathSync(mkdtempSync(join(tmpdir(), 'phyllome-state-')));
  await stack.startService('qemu:///session', [
    '--share-listen',
    '127.0.0.1',
    '--share-ports',
    '6010-6019',
    '--state-dir',
    state,
    '--display-dir',
    runtime,
  ]);
  await stack.client.watch();
  await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
    paintedGuestXml(stack.libvirtdNamespacePid, 'mine', ''),
  ]);
  guest = await stack.client.waitForGuest('mine');
  await stack.client.service(guest, GUEST, 'Start', '', [], 30_000);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  for (const dir of [runtime, state]) if (dir) rmSync(dir, { recursive: true, force: true });
});

it("shares its user's guest, its local side in a folder of theirs, and ends it", async () => {
  expect(await stack.client.property(MANAGER_PATH, MANAGER, 'SharingAllowed')).toBe(true);
  const from = stack.client.signals.length;
  const [reply] = await stack.client.service(guest, GUEST, 'Share', 'a{sv}', [{ duration: new Variant('u', 300) }]);
  const grant = Object.fromEntries(
    Object.entries(reply as Record<string, Variant>).map(([key, value]) => [key, value.value]),
  ) as unknown as Grant;
  await stack.client.waitForSignal(propertiesChanged(guest, 'Shared', true), 10_000, from);
  expect(grant.address).toBe('127.0.0.1');
  const uuid = (await stack.client.property(guest, GUEST, 'Uuid')) as string;
  const own = join(runtime, 'share', `${uuid}.sock`);
  expect(statSync(own).isSocket()).toBe(true);
  expect(statSync(join(state, 'sharing', 'host-key.pem')).mode & 0o777).toBe(0o600);
  expect((await link(grant, 'wrong-one')).result).toBe(7);
  expect((await link(grant, grant.password)).result).toBe(0);
  await stack.client.service(guest, GUEST, 'Unshare');
  await stack.client.waitForSignal(propertiesChanged(guest, 'Shared', false), 10_000, from);
  expect((await link(grant, grant.password)).error).toBe('ECONNREFUSED');
  expect(existsSync(own)).toBe(false);
}, 60_000);
