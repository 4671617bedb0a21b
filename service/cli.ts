// Command-line options of the service. Pure, so it is tested on its own.

import { invalidArgument } from './errors.js';
import { DEFAULT_URI, endpointFor } from './libvirt/uri.js';

export interface CliOptions {
  uri: string;
  bus: string;
  libvirtBus: string | undefined;
  /** The viewer command and its first arguments; undefined: virt-viewer. */
  viewer: string[] | undefined;
  viewerUri: string | undefined;
  sysfsRoot: string;
  udevData: string | undefined;
  systemBus: string;
  /** The virtualization new guests get: undefined = KVM where the host has it. */
  virtType: 'kvm' | 'qemu' | undefined;
  help: boolean;
}

export const USAGE = `Usage: phyllome-switcher-service [--connect URI] [--bus BUS] [--libvirt-bus BUS]

Serves me.phyllo.Switcher1: every guest of a libvirt connection, live.

  --connect URI       libvirt URI: test:///default (default, a demo), qemu:///session, qemu:///system
  --bus BUS           where to own me.phyllo.Switcher1: session (default), system, or a D-Bus address
  --libvirt-bus BUS   where libvirt-dbus runs: by default the system bus for qemu:///system, else the session bus
  --viewer CMD        the viewer to open guests in (default: virt-viewer); CMD may carry arguments
  --viewer-uri URI    the libvirt URI the viewer connects to (default: the --connect URI)
  --sysfs-root PATH   where sysfs is (default /sys), to find USB devices
  --udev-data PATH    udev's database (default /run/udev/data), for the seat of each device
  --system-bus BUS    where systemd-logind and polkit are (default: the system bus), for seats
  --virt-type TYPE    what new guests run on: kvm (default where the host has it) or qemu (software emulation)
  --help              show this text
`;

const isBus = (value: string): boolean => value === 'session' || value === 'system' || /^[a-z]+:/.test(value);

export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    uri: DEFAULT_URI,
    bus: 'session',
    libvirtBus: undefined,
    viewer: undefined,
    viewerUri: undefined,
    sysfsRoot: '/sys',
    udevData: undefined,
    systemBus: 'system',
    virtType: undefined,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string => {
      const next = inline ?? argv[++i];
      if (next === undefined || next === '') throw invalidArgument(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--connect':
      case '-c':
        options.uri = endpointFor(value()).uri;
        break;
      case '--bus': {
        const bus = value();
        if (!isBus(bus)) throw invalidArgument(`--bus takes session, system or a D-Bus address, not '${bus}'`);
        options.bus = bus;
        break;
      }
      case '--libvirt-bus': {
        const bus = value();
        if (!isBus(bus)) throw invalidArgument(`--libvirt-bus takes session, system or a D-Bus address, not '${bus}'`);
        options.libvirtBus = bus;
        break;
      }
      case '--viewer':
        options.viewer = value().split(/\s+/).filter(Boolean);
        break;
      case '--viewer-uri':
        options.viewerUri = value();
        break;
      case '--sysfs-root': {
        const root = value();
        if (!root.startsWith('/')) throw invalidArgument(`--sysfs-root takes an absolute path, not '${root}'`);
        options.sysfsRoot = root;
        break;
      }
      case '--udev-data': {
        const root = value();
        if (!root.startsWith('/')) throw invalidArgument(`--udev-data takes an absolute path, not '${root}'`);
        options.udevData = root;
        break;
      }
      case '--system-bus': {
        const bus = value();
        if (!isBus(bus)) throw invalidArgument(`--system-bus takes system or a D-Bus address, not '${bus}'`);
        options.systemBus = bus;
        break;
      }
      case '--virt-type': {
        const type = value();
        if (type !== 'kvm' && type !== 'qemu') throw invalidArgument(`--virt-type takes kvm or qemu, not '${type}'`);
        options.virtType = type;
        break;
      }
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw invalidArgument(`unknown option '${arg}'`);
    }
  }
  return options;
}
