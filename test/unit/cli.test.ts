import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../service/cli.js';

describe('command line', () => {
  it('defaults to the test driver on the session bus', () => {
    expect(parseArgs([])).toEqual({
      uri: 'test:///default',
      bus: 'session',
      libvirtBus: undefined,
      viewer: undefined,
      viewerUri: undefined,
      sysfsRoot: '/sys',
      udevData: undefined,
      systemBus: 'system',
      virtType: undefined,
      help: false,
    });
  });

  it('takes a URI, a bus and a libvirt bus, with = or apart', () => {
    expect(parseArgs(['--connect', 'qemu:///system', '--bus=system', '--libvirt-bus', 'unix:path=/tmp/b'])).toEqual({
      uri: 'qemu:///system',
      bus: 'system',
      libvirtBus: 'unix:path=/tmp/b',
      viewer: undefined,
      viewerUri: undefined,
      sysfsRoot: '/sys',
      udevData: undefined,
      systemBus: 'system',
      virtType: undefined,
      help: false,
    });
    expect(
      parseArgs(['--viewer', 'in-root.sh  virt-viewer', '--viewer-uri', 'qemu:///system?socket=/tmp/s']).viewer,
    ).toEqual(['in-root.sh', 'virt-viewer']);
  });

  it('refuses unknown URIs, buses and options with a reason', () => {
    expect(() => parseArgs(['--connect', 'xen:///'])).toThrow(/Unsupported libvirt URI 'xen:\/\/\/'/);
    expect(() => parseArgs(['--bus', 'nowhere'])).toThrow(/--bus takes session, system or a D-Bus address/);
    expect(() => parseArgs(['--connect'])).toThrow(/--connect needs a value/);
    expect(() => parseArgs(['--frobnicate'])).toThrow(/unknown option '--frobnicate'/);
  });
});
