// The USB lab itself: fixtures are consistent, plugging shows in the fake
// sysfs, a udevadm monitor inside the world sees add/remove, and everything
// stops by PID.

import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { USB_FIXTURES, UsbLab } from '../support/usb-lab.js';

/** What udev's usb_id makes of a serial for ID_SERIAL_SHORT: whitespace runs as one '_', unsafe ASCII as '_'. */
function udevSerial(serial: string): string {
  const spaced = serial.trim().replace(/\s+/g, '_');
  return [...spaced].map((c) => ((c.codePointAt(0) ?? 0) > 0x7f || /[0-9A-Za-z#+\-.:=@_]/.test(c) ? c : '_')).join('');
}

const MONITOR = ['monitor', '--udev', '--property', '--subsystem-match=usb'];
const PCI = '/devices/pci0000:00/0000:00:14.0';

interface UEvent {
  action: string;
  devpath: string;
  props: Record<string, string>;
}

/** Parses `udevadm monitor --property` output into events. */
function parseMonitor(text: string): UEvent[] {
  const events: UEvent[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter(Boolean);
    const head = /^UDEV\s+\[[\d.]+\]\s+(\S+)\s+(\S+)\s+\(usb\)$/.exec(lines[0] ?? '');
    if (!head) continue;
    const props: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const eq = line.indexOf('=');
      if (eq > 0) props[line.slice(0, eq)] = line.slice(eq + 1);
    }
    events.push({ action: head[1] as string, devpath: head[2] as string, props });
  }
  return events;
}

async function waitForEvents(lab: UsbLab, pid: number, count: number, timeoutMs = 10_000): Promise<UEvent[]> {
  return lab.waitForOutputThat(
    pid,
    (text) => {
      // only whole blocks: the last one is complete once a blank line follows it
      const events = parseMonitor(text.slice(0, text.lastIndexOf('\n\n') + 1));
      return events.length >= count ? events : undefined;
    },
    `${count} events`,
    timeoutMs,
  );
}

function attr(lab: UsbLab, device: string, name: string): string {
  return readFileSync(join(lab.sysfsRoot, 'bus/usb/devices', device, name), 'utf8');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startMonitor(lab: UsbLab): Promise<number> {
  const pid = await lab.spawn('udevadm', MONITOR);
  await lab.waitForListener(pid);
  return pid;
}

let lab: UsbLab | undefined;
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});

describe('USB fixtures', () => {
  // Hand-edited files: keep each one's numbers agreeing with each other.
  const files = readdirSync(USB_FIXTURES).filter((f) => f.endsWith('.umockdev'));

  it.each(files)('%s is self-consistent', (file) => {
    const records = readFileSync(join(USB_FIXTURES, file), 'utf8')
      .trim()
      .split(/\n\s*\n/)
      .map((chunk) => {
        const lines = chunk.split('\n');
        const pick = (tag: string) =>
          Object.fromEntries(
            lines
              .filter((l) => l.startsWith(`${tag}: `))
              .map((l) => {
                const [key, ...rest] = l.slice(3).split('=');
                return [key as string, rest.join('=').replace(/\\n$/, '')];
              }),
          );
        return { path: (lines[0] as string).slice(3), E: pick('E'), A: pick('A'), H: pick('H') };
      });
    const devices = records.filter((r) => r.E.DEVTYPE === 'usb_device');
    expect(devices).toHaveLength(1);
    const dev = devices[0] as (typeof records)[number];
    const { A, E } = dev;
    const hex = (s: string | undefined) => parseInt(s ?? 'NaN', 16);
    expect(E.PRODUCT).toBe(
      `${hex(A.idVendor).toString(16)}/${hex(A.idProduct).toString(16)}/${hex(A.bcdDevice).toString(16)}`,
    );
    const devnum = Number(A.devnum);
    const busnum = Number(A.busnum);
    expect(E.DEVNAME).toBe(`/dev/bus/usb/${String(busnum).padStart(3, '0')}/${String(devnum).padStart(3, '0')}`);
    expect(E.BUSNUM).toBe(String(busnum).padStart(3, '0'));
    expect(E.DEVNUM).toBe(String(devnum).padStart(3, '0'));
    expect(A.dev).toBe(`189:${(busnum - 1) * 128 + devnum - 1}`);
    expect(E.MINOR).toBe(String((busnum - 1) * 128 + devnum - 1));
    expect(E.ID_VENDOR_ID).toBe(A.idVendor);
    expect(E.ID_MODEL_ID).toBe(A.idProduct);
    expect(E.ID_SERIAL_SHORT).toBe(A.serial === undefined ? undefined : udevSerial(A.serial));
    // sysfs name and devpath agree: usb1 is devpath 0, 1-1.2 is 1.2
    const name = dev.path.split('/').pop() as string;
    expect(name === `usb${busnum}` ? '0' : name.replace(/^\d+-/, '')).toBe(A.devpath);

    // the binary descriptors say what the text attributes say
    const d = Buffer.from(dev.H.descriptors ?? '', 'hex');
    expect(d.readUInt16LE(8).toString(16).padStart(4, '0')).toBe(A.idVendor);
    expect(d.readUInt16LE(10).toString(16).padStart(4, '0')).toBe(A.idProduct);
    expect(d.readUInt16LE(12).toString(16).padStart(4, '0')).toBe(A.bcdDevice);
    expect(d.readUInt16LE(18 + 2)).toBe(d.length - 18); // wTotalLength
    const fromDescriptors: string[] = [];
    for (let i = 18; i < d.length; i += d[i] as number)
      if (d[i + 1] === 4 && d[i + 3] === 0)
        fromDescriptors.push(
          [d[i + 5], d[i + 6], d[i + 7]].map((b) => (b as number).toString(16).padStart(2, '0')).join(''),
        );

    const interfaces = records.filter((r) => r.E.DEVTYPE === 'usb_interface');
    expect(interfaces).toHaveLength(Number(A.bNumInterfaces));
    const fromSysfs = interfaces.map((r) => `${r.A.bInterfaceClass}${r.A.bInterfaceSubClass}${r.A.bInterfaceProtocol}`);
    expect(fromSysfs).toEqual(fromDescriptors);
    expect(E.ID_USB_INTERFACES).toBe(`:${[...new Set(fromSysfs)].join(':')}:`);
    interfaces.forEach((r, n) => {
      expect(r.path).toBe(`${dev.path}/${name.startsWith('usb') ? `${busnum}-0` : name}:1.${n}`);
      expect(r.E.PRODUCT).toBe(E.PRODUCT);
      expect(r.E.INTERFACE).toBe(
        [r.A.bInterfaceClass, r.A.bInterfaceSubClass, r.A.bInterfaceProtocol].map((h) => hex(h)).join('/'),
      );
      expect(r.A.modalias).toBe(r.E.MODALIAS);
    });
  });
});

describe('USB lab', () => {
  it('shows plugged devices in the fake sysfs, readable by Node', async () => {
    const started = await UsbLab.start();
    lab = started;
    expect(await lab.add('xhci-root-hub')).toBe(PCI);
    expect(await lab.add('genesys-hub')).toBe(`${PCI}/usb1/1-1`);
    expect(await lab.add('k120-keyboard-on-hub')).toBe(`${PCI}/usb1/1-1/1-1.2`);

    const bus = join(lab.sysfsRoot, 'bus/usb/devices');
    expect(readdirSync(bus).sort()).toEqual(['1-0:1.0', '1-1', '1-1.2', '1-1.2:1.0', '1-1.2:1.1', '1-1:1.0', 'usb1']);
    expect(readlinkSync(join(bus, '1-1.2'))).toBe(`../../..${PCI}/usb1/1-1/1-1.2`);
    expect(attr(lab, '1-1.2', 'idVendor')).toBe('046d\n');
    expect(attr(lab, '1-1.2', 'idProduct')).toBe('c31c\n');
    expect(attr(lab, '1-1.2', 'devpath')).toBe('1.2\n');
    expect(attr(lab, '1-1.2', 'busnum') + attr(lab, '1-1.2', 'devnum')).toBe('1\n5\n');
    expect(existsSync(join(bus, '1-1.2', 'serial'))).toBe(false); // the real K120 has none
    expect(attr(lab, 'usb1', 'serial')).toBe('0000:00:14.0\n');
    expect(attr(lab, '1-1', 'bDeviceClass')).toBe('09\n');
    expect(attr(lab, '1-1', 'maxchild')).toBe('4\n');

    const interfaces = readdirSync(join(bus, '1-1.2')).filter((e) => e.startsWith('1-1.2:'));
    expect(interfaces).toEqual(['1-1.2:1.0', '1-1.2:1.1']);
    const classes = interfaces.map((i) =>
      ['bInterfaceClass', 'bInterfaceSubClass', 'bInterfaceProtocol'].map((a) => attr(started, i, a).trim()).join('/'),
    );
    expect(classes).toEqual(['03/01/01', '03/00/00']);
    expect(
      readlinkSync(join(bus, '1-1.2:1.0', 'driver'))
        .split('/')
        .pop(),
    ).toBe('usbhid');

    await lab.add('cruzer-blade-a');
    expect(attr(lab, '1-5', 'serial')).toBe('4C530001160623117361\n');
    expect(attr(lab, '1-5:1.0', 'bInterfaceClass') + attr(lab, '1-5:1.0', 'bInterfaceProtocol')).toBe('08\n50\n');
  });

  it('refuses what a real bus could not do', async () => {
    lab = await UsbLab.start();
    await expect(lab.add('logitech-mouse')).rejects.toThrow(/parent .*usb1 .* not plugged \(add xhci-root-hub first\)/);
    await expect(lab.add('no-such-device')).rejects.toThrow(/cannot read/);
    await lab.add('xhci-root-hub');
    await expect(lab.add('k120-keyboard-on-hub')).rejects.toThrow(/add genesys-hub first/);
    await lab.add('logitech-mouse');
    await expect(lab.add('logitech-mouse')).rejects.toThrow(/already plugged/);
    await expect(lab.remove('dell-kb216')).rejects.toThrow(/not plugged/);
    expect(await lab.plugged()).toEqual(['logitech-mouse', 'xhci-root-hub']);
  });

  it('lets a udevadm monitor inside the world see add and remove', async () => {
    lab = await UsbLab.start();
    await lab.add('xhci-root-hub');
    const monitor = await startMonitor(lab);

    let t = performance.now();
    await lab.add('unifying-receiver');
    const addMs = performance.now() - t;
    const added = await waitForEvents(lab, monitor, 4);
    expect(added.map((e) => `${e.action} ${e.devpath}`)).toEqual([
      `add ${PCI}/usb1/1-4`,
      `add ${PCI}/usb1/1-4/1-4:1.0`,
      `add ${PCI}/usb1/1-4/1-4:1.1`,
      `add ${PCI}/usb1/1-4/1-4:1.2`,
    ]);
    const device = added[0] as UEvent;
    expect(device.props).toMatchObject({
      ACTION: 'add',
      DEVPATH: `${PCI}/usb1/1-4`,
      SUBSYSTEM: 'usb',
      DEVTYPE: 'usb_device',
      DEVNAME: '/dev/bus/usb/001/006',
      BUSNUM: '001',
      DEVNUM: '006',
      PRODUCT: '46d/c52b/1211',
      ID_VENDOR_ID: '046d',
      ID_MODEL_ID: 'c52b',
      ID_SERIAL: 'Logitech_USB_Receiver',
      ID_USB_INTERFACES: ':030101:030102:030000:',
    });
    expect(added.slice(1).map((e) => [e.props.DEVTYPE, e.props.INTERFACE])).toEqual([
      ['usb_interface', '3/1/1'],
      ['usb_interface', '3/1/2'],
      ['usb_interface', '3/0/0'],
    ]);
    const seqnums = added.map((e) => Number(e.props.SEQNUM));
    expect(seqnums).toEqual([...seqnums].sort((a, b) => a - b));

    t = performance.now();
    await lab.remove('unifying-receiver');
    const removeMs = performance.now() - t;
    const all = await waitForEvents(lab, monitor, 8);
    expect(all.slice(4).map((e) => `${e.action} ${e.devpath.replace(`${PCI}/usb1/`, '')}`)).toEqual([
      'remove 1-4/1-4:1.0',
      'remove 1-4/1-4:1.1',
      'remove 1-4/1-4:1.2',
      'remove 1-4',
    ]);
    expect((all[7] as UEvent).props).toMatchObject({ ACTION: 'remove', BUSNUM: '001', DEVNUM: '006' });
    expect(existsSync(join(lab.sysfsRoot, 'bus/usb/devices/1-4'))).toBe(false);
    expect(existsSync(join(lab.umockdevDir, 'dev/bus/usb/001/006'))).toBe(false);
    console.log(`usb-lab: add (4 devices) ${addMs.toFixed(1)} ms, remove ${removeMs.toFixed(1)} ms`);
    console.log(`usb-lab: first event block:\n${lab.output(monitor).split('\n\n')[1]}`);
  });

  it('tells the two identical flash drives apart by port and serial', async () => {
    lab = await UsbLab.start();
    await lab.add('xhci-root-hub');
    const monitor = await startMonitor(lab);
    await lab.add('cruzer-blade-a');
    await lab.add('cruzer-blade-b');

    for (const a of ['idVendor', 'idProduct', 'bcdDevice', 'manufacturer', 'product'])
      expect(attr(lab, '1-5', a)).toBe(attr(lab, '1-6', a));
    expect(attr(lab, '1-5', 'serial')).not.toBe(attr(lab, '1-6', 'serial'));
    expect([attr(lab, '1-5', 'devnum'), attr(lab, '1-6', 'devnum')]).toEqual(['7\n', '8\n']);

    const events = (await waitForEvents(lab, monitor, 4)).filter((e) => e.props.DEVTYPE === 'usb_device');
    expect(events.map((e) => [e.devpath.split('/').pop(), e.props.PRODUCT, e.props.ID_SERIAL_SHORT])).toEqual([
      ['1-5', '781/5567/100', '4C530001160623117361'],
      ['1-6', '781/5567/100', '4C530001070328110344'],
    ]);

    await lab.remove('cruzer-blade-a');
    const removed = (await waitForEvents(lab, monitor, 6)).slice(4);
    expect(removed.map((e) => `${e.action} ${e.devpath.split('/').pop()}`)).toEqual(['remove 1-5:1.0', 'remove 1-5']);
    expect(removed[1]?.props.ID_SERIAL).toBe('SanDisk_Cruzer_Blade_4C530001160623117361');
    expect(readdirSync(join(lab.sysfsRoot, 'bus/usb/devices')).sort()).toEqual(['1-0:1.0', '1-6', '1-6:1.0', 'usb1']);
  });

  it('unplugs a hub with the keyboard behind it, children first, and can replay bind/unbind', async () => {
    lab = await UsbLab.start();
    await lab.add('xhci-root-hub');
    const first = await startMonitor(lab);
    const second = await startMonitor(lab); // two listeners at once: both must hear everything
    await lab.add('genesys-hub');
    await lab.add('k120-keyboard-on-hub', { bind: true });
    expect(await lab.remove('genesys-hub')).toEqual(['k120-keyboard-on-hub']);
    expect(await lab.plugged()).toEqual(['xhci-root-hub']);

    const short = (e: UEvent) => `${e.action} ${e.devpath.replace(`${PCI}/usb1/`, '')}`;
    const expected = [
      'add 1-1',
      'add 1-1/1-1:1.0',
      'add 1-1/1-1.2',
      'add 1-1/1-1.2/1-1.2:1.0',
      'bind 1-1/1-1.2/1-1.2:1.0',
      'add 1-1/1-1.2/1-1.2:1.1',
      'bind 1-1/1-1.2/1-1.2:1.1',
      'bind 1-1/1-1.2',
      'remove 1-1/1-1.2/1-1.2:1.0',
      'remove 1-1/1-1.2/1-1.2:1.1',
      'remove 1-1/1-1.2',
      'remove 1-1/1-1:1.0',
      'remove 1-1',
    ];
    expect((await waitForEvents(lab, first, expected.length)).map(short)).toEqual(expected);
    expect((await waitForEvents(lab, second, expected.length)).map(short)).toEqual(expected);
  });

  it('stops every process by PID and leaves nothing behind', async () => {
    const started = await UsbLab.start();
    lab = started;
    await started.add('xhci-root-hub');
    const monitor = await startMonitor(started);
    const sleeper = await started.spawn('sleep', ['300']);
    const printer = await started.spawn('sh', ['-c', 'echo "$GREETING from $UMOCKDEV_DIR"'], { GREETING: "it's me" });
    await started.waitForOutput(printer, /it's me from \/\S+/);
    expect(started.output(printer).trim()).toBe(`it's me from ${started.umockdevDir}`);
    expect(await started.status(sleeper)).toBe('running');
    expect(await started.kill(sleeper)).toBe(-15);
    expect(alive(sleeper)).toBe(false);
    expect(await started.status(printer)).toBe(0);
    await expect(started.kill(1)).rejects.toThrow(/not spawned by this lab/);

    const labPid = started.process.pid;
    await started.stop();
    expect(alive(monitor)).toBe(false);
    expect(alive(labPid)).toBe(false);
    expect(existsSync(started.umockdevDir)).toBe(false);
  });
});
