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
