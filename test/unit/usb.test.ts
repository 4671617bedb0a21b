import { describe, expect, it } from 'vitest';
import { hostdevXml, usbHostdevsIn } from '../../service/libvirt/hostdev-xml.js';
import {
  parseRule,
  parseSwitcherSettings,
  ruleAttributes,
  serializeSwitcherSettings,
  validateRule,
  type UsbRule,
} from '../../service/libvirt/switcher-metadata.js';
import { metadataElement } from '../../service/libvirt/domain-xml.js';
import { validateDevicesXml } from '../support/validate-xml.js';
import { xmlParser } from '../../service/xml/plain.js';
import { ruleDictionary } from '../../service/api/guest-object.js';
import { matchFor, ruleMatches, sameMatch } from '../../service/usb/rules.js';
import {
  classesOf,
  displayName,
  usbDeviceIdFromPath,
  usbDevicePath,
  type UsbDeviceInfo,
} from '../../service/usb/usb-device.js';
import {
  leavesHostWithoutInput,
  onFocusChanged,
  onGuestStarted,
  onPlugged,
  type GuestRules,
} from '../../service/usb/usb-policy.js';
import { UdevEventParser } from '../../service/usb/udev-monitor.js';

const device = (
  id: string,
  vendor: string,
  product: string,
  classes: UsbDeviceInfo['classes'],
  serial = '',
  devnum = 5,
): UsbDeviceInfo => ({
  id,
  busnum: 1,
  devnum,
  vendor,
  product,
  manufacturer: 'Maker',
  productName: 'Thing',
  serial,
  classes,
});

const keyboard = device('1-1.2', '413c', '2113', ['keyboard']);
const receiver = device('1-3', '046d', 'c52b', ['keyboard', 'mouse']);
const mouse = device('1-4', '046d', 'c077', ['mouse']);
const stickA = device('1-5', '0781', '5567', ['storage'], '4C530001', 7);
const stickB = device('1-6', '0781', '5567', ['storage'], '4C530002', 8);

describe('what a USB device is', () => {
  it('reads keyboards and mice from HID boot protocols, and the rest from classes', () => {
    expect(classesOf(0, [[3, 1, 1]])).toEqual(['keyboard']);
    expect(
      classesOf(0, [
        [3, 1, 1],
        [3, 1, 2],
        [3, 0, 0],
      ]),
    ).toEqual(['keyboard', 'mouse']);
    expect(classesOf(0, [[8, 6, 0x50]])).toEqual(['storage']);
    expect(classesOf(9, [])).toEqual(['hub']);
    expect(
      classesOf(0, [
        [1, 1, 0],
        [1, 2, 0],
        [3, 0, 0],
      ]),
    ).toEqual(['hid', 'audio']);
  });

  it('is named as it names itself, and addressed by its port', () => {
    expect(
      displayName({ manufacturer: 'Logitech', productName: 'USB Receiver', vendor: '046d', product: 'c52b' }),
    ).toBe('Logitech USB Receiver');
    expect(
      displayName({ manufacturer: 'SanDisk', productName: 'SanDisk Cruzer Blade', vendor: '0781', product: '5567' }),
    ).toBe('SanDisk Cruzer Blade');
    expect(displayName({ manufacturer: '', productName: '', vendor: '1234', product: 'abcd' })).toBe(
      'USB device 1234:abcd',
    );
    expect(usbDevicePath('3-1.4')).toBe('/me/phyllo/Switcher1/usb/3_1_4');
    expect(usbDeviceIdFromPath(usbDevicePath('3-1.4'))).toBe('3-1.4');
    expect(usbDeviceIdFromPath('/me/phyllo/Switcher1/guest/x')).toBeUndefined();
    expect(usbDeviceIdFromPath('/me/phyllo/Switcher1/usb/0_1')).toBeUndefined();
  });
});

describe('hostdev XML', () => {
  it('names the exact device by address and lets the guest start without it, valid for libvirt', () => {
    const xml = hostdevXml({ vendor: '0781', product: '5567', bus: 1, device: 8 });
    expect(xml).toBe(
      '<hostdev mode="subsystem" type="usb" managed="yes"><source startupPolicy="optional"><vendor id="0x0781"/><product id="0x5567"/><address bus="1" device="8"/></source></hostdev>',
    );
    expect(validateDevicesXml(xml)).toEqual({ status: 0, output: 'FILE validates' });
  });

  it('refuses values that are not ids or addresses', () => {
    expect(() => hostdevXml({ vendor: '0781"/><x', product: '5567', bus: 1, device: 8 })).toThrow(
      /not a USB vendor:product/,
    );
    expect(() => hostdevXml({ vendor: '0781', product: '5567', bus: 0, device: 8 })).toThrow(/not a USB address/);
    expect(() => hostdevXml({ vendor: '0781', product: '5567', bus: 1, device: 128 })).toThrow(/not a USB address/);
  });

  it('reads back USB host devices from a domain, whatever libvirt adds around them', () => {
    const devices = xmlParser.parse(`<devices>
      <hostdev mode='subsystem' type='usb' managed='yes'><source startupPolicy='optional'><vendor id='0x046d'/><product id='0xc52b'/><address bus='1' device='4'/></source><alias name='hostdev0'/></hostdev>
      <hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>
    </devices>`).devices;
    expect(usbHostdevsIn(devices)).toEqual([{ vendor: '046d', product: 'c52b', bus: 1, device: 4 }]);
  });
});

