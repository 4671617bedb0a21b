// A power cut in the middle of an import, on a real libvirtd: the per-user
// service and its guest-files helper both killed with SIGKILL while the
// bundle's disk is being copied (issue 19: every later import of that
// bundle then failed with AlreadyExists until root cleaned up by hand).
// At the next start the service deletes the volume it had made and has its
// helper remove the UEFI variables and TPM state it had made, one log line
// each; the same bundle then imports.

import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Variant } from '@jellybrick/dbus-next';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MANAGER, MANAGER_PATH } from '../support/dbus-client.js';
import { handMadeBundle } from '../support/bundles.js';
import { defineDefaultPool, inSandbox, jobEnd, volumeNames } from '../support/guest-files.js';
import { levelsOfLinesNaming, lineNaming } from '../support/log-lines.js';
import type { TrackedProcess } from '../support/processes.js';
import { ServiceStack } from '../support/stack.js';

const NVRAM_DIR = '/var/lib/libvirt/qemu/nvram';
const SWTPM_DIR = '/var/lib/libvirt/swtpm';
const MiB = 1024 ** 2;

let stack: ServiceStack;
let pool: string;
let state: string;
let bundle: string;
const uuid = randomUUID();

const listing = (path: string): string[] => {
  const inside = inSandbox(stack.libvirtdNamespacePid, path);
  return existsSync(inside) ? readdirSync(inside).sort() : [];
};

/** Starts the service (again) on the same journal. */
const startService = (): Promise<TrackedProcess> => stack.startService('qemu:///session', ['--state-dir', state]);

beforeAll(async () => {
  stack = await ServiceStack.start({ realLibvirtd: true, serviceInSandbox: true, withService: false });
  pool = await defineDefaultPool(stack);
  state = stack.folder('state');
  const dir = stack.folder('bundles');
  mkdirSync(join(dir, 'crash.phyllome', 'disks'), { recursive: true });
  const disk = join(dir, 'crash.phyllome', 'disks', 'vda.raw');
  const fd = openSync(disk, 'w');
  // 384 MiB of data: a copy long enough that, on a loaded machine, the cut lands while it runs.
  for (let i = 0; i < 96; i++) writeSync(fd, randomBytes(4 * MiB), 0, 4 * MiB, i * 4 * MiB);
  closeSync(fd);
  bundle = handMadeBundle(
    join(dir, 'crash.phyllome'),
    { name: 'crash', uuid },
    `<domain type='qemu'><name>crash</name><uuid>${uuid}</uuid><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os><features><acpi/></features>
<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/x.raw'/><target dev='vda' bus='virtio'/></disk>
<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm></devices></domain>`,
    [
      { path: 'nvram/VARS.fd', role: 'nvram', data: randomBytes(MiB) },
      { path: 'tpm/tpm2/tpm2-00.permall', role: 'tpm', data: randomBytes(4096) },
      { path: 'disks/vda.raw', role: 'disk', target: 'vda', format: 'raw' },
    ],
    0,
  );
  await startService();
  await stack.client.watch();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

it('undoes an import cut short by a power cut at the next start, and the bundle then imports', async () => {
  const service = stack.service?.pid as number;
  const from = stack.client.signals.length;
  const [job] = await stack.client.service(MANAGER_PATH, MANAGER, 'Import', 's', [bundle]);
  // Once the disk is being copied (the variables and TPM state are in place before it)…
  await stack.client.waitForSignal(
    (s) =>
      s.path === job &&
      s.member === 'PropertiesChanged' &&
      Number((s.body[1] as Record<string, Variant>).Progress?.value ?? 0) >= 0.02,
    60_000,
    from,
  );
  // …the service and every process under it go at once, as in a power cut.
  const children = readFileSync(`/proc/${service}/task/${service}/children`, 'utf8').split(/\s+/).filter(Boolean);
  const helper = children.map(Number).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--stdio'));
  expect(helper).toBeDefined();
  const workers = readFileSync(`/proc/${helper}/task/${helper}/children`, 'utf8').split(/\s+/).filter(Boolean);
  for (const pid of [service, helper as number, ...workers.map(Number)]) process.kill(pid, 'SIGKILL');
  await stack.service?.exited;
  // What it made is all there: the volume, the UEFI variables, the TPM state.
  expect(await volumeNames(stack, pool)).toContain(`${uuid}-vda.raw`);
  expect(listing(NVRAM_DIR)).toContain(`${uuid}_VARS.fd`);
  expect(listing(SWTPM_DIR)).toContain(uuid);

  // The next start removes it all, saying so; nothing else is touched.
  const restarted = await startService();
  // Each said once done, in whatever order the start gets to them.
  await restarted.waitForOutput(lineNaming('info', `${NVRAM_DIR}/${uuid}_VARS.fd`), 30_000);
  await restarted.waitForOutput(lineNaming('info', `${SWTPM_DIR}/${uuid}`), 30_000);
  await restarted.waitForOutput(lineNaming('info', `${uuid}-vda.raw`), 30_000);
  expect(await volumeNames(stack, pool)).not.toContain(`${uuid}-vda.raw`);
  expect(listing(NVRAM_DIR)).not.toContain(`${uuid}_VARS.fd`);
  expect(listing(SWTPM_DIR)).not.toContain(uuid);
  // Told once each, as done rather than failed: one line of info naming it.
  for (const made of [`${NVRAM_DIR}/${uuid}_VARS.fd`, `${SWTPM_DIR}/${uuid}`, `${uuid}-vda.raw`])
    expect(levelsOfLinesNaming(restarted.output(), made), made).toEqual(['info']);

  // The same bundle imports now (it failed with AlreadyExists for ever after such a cut).
  await stack.client.watch();
  const [again] = await stack.client.service(MANAGER_PATH, MANAGER, 'Import', 's', [bundle]);
  expect(await jobEnd(stack, again as string)).toMatchObject({
    success: true,
    message: expect.stringMatching(/^Imported crash\b/),
  });
  expect(readdirSync(join(state, 'journal'))).toEqual([]);
}, 180_000);
