// USB in the service, on recorded devices replayed by umockdev (this machine
// has no USB bus): the inventory from sysfs, hot-plug from udev events, the
// UsbDevice objects against the contract, rules kept in libvirt, owners read
// from a guest's live XML, and every refusal typed.

import { Variant } from '@jellybrick/dbus-next';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadContract, type InterfaceSpec } from '../../service/contract/interface-xml.js';
import { CallCounter } from '../support/bus-monitor.js';
import { ServiceStack } from '../support/stack.js';
import { GUEST, MANAGER, MANAGER_PATH, propertiesChanged } from '../support/dbus-client.js';
import { defineTestGuest, libvirtCall, switcherMetadata } from '../support/libvirt.js';
import { UsbLab } from '../support/usb-lab.js';
import { startServiceInLab, type LabService } from '../support/usb-service.js';

const USB = 'me.phyllo.Switcher1.UsbDevice';
const ERR = 'me.phyllo.Switcher1.Error';
const at = (port: string): string => `/me/phyllo/Switcher1/usb/${port.replace(/[-.]/g, '_')}`;

let stack: ServiceStack;
let lab: UsbLab;
let service: LabService;
let test: string;

beforeAll(async () => {
  stack = await ServiceStack.start({ withService: false });
  lab = await UsbLab.start({ group: stack.group });
  for (const name of [
    'xhci-root-hub',
    'genesys-hub',
    'k120-keyboard-on-hub',
    'logitech-mouse',
    'cruzer-blade-a',
    'cruzer-blade-b',
  ]) {
    await lab.add(name);
  }
  service = await startServiceInLab(stack, lab);
  await stack.client.watch();
  test = await stack.client.guestByName('test');
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await lab?.stop();
  await stack?.stop();
});

const list = async (): Promise<string[]> =>
  (await stack.client.service(MANAGER_PATH, MANAGER, 'ListUsbDevices'))[0] as string[];

describe('the inventory', () => {
  it('lists the devices in sysfs, hubs and all but the root hub, by port', async () => {
    expect(await list()).toEqual(['1-1', '1-1.2', '1-3', '1-5', '1-6'].map(at));
  });

  it('says what each is, as the device names itself', async () => {
    expect(await stack.client.properties(at('1-1.2'), USB)).toEqual({
      Vendor: '046d',
      Product: 'c31c',
      Name: 'Logitech USB Keyboard',
      Serial: '',
      Port: '1-1.2',
      Classes: ['keyboard'],
      Owner: '',
    });
    expect(await stack.client.property(at('1-3'), USB, 'Classes')).toEqual(['mouse']);
    expect(await stack.client.property(at('1-1'), USB, 'Classes')).toEqual(['hub']);
  });

  it('tells two identical drives apart by port and serial', async () => {
    const a = await stack.client.properties(at('1-5'), USB);
    const b = await stack.client.properties(at('1-6'), USB);
    expect([a.Vendor, a.Product]).toEqual([b.Vendor, b.Product]);
    expect(a.Serial).not.toBe(b.Serial);
    expect([a.Port, b.Port]).toEqual(['1-5', '1-6']);
  });

  it('has exactly the contract properties, of the contract types', async () => {
    const spec = loadContract().get(USB) as InterfaceSpec;
    const [all] = (await stack.client.service(at('1-5'), 'org.freedesktop.DBus.Properties', 'GetAll', 's', [USB])) as [
      Record<string, Variant>,
    ];
    expect(Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.signature]))).toEqual(
      Object.fromEntries([...spec.properties.values()].map((p) => [p.name, p.type])),
    );
  });
});

