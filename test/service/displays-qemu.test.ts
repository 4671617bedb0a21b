// A guest's display on a real libvirtd and QEMU (software emulation): heads
// and a resolution larger than any monitor kept in libvirt's own definition
// and taken by QEMU at the next start, a change to a running guest waiting
// for it (and said), the monitors of its heads in our metadata, what a video
// model cannot do refused, typed, and 3D — which this host cannot give (it
// has no GPU render node) — proven at the definition and capability level:
// each shape of it is taken by libvirt 9 and this QEMU, which refuse only
// the render node that is not there. (Its viewer, keeping a fixed
// resolution, is a real virt-viewer in test/e2e/displays.e2e.test.ts.)

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Variant } from '@jellybrick/dbus-next';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { graphicsXml, type DisplayShape } from '../../service/libvirt/graphics-xml.js';
import { withVideo } from '../../service/libvirt/video-xml.js';
import { GUEST, propertiesChanged } from '../support/dbus-client.js';
import { libvirtCall, libvirtDomainPath, tinyQemuGuestXml } from '../support/libvirt.js';
import { ServiceStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const QEMU = '/org/libvirt/QEMU';
const ERR = 'me.phyllo.Switcher1.Error';
const XML_INACTIVE = 2;

let stack: ServiceStack;
const paths: Record<string, string> = {};

const inactiveXml = async (name: string): Promise<string> => {
  const domain = await libvirtDomainPath(stack, name, QEMU);
  const [xml] = await libvirtCall(stack, domain, 'org.libvirt.Domain', 'GetXMLDesc', 'u', [XML_INACTIVE]);
  return xml as string;
};
const define = (xml: string): Promise<unknown[]> =>
  libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [xml]);
const setDisplay = (name: string, settings: Record<string, Variant>, timeoutMs = 30_000): Promise<unknown[]> =>
  stack.client.service(paths[name] as string, GUEST, 'SetDisplay', 'a{sv}', [settings], timeoutMs);
const errorOf = (name: string, member: string, signature: string, body: unknown[]): Promise<string> =>
  stack.client.errorOf(paths[name] as string, GUEST, member, signature, body);
const property = (name: string, property: string): Promise<unknown> =>
  stack.client.property(paths[name] as string, GUEST, property);

/** RunningDisplay, its variants' values. */
const runningDisplay = async (name: string): Promise<Record<string, unknown>> =>
  Object.fromEntries(
    Object.entries((await property(name, 'RunningDisplay')) as Record<string, Variant>).map(([k, v]) => [k, v.value]),
  );

/** QEMU's own command line for a running guest, from the pid file libvirtd keeps in its sandbox. */
function qemuCommandLine(name: string): string {
  const pid = readFileSync(`/proc/${stack.libvirtdNamespacePid}/root/run/libvirt/qemu/${name}.pid`, 'utf8').trim();
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
}

