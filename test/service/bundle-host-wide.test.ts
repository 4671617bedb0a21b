// Issue 18, item 2, as it was tried: a second real user of the host (a uid
// of its own, through setpriv, in no libvirt group, on seat1) hands the
// host-wide service a bundle of their own making, whose definition carries
// QEMU arguments in QEMU's namespace written as the default namespace (and
// the other spellings and reaches of its kind). The service, on a private
// system bus and a real libvirtd, refuses each at once, naming it: nothing
// is defined, no QEMU runs the bundle's arguments. The same user's plain
// bundle still imports, made from the model.

import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRMWARE_SHAPES } from '../support/bundle-definitions.js';
import { writeBundle } from '../support/bundle-files.js';
import { MANAGER, MANAGER_PATH, SERVICE } from '../support/dbus-client.js';
import { inSandbox, jobEnd } from '../support/guest-files.js';
import { libvirtCall } from '../support/libvirt.js';
import { LogindMock } from '../support/logind-mock.js';
import { HostWide } from '../support/host-wide.js';
import type { ServiceStack } from '../support/stack.js';
import { twoUsers, UidCaller } from '../support/uid-caller.js';

const QEMU = '/org/libvirt/QEMU';
const QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0';
const [ADA, BOB] = twoUsers();

let host: HostWide;
let stack: ServiceStack;
let bob: UidCaller;
let ada: UidCaller;
let work: string;

/** A diskless BIOS guest (the host-wide service and libvirtd see different /var/lib/libvirt here). */
function definition(name: string, uuid: string, extra = '', root = ''): string {
  return `<domain type='qemu'${root}>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  ${FIRMWARE_SHAPES[4]?.os(name) ?? ''}
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='user'><mac address='52:54:00:10:20:30'/><model type='virtio'/></interface>
    <video><model type='virtio'/></video>
  </devices>
  ${extra}
</domain>`;
}

/** A bundle bob writes in his own folder, as he could. */
function bobsBundle(name: string, xml: (uuid: string) => string): string {
  const folder = join(work, name);
  mkdirSync(folder, { mode: 0o700 });
  const uuid = randomUUID();
  const bundle = writeBundle(folder, { name, uuid, definition: xml(uuid) });
  for (const entry of [
    folder,
    bundle,
    join(bundle, 'disks'),
    join(bundle, 'domain.xml'),
    join(bundle, 'manifest.json'),
  ])
    chownSync(entry, BOB, BOB);
  return bundle;
}

async function domains(): Promise<string[]> {
  const [paths] = await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'ListDomains', 'u', [0]);
  return (paths as string[]).sort();
}

beforeAll(async () => {
  host = await HostWide.start(
    () => ['--virt-type', 'qemu'],
    async (started, { polkitPolicy }) => {
      stack = started;
      const logind = await LogindMock.start(stack.group, { bus: stack.bus, policies: [polkitPolicy] });
      await logind.addSeat('seat0');
      await logind.addSeat('seat1');
      await logind.addSession('c0', 'seat0', ADA, 'ada');
      await logind.addSession('c1', 'seat1', BOB, 'bob');
      ada = await UidCaller.start(stack.group, ADA, stack.bus.address);
      bob = await UidCaller.start(stack.group, BOB, stack.bus.address);
      await logind.bindPid(ada.pid, 'c0');
      await logind.bindPid(bob.pid, 'c1');
    },
  );
  stack = host.stack;
  work = mkdtempSync(join(tmpdir(), 'phyllome-bobs-bundles-'));
  chmodSync(work, 0o755);
  await stack.client.watch();
}, 120_000);