describe('hot-plug', () => {
  it('announces a device plugged in and one pulled out, from udev events', async () => {
    const from = stack.client.signals.length;
    await lab.add('unifying-receiver');
    const added = await stack.client.waitForSignal((s) => s.member === 'UsbDeviceAdded', 5_000, from);
    expect(added.body).toEqual([at('1-4')]);
    // Its interfaces come after it, as from the kernel: it is known for a keyboard and a mouse once they are there.
    await stack.client.waitForPropertyThat<string[]>(
      at('1-4'),
      'Classes',
      (classes) => String(classes) === 'keyboard,mouse',
      {
        iface: USB,
        wanted: 'keyboard,mouse',
      },
    );
    expect(await stack.client.property(at('1-4'), USB, 'Classes')).toEqual(['keyboard', 'mouse']);
    await lab.remove('unifying-receiver');
    const removed = await stack.client.waitForSignal((s) => s.member === 'UsbDeviceRemoved', 5_000, from);
    expect(removed.body).toEqual([at('1-4')]);
    expect(await list()).not.toContain(at('1-4'));
    expect(await stack.client.errorOf(at('1-4'), USB, 'Detach')).toBe(`${ERR}.NoSuchDevice`);
  });

  it('takes away what was behind a hub when the hub goes', async () => {
    const from = stack.client.signals.length;
    await lab.remove('genesys-hub');
    await stack.client.waitForSignal((s) => s.member === 'UsbDeviceRemoved' && s.body[0] === at('1-1'), 5_000, from);
    await stack.client.waitForSignal((s) => s.member === 'UsbDeviceRemoved' && s.body[0] === at('1-1.2'), 5_000, from);
    await lab.add('genesys-hub');
    await lab.add('k120-keyboard-on-hub');
    await stack.client.waitForSignal((s) => s.member === 'UsbDeviceAdded' && s.body[0] === at('1-1.2'), 5_000, from);
  });
});

describe('refusals', () => {
  it('are typed and change nothing', async () => {
    const off = await defineTestGuest(stack, 'off');
    const offPath = `/me/phyllo/Switcher1/guest/${off.replace(/-/g, '_')}`;
    await stack.client.waitForProperty(offPath, 'State', 'shutoff');
    expect(await stack.client.errorOf(at('1-5'), USB, 'Attach', 'o', ['/me/phyllo/Switcher1/guest/nope'])).toBe(
      `${ERR}.NoSuchGuest`,
    );
    expect(await stack.client.errorOf(at('1-5'), USB, 'Attach', 'o', [offPath])).toBe(`${ERR}.InvalidState`);
    expect(await stack.client.errorOf(at('1-5'), USB, 'Detach')).toBe(`${ERR}.InvalidState`);
    expect(await stack.client.errorOf(at('1-5'), USB, 'SetRule', 'oss', [test, 'sometimes', 'device'])).toBe(
      `${ERR}.InvalidArgument`,
    );
    expect(await stack.client.errorOf(at('1-5'), USB, 'SetRule', 'oss', [test, 'always', 'colour'])).toBe(
      `${ERR}.InvalidArgument`,
    );
    expect(await stack.client.errorOf(at('9-9'), USB, 'Detach')).toBe(`${ERR}.NoSuchDevice`);
    expect(await stack.client.property(at('1-5'), USB, 'Owner')).toBe('');
  });

  it("keep the host's last keyboard and pointer unless forced", async () => {
    expect(await stack.client.errorOf(at('1-1.2'), USB, 'Attach', 'o', [test])).toBe(`${ERR}.LastInputDevice`);
    expect(await stack.client.errorOf(at('1-3'), USB, 'Attach', 'o', [test])).toBe(`${ERR}.LastInputDevice`);
    // Forced, it goes to libvirt, whose test driver cannot hot-plug: its own refusal comes back.
    expect(await stack.client.errorOf(at('1-3'), USB, 'ForceAttach', 'o', [test])).toBe(`${ERR}.Libvirt`);
    expect(await stack.client.property(at('1-3'), USB, 'Owner')).toBe('');
  });
});