/** virsh inside libvirtd's sandbox, for what libvirt-dbus has no method for (a screenshot of one head). */
function virsh(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync(
    'nsenter',
    ['--mount', '--target', String(stack.libvirtdNamespacePid), '--', 'virsh', '-c', 'qemu:///system', ...args],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The width and height a PNG file says it has. */
function pngSize(file: string): [number, number] {
  const bytes = readFileSync(file);
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

const VGA_GUEST = tinyQemuGuestXml('plain', { display: 'spice' }).replace(
  "<model type='virtio'/>",
  "<model type='vga'/>",
);

/** The guests every test starts from, as first defined: libvirt's inactive XML and what the service said of them. */
const pristine: Record<string, { xml: string; said: Record<string, unknown> }> = {};
const said = async (name: string): Promise<Record<string, unknown>> => ({
  Heads: await property(name, 'Heads'),
  Resolution: await property(name, 'Resolution'),
  Monitors: await property(name, 'Monitors'),
});

beforeAll(async () => {
  stack = await ServiceStack.start({ realLibvirtd: true, uri: 'qemu:///session' });
  await stack.client.watch();
  await define(tinyQemuGuestXml('duo', { display: 'spice' }));
  await define(tinyQemuGuestXml('vnc', { display: true }));
  await define(VGA_GUEST);
  for (const name of ['duo', 'vnc', 'plain']) paths[name] = await stack.client.waitForGuest(name);
  for (const name of ['duo', 'vnc', 'plain']) pristine[name] = { xml: await inactiveXml(name), said: await said(name) };
}, 120_000);

/**
 * Each test starts from the three guests shut off and defined as at first
 * (the same XML given to libvirt again), once the service has seen that.
 */
beforeEach(async () => {
  for (const name of ['duo', 'vnc', 'plain']) {
    const domain = await libvirtDomainPath(stack, name, QEMU);
    if ((await property(name, 'State')) !== 'shutoff') {
      await libvirtCall(stack, domain, 'org.libvirt.Domain', 'Destroy', 'u', [0]);
      await stack.client.waitForProperty(paths[name] as string, 'State', 'shutoff', 10_000);
    }
    const first = pristine[name] as { xml: string; said: Record<string, unknown> };
    if ((await inactiveXml(name)) !== first.xml) await define(first.xml);
    await waitFor(async () => JSON.stringify(await said(name)) === JSON.stringify(first.said), {
      what: `the service to see ${name} as first defined`,
      on: [[stack.client.events, 'signal']],
    });
  }
}, 60_000);

/** duo shut off with two heads of 5120×2880. */
const twoBigHeads = (): Promise<unknown[]> =>
  setDisplay('duo', { heads: new Variant('u', 2), resolution: new Variant('(uu)', [5120, 2880]) });

/** duo running, started with two heads of 5120×2880. */
async function runningWithTwoBigHeads(): Promise<void> {
  await twoBigHeads();
  await stack.client.service(paths.duo as string, GUEST, 'Start', '', [], 30_000);
  await stack.client.waitForProperty(paths.duo as string, 'State', 'running', 10_000);
}

afterAll(async () => {
  await stack?.stop();
});

describe('heads and resolution', () => {
  it("are set in libvirt's own definition: two heads of 5120×2880", async () => {
    const from = stack.client.signals.length;
    await setDisplay('duo', { heads: new Variant('u', 2), resolution: new Variant('(uu)', [5120, 2880]) });
    const xml = await inactiveXml('duo');
    expect(xml).toMatch(/<model type='virtio' heads='2' primary='yes'>\s*<resolution x='5120' y='2880'\/>/);
    expect(await property('duo', 'Heads')).toBe(2);
    expect(await property('duo', 'Resolution')).toEqual([5120, 2880]);
    expect(await property('duo', 'RunningDisplay')).toEqual({});
    await stack.client.waitForSignal(propertiesChanged(paths.duo as string, 'Heads', 2), 5_000, from);
  });

  it('are what QEMU starts the guest with: two outputs, each 5120×2880, each a screen of its own', async () => {
    await twoBigHeads();
    await stack.client.service(paths.duo as string, GUEST, 'Start', '', [], 30_000);
    await stack.client.waitForProperty(paths.duo as string, 'State', 'running', 10_000);
    const command = qemuCommandLine('duo');
    expect(command).toMatch(/"driver":"virtio-vga"[^}]*"max_outputs":2[^}]*"xres":5120,"yres":2880/);
    // QEMU has a console per head: libvirt shows the second one's screen.
    const dir = mkdtempSync(join(tmpdir(), 'phyllome-heads-'));
    try {
      const file = join(dir, 'head2.png');
      const shot = virsh('screenshot', 'duo', file, '--screen', '1');
      expect(shot.status, shot.output).toBe(0);
      expect(existsSync(file)).toBe(true);
      expect(pngSize(file)[0]).toBeGreaterThan(0);
      expect(virsh('screenshot', 'duo', join(dir, 'head3.png'), '--screen', '2').status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('changed while it runs, wait for its next start, and it says so', async () => {
    await runningWithTwoBigHeads();
    await setDisplay('duo', { heads: new Variant('u', 1), resolution: new Variant('s', 'window') });
    expect(await property('duo', 'Heads')).toBe(1);
    expect(await property('duo', 'Resolution')).toEqual([0, 0]);
    expect(await runningDisplay('duo')).toEqual({ heads: 2, resolution: [5120, 2880] });
    // The guest runs on as it started.
    expect(qemuCommandLine('duo')).toMatch(/"max_outputs":2/);
    await stack.client.service(paths.duo as string, GUEST, 'ForceOff', '', [], 30_000);
    await stack.client.waitForProperty(paths.duo as string, 'State', 'shutoff', 10_000);
    expect(await property('duo', 'RunningDisplay')).toEqual({});
    await stack.client.service(paths.duo as string, GUEST, 'Start', '', [], 30_000);
    await stack.client.waitForProperty(paths.duo as string, 'State', 'running', 10_000);
    const command = qemuCommandLine('duo');
    expect(command).toMatch(/"max_outputs":1/);
    expect(command).not.toMatch(/xres/);
    expect(await property('duo', 'RunningDisplay')).toEqual({});
    await stack.client.service(paths.duo as string, GUEST, 'ForceOff', '', [], 30_000);
  });

  it.each([
    ['0 heads', { heads: new Variant('u', 0) }, /1 to 4 heads, not 0/],
    ['9 heads', { heads: new Variant('u', 9) }, /1 to 4 heads, not 9/],
    ['0×0', { resolution: new Variant('(uu)', [0, 0]) }, /at least 640×480, not 0×0/],
    ['a side too long', { resolution: new Variant('(uu)', [16384, 1080]) }, /at most 8192×8192/],
    [
      'more than its video memory holds',
      { heads: new Variant('u', 4), resolution: new Variant('(uu)', [8192, 8192]) },
      /need 1024 MiB of video memory/,
    ],
    ['an unknown setting', { colour: new Variant('s', 'blue') }, /Unknown display setting 'colour'/],
    ['a wrong type', { heads: new Variant('s', 'two') }, /heads takes an unsigned integer/],
    ['a resolution as text', { resolution: new Variant('s', '1920x1080') }, /resolution takes a width and height/],
    ['nothing', {}, /Say what to change/],
  ])('refuses %s with InvalidArgument, changing nothing', async (_what, settings, why) => {
    const before = await inactiveXml('duo');
    const error = await setDisplay('duo', settings).then(
      () => undefined,
      (e: { type?: string; text?: string }) => e,
    );
    expect(error?.type).toBe(`${ERR}.InvalidArgument`);
    expect(error?.text).toMatch(why);
    expect(await inactiveXml('duo')).toBe(before);
  });

  it("refuses what the guest's video model or display cannot show", async () => {
    expect(await errorOf('plain', 'SetDisplay', 'a{sv}', [{ heads: new Variant('u', 2) }])).toBe(
      `${ERR}.InvalidArgument`,
    );
    expect(await errorOf('vnc', 'SetDisplay', 'a{sv}', [{ heads: new Variant('u', 2) }])).toBe(
      `${ERR}.InvalidArgument`,
    );
    // vga takes a resolution: its video memory grows to hold it.
    await setDisplay('plain', { resolution: new Variant('(uu)', [5120, 2880]) });
    expect(await inactiveXml('plain')).toMatch(/<model type='vga' vram='65536' heads='1' primary='yes'>\s*<resolution/);
  });
});

describe('the monitors of its heads', () => {
  it('are kept in its metadata, one per head, and one monitor for two heads is refused', async () => {
    await stack.client.service(paths.duo as string, GUEST, 'SetMonitors', 'as', [['Meta-0', 'Meta-1']]);
    expect(await property('duo', 'Monitors')).toEqual(['Meta-0', 'Meta-1']);
    expect(await property('duo', 'Monitor')).toBe('Meta-0');
    expect(await inactiveXml('duo')).toMatch(/<phyllome:monitor head="2" connector="Meta-1"\/>/);
    expect(await errorOf('duo', 'SetMonitors', 'as', [['Meta-1', 'Meta-1']])).toBe(`${ERR}.InvalidArgument`);
    expect(await errorOf('duo', 'SetMonitors', 'as', [['a', 'b', 'c', 'd', 'e']])).toBe(`${ERR}.InvalidArgument`);
    // Head 1 given head 2's monitor: they swap.
    await stack.client.service(paths.duo as string, GUEST, 'SetMonitor', 's', ['Meta-1']);
    expect(await property('duo', 'Monitors')).toEqual(['Meta-1', 'Meta-0']);
  });
});

describe('3D acceleration', () => {
  it('is not to be had here, and says why: this host has no GPU render node', async () => {
    const [description] = (await stack.client.service(paths.duo as string, GUEST, 'DescribeDisplay')) as [
      Record<string, Variant>,
    ];
    expect(Object.fromEntries(Object.entries(description).map(([k, v]) => [k, v.value]))).toEqual({
      'video-model': 'virtio',
      'max-heads': 4,
      'max-width': 8192,
      'max-height': 8192,
      'max-pixels': 67108864n,
      accel3d: expect.stringMatching(/no GPU render node/),
    });
    const error = await setDisplay('duo', { accel3d: new Variant('b', true) }).then(
      () => undefined,
      (e: { type?: string; text?: string }) => e,
    );
    expect(error?.type).toBe(`${ERR}.MissingHostFeature`);
    expect(error?.text).toMatch(/no GPU render node/);
    expect(await property('duo', 'Accel3D')).toBe(false);
  });

  const shapes: [string, DisplayShape][] = [
    ['shown here, by SPICE’s own GL', { reach: { kind: 'local' }, accel3d: true }],
    ['on a unix socket of ours', { reach: { kind: 'socket', socket: '/run/phyllome-test-gl.sock' }, accel3d: true }],
    [
      'for another computer, through egl-headless',
      { reach: { kind: 'network', address: '127.0.0.1' }, accel3d: true, renderNode: '/dev/dri/renderD128' },
    ],
  ];
  it.each(shapes)(
    '%s: taken by libvirt 9 and this QEMU (virgl), refused at start only for the render node',
    async (_what, shape) => {
      const name = `gl-${shape.reach.kind}`;
      const xml = withVideo(tinyQemuGuestXml(name, {}).replace('</devices>', `${graphicsXml(shape)}</devices>`), {
        heads: 2,
        resolution: [1920, 1080],
        accel3d: true,
        framebufferKiB: 0,
      });
      await define(xml);
      const path = await stack.client.waitForGuest(name);
      const live = await inactiveXml(name);
      expect(live).toMatch(/<acceleration accel3d='yes'\/>/);
      expect(await stack.client.property(path, GUEST, 'Accel3D')).toBe(true);
      const refused = await stack.client.service(path, GUEST, 'Start', '', [], 30_000).then(
        () => undefined,
        (e: { type?: string; text?: string }) => e,
      );
      expect(refused?.type).toBe(`${ERR}.Libvirt`);
      expect(refused?.text).toMatch(/\/dev\/dri/);
    },
  );

  it("is libvirt's to refuse on a model other than virtio: its own validation runs at definition", async () => {
    const xml = VGA_GUEST.replace('<name>plain</name>', '<name>gl-vga</name>').replace(
      "<model type='vga'/>",
      "<model type='vga'><acceleration accel3d='yes'/></model>",
    );
    const refused = await define(xml).then(
      () => '',
      (e: { text?: string }) => e.text ?? String(e),
    );
    expect(refused).toMatch(/3d acceleration is supported only with 'virtio'/);
  });
});
