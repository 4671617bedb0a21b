import { describe, expect, it } from 'vitest';
import { parseDomainXml } from '../../service/libvirt/domain-xml.js';

const base = (inner: string): string =>
  `<domain type='kvm'><name>win11</name><uuid>6695EB01-F6A4-8304-79AA-97F2502E193F</uuid>${inner}</domain>`;

describe('domain XML', () => {
  it('reads name, UUID, vCPUs, memory and the libosinfo id', () => {
    const xml = base(`
      <metadata>
        <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
          <libosinfo:os id="http://microsoft.com/win/11"/>
        </libosinfo:libosinfo>
      </metadata>
      <memory unit='KiB'>8388608</memory><currentMemory unit='KiB'>2097152</currentMemory>
      <vcpu placement='static' current='2'>4</vcpu>`);
    expect(parseDomainXml(xml)).toEqual({
      name: 'win11',
      uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f',
      vcpus: 2,
      memoryMiB: 8192n,
      osId: 'http://microsoft.com/win/11',
      settings: { monitor: '', headMonitors: [], usbRules: [], seat: '' },
      usbHostdevs: [],
      display: '',
      video: { model: '', heads: 1, resolution: [0, 0], accel3d: false, framebufferKiB: 0 },
    });
  });

  it('keeps names and values exactly as libvirt writes them: spaces, entities, character references', () => {
    const xml = `<domain type='kvm'>
  <name> padded &amp; &lt;odd&gt; &apos;n&apos; &#233;t&#xE9; </name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <memory unit='KiB'>1024</memory>
  <devices><graphics type='spice' autoport='yes'/><graphics type='vnc'/></devices>
</domain>`;
    const facts = parseDomainXml(xml);
    expect(facts.name).toBe(" padded & <odd> 'n' été ");
    expect(facts.display).toBe('spice');
  });

  it('reads our own settings from our namespace, under whatever prefix libvirt gave it', () => {
    const xml = base(
      `<metadata><p:switcher xmlns:p="https://phyllo.me/xmlns/switcher/1"><p:monitor connector="HDMI-A-1"/></p:switcher></metadata><memory>1</memory>`,
    );
    expect(parseDomainXml(xml).settings).toEqual({ monitor: 'HDMI-A-1', headMonitors: [], usbRules: [], seat: '' });
    const hostile = base(
      `<metadata><p:switcher xmlns:p="https://phyllo.me/xmlns/switcher/1"><p:monitor connector="../../x y"/></p:switcher></metadata><memory>1</memory>`,
    );
    expect(parseDomainXml(hostile).settings).toEqual({ monitor: '', headMonitors: [], usbRules: [], seat: '' });
  });

  it('finds libosinfo under any prefix and ignores look-alikes in other namespaces', () => {
    const ours = base(
      `<metadata><x:libosinfo xmlns:x="http://libosinfo.org/xmlns/libvirt/domain/1.0"><x:os id="http://fedoraproject.org/fedora/40"/></x:libosinfo></metadata>`,
    );
    expect(parseDomainXml(ours).osId).toBe('http://fedoraproject.org/fedora/40');
    const other = base(
      `<metadata><libosinfo:libosinfo xmlns:libosinfo="http://example.com/other"><libosinfo:os id="nope"/></libosinfo:libosinfo></metadata>`,
    );
    expect(parseDomainXml(other).osId).toBe('');
  });

  it('converts memory units', () => {
    expect(parseDomainXml(base(`<memory unit='GiB'>2</memory><vcpu>1</vcpu>`)).memoryMiB).toBe(2048n);
    expect(parseDomainXml(base(`<memory>1048576</memory><vcpu>1</vcpu>`)).memoryMiB).toBe(1024n);
    expect(parseDomainXml(base(`<memory unit='MiB'>64</memory><vcpu>1</vcpu>`)).memoryMiB).toBe(64n);
  });

  it('rejects what is not a domain', () => {
    expect(() => parseDomainXml('<network/>')).toThrow(/not a libvirt domain/);
  });
});