describe('rules', () => {
  const askOnDevice = (): Promise<unknown[]> =>
    stack.client.service(at('1-6'), USB, 'SetRule', 'oss', [test, 'ask', 'device']);
  const alwaysOnPort = (): Promise<unknown[]> =>
    stack.client.service(at('1-5'), USB, 'SetRule', 'oss', [test, 'always', 'port']);
  // Each test sets the rules it needs; none is left for the next.
  afterEach(async () => {
    await stack.client.service(at('1-6'), USB, 'SetRule', 'oss', [test, '', 'device']);
    await stack.client.service(at('1-5'), USB, 'SetRule', 'oss', [test, '', 'port']);
  });

  it("are kept in the guest's libvirt metadata and shown on the guest", async () => {
    const serial = (await stack.client.property(at('1-6'), USB, 'Serial')) as string;
    await askOnDevice();
    await alwaysOnPort();
    expect(await stack.client.property(test, GUEST, 'UsbRules')).toEqual([
      { mode: 'ask', match_by: 'device', vendor: '0781', product: '5567', serial },
      { mode: 'always', match_by: 'port', port: '1-5' },
    ]);
    const metadata = await switcherMetadata(stack, 'test');
    expect(metadata).toContain(`<usb-rule mode="ask" vendor="0781" product="5567" serial="${serial}"/>`);
    expect(metadata).toContain('<usb-rule mode="always" port="1-5"/>');
  });

  it('ask the Shell when a matching device is plugged in', async () => {
    await askOnDevice();
    const from = stack.client.signals.length;
    await lab.remove('cruzer-blade-b');
    await lab.add('cruzer-blade-b');
    const ask = await stack.client.waitForSignal((s) => s.member === 'UsbAttachRequested', 5_000, from);
    expect(ask.body).toEqual([at('1-6'), test]);
  });

  it('give a replugged device back to its sticky guest (here libvirt is asked, and its test driver refuses)', async () => {
    await alwaysOnPort();
    const [testDomain] = await libvirtCall(
      stack,
      '/org/libvirt/Test',
      'org.libvirt.Connect',
      'DomainLookupByName',
      's',
      ['test'],
    );
    const libvirt = await CallCounter.startForAll(stack.group, stack.bus.address, 'org.libvirt');
    try {
      await lab.remove('cruzer-blade-a');
      await lab.add('cruzer-blade-a');
      // The bus saw the service ask libvirt to plug it into the rule's guest; the test driver said no.
      expect(await libvirt.waitForCall('AttachDevice')).toBe(testDomain);
      expect(libvirt.count('AttachDevice')).toBe(1);
      expect(await stack.client.property(at('1-5'), USB, 'Owner')).toBe('');
    } finally {
      await libvirt.stop();
    }
  });

  it('can be removed', async () => {
    await askOnDevice();
    await alwaysOnPort();
    expect(await stack.client.property(test, GUEST, 'UsbRules')).toHaveLength(2);
    await stack.client.service(at('1-6'), USB, 'SetRule', 'oss', [test, '', 'device']);
    await stack.client.service(at('1-5'), USB, 'SetRule', 'oss', [test, '', 'port']);
    expect(await stack.client.property(test, GUEST, 'UsbRules')).toEqual([]);
  });
});

describe('owners', () => {
  it("come from a running guest's live XML, and Detach's refusal by libvirt changes nothing", async () => {
    // A guest that already holds drive B (bus 1, device 8), as libvirt would after a hot-plug.
    const from = stack.client.signals.length;
    const xml = `<domain type='test'><name>holder</name><memory>65536</memory><os><type>hvm</type></os><devices>
      <hostdev mode='subsystem' type='usb' managed='yes'><source startupPolicy='optional'><vendor id='0x0781'/><product id='0x5567'/><address bus='1' device='8'/></source></hostdev>
    </devices></domain>`;
    const [libvirtPath] = await libvirtCall(stack, '/org/libvirt/Test', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
      xml,
    ]);
    await stack.client.waitForSignal((s) => s.member === 'GuestAdded', 5_000, from);
    const holder = await stack.client.guestByName('holder');
    await libvirtCall(stack, libvirtPath as string, 'org.libvirt.Domain', 'Create', 'u', [0]);
    await stack.client.waitForSignal(propertiesChanged(at('1-6'), 'Owner', holder), 5_000, from);
    expect(await stack.client.property(at('1-5'), USB, 'Owner')).toBe('');
    expect(await stack.client.errorOf(at('1-6'), USB, 'Attach', 'o', [test])).toBe(`${ERR}.InvalidState`);
    expect(await stack.client.errorOf(at('1-6'), USB, 'Detach')).toBe(`${ERR}.Libvirt`);
    expect(await stack.client.property(at('1-6'), USB, 'Owner')).toBe(holder);
    await libvirtCall(stack, libvirtPath as string, 'org.libvirt.Domain', 'Destroy', 'u', [0]);
    await stack.client.waitForSignal(propertiesChanged(at('1-6'), 'Owner', ''), 5_000, from);
  });
});