afterAll(async () => {
  await host?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("a user's bundle that would run QEMU with arguments of its own", () => {
  const marker = '/tmp/phyllome-bob-was-here';
  const command = (prefix: string): string =>
    `<${prefix}arg value='-chardev'/><${prefix}arg value='file,id=spy,path=${marker}'/><${prefix}arg value='-device'/><${prefix}arg value='isa-serial,chardev=spy'/>`;

  it.each([
    [
      "QEMU's namespace as the default namespace (the issue's example)",
      (u: string) => definition('bob-a', u, `<commandline xmlns='${QEMU_NS}'>${command('')}</commandline>`),
      /<commandline>/,
    ],
    [
      'under a prefix of his choosing, declared on <domain>',
      (u: string) => definition('bob-b', u, `<x:commandline>${command('x:')}</x:commandline>`, ` xmlns:x='${QEMU_NS}'`),
      /<x:commandline>/,
    ],
    [
      'nested in a device',
      (u: string) =>
        definition('bob-c', u).replace(
          '</devices>',
          `<video><model type='virtio'/><commandline xmlns='${QEMU_NS}'>${command('')}</commandline></video></devices>`,
        ),
      /<commandline> in <video>/,
    ],
    [
      'a host folder instead',
      (u: string) =>
        definition('bob-d', u).replace(
          '</devices>',
          "<filesystem type='mount'><source dir='/root'/><target dir='r'/></filesystem></devices>",
        ),
      /<filesystem type='mount'>/,
    ],
  ])('is refused at once, naming it, when written %s; nothing is defined', async (_how, xml, named) => {
    const bundle = bobsBundle(`case-${randomUUID().slice(0, 8)}`, xml);
    const before = await domains();
    const reply = await bob.call(SERVICE, MANAGER_PATH, MANAGER, 'Import', 's', [bundle]);
    expect(reply.error).toBe('me.phyllo.Switcher1.Error.InvalidArgument');
    expect(reply.message).toMatch(named);
    expect(await domains()).toEqual(before);
    expect(existsSync(inSandbox(stack.libvirtdNamespacePid, marker))).toBe(false);
    expect(existsSync(marker)).toBe(false);
  });

  it('while his plain bundle imports, made from the model', async () => {
    const bundle = bobsBundle('bobs-plain', (u) => definition('bobs-plain', u));
    const reply = await bob.call(SERVICE, MANAGER_PATH, MANAGER, 'Import', 's', [bundle]);
    expect(reply.error).toBe('ok');
    expect(await jobEnd(bob, reply.body[0] as string)).toMatchObject({ success: true });
    const [path] = await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainLookupByName', 's', ['bobs-plain']);
    const [xml] = await libvirtCall(stack, path as string, 'org.libvirt.Domain', 'GetXMLDesc', 'u', [0]);
    expect(xml).toContain("<mac address='52:54:00:10:20:30'/>");
    // Made from the model: its memory backing is the model's, which bob's definition never had.
    expect(xml).toMatch(/<memoryBacking>\s*<source type='memfd'\/>/);
  });
});

// Attack finding 1, as it was tried: bob's definition declares 10,000
// namespaces on <domain> and holds 4,000 children (215 KB), its manifest
// right. Reading it cost elements × declarations on the service's only
// thread: ada's ListGuests on seat0 waited 14-16 s, the Import was refused
// after 15-17 s, and again for every call.
describe("a user's bundle whose definition would cost the service more than its size", () => {
  it("is refused at once, naming the limit, while seat0's ListGuests is answered; nothing is defined", async () => {
    const declarations = Array.from({ length: 10_000 }, (_, i) => ` xmlns:p${i}="urn:x"`).join('');
    const bundle = bobsBundle(
      'bob-bomb',
      (u) => `<domain type='qemu'${declarations}><name>bob-bomb</name><uuid>${u}</uuid>${'<a/>'.repeat(4000)}</domain>`,
    );
    const before = await domains();
    const importing = bob.call(SERVICE, MANAGER_PATH, MANAGER, 'Import', 's', [bundle]);
    // Sent while the Import is read and checked: each must be answered well inside its deadline.
    const answers = await ada.calls(3, 3000, SERVICE, MANAGER_PATH, MANAGER, 'ListGuests');
    const reply = await importing;
    expect(answers.map((a) => a.error)).toEqual(['ok', 'ok', 'ok']);
    expect([reply.error, reply.message]).toEqual([
      'me.phyllo.Switcher1.Error.InvalidArgument',
      expect.stringMatching(/<domain> has more than 64 attributes/),
    ]);
    expect(await domains()).toEqual(before);
  });
});