describe('USB rules', () => {
  const always = (match: UsbRule['match']): UsbRule => ({ mode: 'always', match });

  it('match by vendor and product, by serial when given, or by port', () => {
    const bySerial = always({ kind: 'device', vendor: '0781', product: '5567', serial: '4C530002' });
    expect([stickA, stickB].filter((d) => ruleMatches(bySerial, d))).toEqual([stickB]);
    const anyStick = always({ kind: 'device', vendor: '0781', product: '5567', serial: '' });
    expect([stickA, stickB].filter((d) => ruleMatches(anyStick, d))).toEqual([stickA, stickB]);
    expect(ruleMatches(always({ kind: 'port', port: '1-5' }), stickA)).toBe(true);
    expect(ruleMatches(always({ kind: 'port', port: '1-5' }), stickB)).toBe(false);
  });

  it('match a device only when vendor and product both agree', () => {
    const other = (vendor: string, product: string): UsbRule => always({ kind: 'device', vendor, product, serial: '' });
    expect(ruleMatches(other('0781', '5567'), stickA)).toBe(true);
    expect(ruleMatches(other('046d', '5567'), stickA)).toBe(false);
    expect(ruleMatches(other('0781', 'c52b'), stickA)).toBe(false);
    expect(ruleMatches(always({ kind: 'device', vendor: '046d', product: 'c52b', serial: '4C530001' }), stickA)).toBe(
      false,
    );
  });

  it('are made from a device by its port, or by its ids and serial', () => {
    expect(matchFor(stickA, 'port')).toEqual({ kind: 'port', port: '1-5' });
    expect(matchFor(stickB, 'device')).toEqual({ kind: 'device', vendor: '0781', product: '5567', serial: '4C530002' });
    // What a rule is made from, it matches; the other stick only when the rule goes by ids and they have no serial.
    expect(ruleMatches(always(matchFor(stickA, 'port')), stickB)).toBe(false);
    expect(ruleMatches(always(matchFor(stickA, 'device')), stickA)).toBe(true);
    expect(ruleMatches(always(matchFor(stickA, 'device')), stickB)).toBe(false);
  });

  it('are the same when they match alike: same kind, and every field equal', () => {
    const port = { kind: 'port', port: '1-5' } as const;
    const ids = { kind: 'device', vendor: '0781', product: '5567', serial: '' } as const;
    expect(sameMatch(port, { ...port })).toBe(true);
    expect(sameMatch(port, { kind: 'port', port: '1-6' })).toBe(false);
    expect(sameMatch(port, ids)).toBe(false);
    expect(sameMatch(ids, port)).toBe(false);
    expect(sameMatch(ids, { ...ids })).toBe(true);
    expect(sameMatch(ids, { ...ids, vendor: '046d' })).toBe(false);
    expect(sameMatch(ids, { ...ids, product: 'c52b' })).toBe(false);
    expect(sameMatch(ids, { ...ids, serial: '4C530001' })).toBe(false);
  });

  // Serials are whatever devices report: a USB network adapter's MAC, spaces, accents, quotes, controls.
  const SERIALS = [
    'ABC',
    '00:E0:4C:68:00:01',
    '4C53 0001 2303 1412',
    ' padded ',
    'Größe ü ✓',
    `a"b'c<d>&e`,
    'tab\there\n',
  ];

  it.each(SERIALS)('round-trip serial %j exactly through the metadata libvirt keeps', (serial) => {
    const rule: UsbRule = { mode: 'follow-focus', match: { kind: 'device', vendor: '046d', product: 'c52b', serial } };
    expect(parseRule(ruleAttributes(rule))).toEqual(rule);
    // Through XML text and back, as libvirt stores it.
    const xml = serializeSwitcherSettings({ monitor: '', headMonitors: [], seat: '', usbRules: [rule] });
    const metadata = xmlParser.parse(
      `<metadata>${xml
        .replace('<switcher>', '<phyllome:switcher xmlns:phyllome="https://phyllo.me/xmlns/switcher/1">')
        .replace('</switcher>', '</phyllome:switcher>')
        .replace(/<usb-rule/g, '<phyllome:usb-rule')}</metadata>`,
    ).metadata;
    const settings = parseSwitcherSettings(metadataElement(metadata, 'https://phyllo.me/xmlns/switcher/1'));
    expect(settings.usbRules).toEqual([rule]);
    expect(ruleDictionary(rule)).toEqual({
      mode: 'follow-focus',
      match_by: 'device',
      vendor: '046d',
      product: 'c52b',
      serial,
    });
  });

  it('show on the bus as dictionaries: no separator for a serial to break', () => {
    expect(ruleDictionary({ mode: 'ask', match: { kind: 'port', port: '1-1.2' } })).toEqual({
      mode: 'ask',
      match_by: 'port',
      port: '1-1.2',
    });
    expect(
      ruleDictionary({ mode: 'always', match: { kind: 'device', vendor: '0781', product: '5567', serial: '' } }),
    ).toEqual({ mode: 'always', match_by: 'device', vendor: '0781', product: '5567' });
  });

  it('never trust malformed metadata, and refuse malformed requests', () => {
    expect(parseRule({ '@_mode': 'always', '@_vendor': 'zzzz', '@_product': '1234' })).toBeUndefined();
    expect(parseRule({ '@_mode': 'sometimes', '@_port': '1-2' })).toBeUndefined();
    expect(parseRule({ '@_mode': 'ask', '@_port': '../../x' })).toBeUndefined();
    expect(() =>
      validateRule({
        mode: 'always',
        match: { kind: 'device', vendor: '0781', product: '5567', serial: 'x'.repeat(256) },
      }),
    ).toThrow(/at most 255/);
  });
});