describe('owners by identity', () => {
  it('need vendor and product to match as well as the address: a stale <hostdev> claims nothing', async () => {
    // A guest defined with a receiver (046d:c52b) at bus 1 device 8, where a Cruzer stick (0781:5567) now is.
    const from = stack.client.signals.length;
    const xml = `<domain type='test'><name>stale</name><memory>65536</memory><os><type>hvm</type></os><devices>
      <hostdev mode='subsystem' type='usb' managed='yes'><source startupPolicy='optional'><vendor id='0x046d'/><product id='0xc52b'/><address bus='1' device='8'/></source></hostdev>
    </devices></domain>`;
    const [libvirtPath] = await libvirtCall(stack, '/org/libvirt/Test', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
      xml,
    ]);
    await stack.client.waitForSignal((s) => s.member === 'GuestAdded', 5_000, from);
    await libvirtCall(stack, libvirtPath as string, 'org.libvirt.Domain', 'Create', 'u', [0]);
    const stale = await stack.client.guestByName('stale');
    await stack.client.waitForProperty(stale, 'State', 'running');
    expect(await stack.client.property(at('1-6'), USB, 'Owner')).toBe('');
    // The host keeps both its keyboard and mouse counted: giving the stick away is not refused as the last input.
    expect(await stack.client.errorOf(at('1-6'), USB, 'Attach', 'o', [stale])).not.toBe(`${ERR}.LastInputDevice`);
    await libvirtCall(stack, libvirtPath as string, 'org.libvirt.Domain', 'Destroy', 'u', [0]);
  });
});

describe('a device unplugged while a guest has it', () => {
  it('has its <hostdev> taken out of the guest (here libvirt is asked, and its test driver refuses)', async () => {
    const from = stack.client.signals.length;
    const xml = `<domain type='test'><name>holder-a</name><memory>65536</memory><os><type>hvm</type></os><devices>
      <hostdev mode='subsystem' type='usb' managed='yes'><source startupPolicy='optional'><vendor id='0x0781'/><product id='0x5567'/><address bus='1' device='7'/></source></hostdev>
    </devices></domain>`;
    const [libvirtPath] = await libvirtCall(stack, '/org/libvirt/Test', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
      xml,
    ]);
    await stack.client.waitForSignal((s) => s.member === 'GuestAdded', 5_000, from);
    const holder = await stack.client.guestByName('holder-a');
    await libvirtCall(stack, libvirtPath as string, 'org.libvirt.Domain', 'Create', 'u', [0]);
    await stack.client.waitForSignal(propertiesChanged(at('1-5'), 'Owner', holder), 5_000, from);
    const libvirt = await CallCounter.startForAll(stack.group, stack.bus.address, 'org.libvirt');
    try {
      await lab.remove('cruzer-blade-a');
      // The bus saw the service ask libvirt to take the <hostdev> out of the guest that had it.
      expect(await libvirt.waitForCall('DetachDevice')).toBe(libvirtPath);
      expect(libvirt.count('DetachDevice')).toBe(1);
    } finally {
      await libvirt.stop();
    }
    await lab.add('cruzer-blade-a');
    await libvirtCall(stack, libvirtPath as string, 'org.libvirt.Domain', 'Destroy', 'u', [0]);
  });
});

