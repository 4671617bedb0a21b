import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { introspectionXml, loadContract, parseInterfaceXml } from '../../service/contract/interface-xml.js';

describe('the contract', () => {
  const contract = loadContract();

  it('declares the Manager, Guest, UsbDevice, Seat and Job interfaces', () => {
    expect([...contract.keys()]).toEqual([
      'me.phyllo.Switcher1.Manager',
      'me.phyllo.Switcher1.Guest',
      'me.phyllo.Switcher1.UsbDevice',
      'me.phyllo.Switcher1.Seat',
      'me.phyllo.Switcher1.Job',
    ]);
    const guest = contract.get('me.phyllo.Switcher1.Guest');
    expect(guest?.methods.get('Shutdown')).toMatchObject({ inSignature: 'u', outSignature: 'b' });
    expect(guest?.properties.get('Uuid')?.emitsChanged).toBe('const');
    expect(guest?.properties.get('State')).toMatchObject({ type: 's', access: 'read', emitsChanged: 'true' });
  });

  it('survives a round trip through introspection XML', () => {
    const again = parseInterfaceXml(introspectionXml([...contract.values()], ['guest']));
    for (const [name, spec] of contract) {
      const copy = again.get(name);
      expect([...(copy?.methods.values() ?? [])]).toEqual([...spec.methods.values()]);
      expect([...(copy?.properties.values() ?? [])]).toEqual([...spec.properties.values()]);
      expect([...(copy?.signals.values() ?? [])]).toEqual([...spec.signals.values()]);
    }
  });

  it('refuses a property without access', () => {
    expect(() =>
      parseInterfaceXml('<node><interface name="a.b"><property name="X" type="s"/></interface></node>'),
    ).toThrow(/valid access/);
  });
});

describe("the host-wide service's system bus policy (data/me.phyllo.Switcher1.conf)", () => {
  // dbus-daemon refuses what the policy does not name before the service sees it: a new interface
  // or a writable property left out of the policy is a method nobody but root can call.
  const conf = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
    readFileSync(resolve(import.meta.dirname, '../../data/me.phyllo.Switcher1.conf'), 'utf8'),
  ) as { busconfig: { policy: { context?: string; allow: Record<string, string>[] }[] } };
  const open = conf.busconfig.policy.find((p) => p.context === 'default')?.allow ?? [];
  const allowed = (iface: string, member?: string): boolean =>
    open.some(
      (rule) =>
        rule.send_destination === 'me.phyllo.Switcher1' &&
        rule.send_interface === iface &&
        (rule.send_member === undefined || rule.send_member === member),
    );

  it('lets everybody call every interface of the contract', () => {
    for (const name of loadContract().keys()) expect(allowed(name), name).toBe(true);
    expect(allowed('org.freedesktop.DBus.ObjectManager')).toBe(true);
  });

  it('lets everybody read properties, and set them where the contract has a writable one', () => {
    expect(allowed('org.freedesktop.DBus.Properties', 'GetAll')).toBe(true);
    const writable = [...loadContract().values()].some((spec) =>
      [...spec.properties.values()].some((property) => property.access !== 'read'),
    );
    expect(allowed('org.freedesktop.DBus.Properties', 'Set')).toBe(writable);
  });
});