describe('where devices go', () => {
  const guest = (path: string, rules: UsbRule[], running = true): GuestRules => ({
    path,
    name: path.slice(1),
    running,
    rules,
  });
  const rule = (mode: UsbRule['mode'], d: UsbDeviceInfo): UsbRule => ({
    mode,
    match: { kind: 'device', vendor: d.vendor, product: d.product, serial: d.serial },
  });
  const host = (...devices: UsbDeviceInfo[]) => devices.map((d) => ({ device: d, owner: '' }));

  it('a replugged device goes back to its sticky guest, if that guest runs', () => {
    const win = guest('/win', [rule('always', stickA)]);
    expect(onPlugged(stickA, [win], '', host(stickA, keyboard, mouse))).toEqual({
      do: 'attach',
      device: stickA,
      guest: '/win',
    });
    expect(onPlugged(stickA, [{ ...win, running: false }], '', host(stickA))).toBeUndefined();
    expect(onPlugged(stickB, [win], '', host(stickB))).toBeUndefined(); // same model, other serial
  });

  it('follow-focus goes to the focused guest; ask asks', () => {
    const linux = guest('/linux', [rule('follow-focus', stickA)]);
    const win = guest('/win', [rule('ask', stickA)]);
    expect(onPlugged(stickA, [linux, win], '/linux', host(stickA))).toEqual({
      do: 'attach',
      device: stickA,
      guest: '/linux',
    });
    expect(onPlugged(stickA, [linux, win], '/win', host(stickA))).toEqual({ do: 'ask', device: stickA, guest: '/win' });
    expect(onFocusChanged('/linux', [linux, win], [{ device: stickA, owner: '/win' }])).toEqual([
      { do: 'attach', device: stickA, guest: '/linux' },
    ]);
    expect(onFocusChanged('', [linux, win], host(stickA))).toEqual([]);
  });

  it('a starting guest takes its sticky devices from the host', () => {
    const win = guest('/win', [rule('always', stickA), rule('always', stickB)]);
    expect(
      onGuestStarted(win, [
        { device: stickA, owner: '' },
        { device: stickB, owner: '/other' },
      ]),
    ).toEqual([{ do: 'attach', device: stickA, guest: '/win' }]);
  });

  it("never moves the host's last keyboard or pointer on its own", () => {
    const win = guest('/win', [rule('always', keyboard), rule('always', receiver)]);
    expect(leavesHostWithoutInput(keyboard, host(keyboard, mouse))).toBe('keyboard');
    expect(leavesHostWithoutInput(keyboard, host(keyboard, receiver))).toBeUndefined();
    expect(leavesHostWithoutInput(receiver, host(keyboard, receiver))).toBe('mouse');
    expect(onPlugged(keyboard, [win], '', host(keyboard, mouse))).toBeUndefined();
    expect(onGuestStarted(win, host(keyboard, receiver))).toEqual([{ do: 'attach', device: keyboard, guest: '/win' }]);
  });
});

describe('udev events', () => {
  it('come out of udevadm monitor --property blocks', () => {
    const parser = new UdevEventParser();
    const lines = [
      'monitor will print the received events for:',
      'UDEV - the event which udev sends out after rule processing',
      '',
      'UDEV  [1234.5678] add      /devices/pci0000:00/0000:00:14.0/usb1/1-2 (usb)',
      'ACTION=add',
      'DEVPATH=/devices/pci0000:00/0000:00:14.0/usb1/1-2',
      'SUBSYSTEM=usb',
      'DEVTYPE=usb_device',
      'BUSNUM=001',
      'DEVNUM=004',
      '',
    ];
    const events = lines.map((l) => parser.line(l)).filter(Boolean);
    expect(events).toEqual([
      {
        action: 'add',
        devpath: '/devices/pci0000:00/0000:00:14.0/usb1/1-2',
        properties: expect.objectContaining({ DEVTYPE: 'usb_device', BUSNUM: '001', DEVNUM: '004' }),
      },
    ]);
  });
});