describe('serials exactly as devices report them', () => {
  const VARIANTS: [fixture: string, port: string, serial: string][] = [
    ['cruzer-blade-spaces', '1-8', '4C53 0001 2303 1412'],
    ['cruzer-blade-colons', '1-9', '00:E0:4C:68:00:01'],
    ['cruzer-blade-00', '1-10', '00'],
    ['cruzer-blade-accents', '1-11', 'Größe ✓ № 7'],
  ];

  beforeAll(async () => {
    for (const [fixture, port] of VARIANTS) {
      await lab.add(fixture);
      await stack.client.waitForSignal((s) => s.member === 'UsbDeviceAdded' && s.body[0] === at(port), 5_000);
    }
  });

  it.each(VARIANTS)('%s: the serial shows as it is, and a device rule keeps it', async (_fixture, port, serial) => {
    expect(await stack.client.property(at(port), USB, 'Serial')).toBe(serial);
    await stack.client.service(at(port), USB, 'SetRule', 'oss', [test, 'ask', 'device']);
    const rules = (await stack.client.property(test, GUEST, 'UsbRules')) as Record<string, string>[];
    expect(rules).toContainEqual({ mode: 'ask', match_by: 'device', vendor: '0781', product: '5567', serial });
    await stack.client.service(at(port), USB, 'SetRule', 'oss', [test, '', 'device']);
    expect(await stack.client.property(test, GUEST, 'UsbRules')).toEqual([]);
  });

  it('asks for the device a rule names, not for another of the same model whose serial is part of it', async () => {
    await stack.client.service(at('1-9'), USB, 'SetRule', 'oss', [test, 'ask', 'device']);
    let from = stack.client.signals.length;
    await lab.remove('cruzer-blade-00');
    await lab.add('cruzer-blade-00');
    await stack.client.waitForSignal((s) => s.member === 'UsbDeviceAdded' && s.body[0] === at('1-10'), 5_000, from);
    await lab.remove('cruzer-blade-colons');
    await lab.add('cruzer-blade-colons');
    const ask = await stack.client.waitForSignal((s) => s.member === 'UsbAttachRequested', 5_000, from);
    expect(ask.body).toEqual([at('1-9'), test]);
    expect(stack.client.signals.slice(from).filter((s) => s.member === 'UsbAttachRequested')).toHaveLength(1);
    from = stack.client.signals.length;
    await stack.client.service(at('1-9'), USB, 'SetRule', 'oss', [test, '', 'device']);
  });

  // Two of the devices above.
  it('keep every change, written at once: rules for two devices and a monitor, all in the same moment', async () => {
    await Promise.all([
      stack.client.service(at('1-8'), USB, 'SetRule', 'oss', [test, 'always', 'device']),
      stack.client.service(at('1-11'), USB, 'SetRule', 'oss', [test, 'follow-focus', 'port']),
      stack.client.service(test, GUEST, 'SetMonitor', 's', ['HDMI-A-1']),
    ]);
    const rules = (await stack.client.property(test, GUEST, 'UsbRules')) as Record<string, string>[];
    expect(rules).toHaveLength(2);
    expect(rules).toContainEqual({
      mode: 'always',
      match_by: 'device',
      vendor: '0781',
      product: '5567',
      serial: '4C53 0001 2303 1412',
    });
    expect(rules).toContainEqual({ mode: 'follow-focus', match_by: 'port', port: '1-11' });
    expect(await stack.client.property(test, GUEST, 'Monitor')).toBe('HDMI-A-1');
    const metadata = await switcherMetadata(stack, 'test');
    expect(metadata).toContain('serial="4C53 0001 2303 1412"');
    expect(metadata).toContain('port="1-11"');
    expect(metadata).toContain('connector="HDMI-A-1"');
    await stack.client.service(at('1-8'), USB, 'SetRule', 'oss', [test, '', 'device']);
    await stack.client.service(at('1-11'), USB, 'SetRule', 'oss', [test, '', 'port']);
    await stack.client.service(test, GUEST, 'SetMonitor', 's', ['']);
  });
});
