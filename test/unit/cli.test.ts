import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../service/cli.js';
import { defaultDisplayDir, defaultStateDir } from '../../service/daemon.js';

const DEFAULTS = {
  uri: 'test:///default',
  bus: 'session',
  libvirtBus: undefined,
  viewer: undefined,
  viewerUri: undefined,
  libvirtSocket: undefined,
  sysfsRoot: '/sys',
  udevData: undefined,
  systemBus: 'system',
  virtType: undefined,
  seats: 'logind',
  hostWide: false,
  displayDir: undefined,
  displayRelay: undefined,
  stateDir: undefined,
  sharing: undefined,
  help: false,
};

describe('command line', () => {
  it('defaults to the test driver on the session bus', () => {
    expect(parseArgs([])).toEqual(DEFAULTS);
  });

  it('takes a URI, a bus and a libvirt bus, with = or apart', () => {
    expect(parseArgs(['--connect', 'qemu:///system', '--bus=system', '--libvirt-bus', 'unix:path=/tmp/b'])).toEqual({
      ...DEFAULTS,
      uri: 'qemu:///system',
      bus: 'system',
      libvirtBus: 'unix:path=/tmp/b',
    });
    expect(
      parseArgs(['--viewer', 'in-root.sh  virt-viewer', '--viewer-uri', 'qemu:///system?socket=/tmp/s']).viewer,
    ).toEqual(['in-root.sh', 'virt-viewer']);
    expect(parseArgs(['-c', 'qemu:///session', '--libvirt-socket', '/run/x/libvirt-sock'])).toMatchObject({
      uri: 'qemu:///session',
      libvirtSocket: '/run/x/libvirt-sock',
    });
  });

  it('refuses unknown URIs, buses and options with a reason', () => {
    expect(() => parseArgs(['--connect', 'xen:///'])).toThrow(/Unsupported libvirt URI 'xen:\/\/\/'/);
    expect(() => parseArgs(['--bus', 'nowhere'])).toThrow(/--bus takes session, system or a D-Bus address/);
    expect(() => parseArgs(['--connect'])).toThrow(/--connect <value>' argument missing/);
    expect(() => parseArgs(['--bus='])).toThrow(/--bus needs a value/);
    expect(() => parseArgs(['--frobnicate'])).toThrow(/Unknown option '--frobnicate'/);
    expect(() => parseArgs(['stray'])).toThrow(/positional/);
    expect(() => parseArgs(['--sysfs-root', 'relative/sys'])).toThrow(/absolute path/);
    expect(() => parseArgs(['--virt-type', 'xen'])).toThrow(/--virt-type takes kvm or qemu/);
    expect(() => parseArgs(['--seats', 'maybe'])).toThrow(/--seats takes logind or none/);
    expect(() => parseArgs(['--display-dir', 'run/x'])).toThrow(/absolute path/);
  });

  it('takes seats from logind unless told there are none, and never without them host-wide', () => {
    expect(parseArgs(['--seats', 'none']).seats).toBe('none');
    expect(() => parseArgs(['--host-wide', '--seats', 'none'])).toThrow(/--host-wide serves several people/);
  });

  it('serves the whole host from the system bus, its viewers reaching guests through display sockets', () => {
    expect(parseArgs(['--host-wide', '--connect', 'qemu:///system'])).toEqual({
      ...DEFAULTS,
      uri: 'qemu:///system',
      bus: 'system',
      hostWide: true,
    });
    expect(
      parseArgs([
        '--host-wide',
        '--bus',
        'unix:path=/tmp/b',
        '--display-dir',
        '/tmp/d',
        '--display-relay',
        'gjs -m r.js',
      ]),
    ).toMatchObject({ bus: 'unix:path=/tmp/b', displayDir: '/tmp/d', displayRelay: ['gjs', '-m', 'r.js'] });
  });

  it('shares nothing unless an administrator names the addresses, and then within the ports allowed', () => {
    expect(parseArgs(['--host-wide']).sharing).toBeUndefined();
    expect(parseArgs(['--share-listen', '192.0.2.10']).sharing).toEqual({
      addresses: ['192.0.2.10'],
      firstPort: 5930,
      lastPort: 5949,
    });
    expect(parseArgs(['--share-listen', '192.0.2.10, fd00::1', '--share-ports', '6000-6009'])).toMatchObject({
      sharing: { addresses: ['192.0.2.10', 'fd00::1'], firstPort: 6000, lastPort: 6009 },
    });
    expect(parseArgs(['--state-dir', '/var/lib/x']).stateDir).toBe('/var/lib/x');
    expect(() => parseArgs(['--share-ports', '6000-6009'])).toThrow(/takes effect with --share-listen/);
    expect(() => parseArgs(['--share-listen', 'host.example'])).toThrow(/IP addresses separated by commas/);
    for (const every of ['0.0.0.0', '::', '0:0::0'])
      expect(() => parseArgs(['--share-listen', every])).toThrow(/\(every address\): name each/);
    expect(() => parseArgs(['--share-listen', '192.0.2.1,192.0.2.1'])).toThrow(/names an address twice/);
    for (const ports of ['80-90', '6000-5999', '6000-70000', '6000-9000', '6000', 'a-b'])
      expect(() => parseArgs(['--share-listen', '192.0.2.1', '--share-ports', ports])).toThrow(/--share-ports takes/);
    expect(() => parseArgs(['--state-dir', 'var/lib'])).toThrow(/absolute path/);
  });

  it("keeps the service's own files where systemd and the XDG folders put them, unless told", () => {
    expect(defaultStateDir(true)).toBe('/var/lib/phyllome-switcher');
    expect(defaultStateDir(false, { XDG_STATE_HOME: '/home/a/.state' })).toBe('/home/a/.state/phyllome-switcher');
    expect(defaultStateDir(false, { HOME: '/home/a' })).toMatch(/\/\.local\/state\/phyllome-switcher$/);
    expect(defaultDisplayDir(true, '/s')).toBe('/run/phyllome-switcher/display');
    expect(defaultDisplayDir(false, '/s', { XDG_RUNTIME_DIR: '/run/user/1000' })).toBe(
      '/run/user/1000/phyllome-switcher/display',
    );
    expect(defaultDisplayDir(false, '/s', {})).toBe('/s/display');
  });
});
