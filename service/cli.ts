// Command-line options of the service, read with Node's util.parseArgs and
// checked here. Pure, so it is tested on its own.

import { parseArgs as parseNodeArgs } from 'node:util';
import { invalidArgument } from './errors.js';
import { DEFAULT_URI, endpointFor } from './libvirt/uri.js';

export interface CliOptions {
  uri: string;
  bus: string;
  libvirtBus: string | undefined;
  /** The viewer command and its first arguments; undefined: virt-viewer. */
  viewer: string[] | undefined;
  viewerUri: string | undefined;
  /** libvirt's daemon socket, watched to notice libvirt restarting; undefined: the URI's own. */
  libvirtSocket: string | undefined;
  sysfsRoot: string;
  udevData: string | undefined;
  systemBus: string;
  /** The virtualization new guests get: undefined = KVM where the host has it. */
  virtType: 'kvm' | 'qemu' | undefined;
  help: boolean;
}

export const USAGE = `Usage: phyllome-switcher-service [--connect URI] [--bus BUS] [--libvirt-bus BUS]

Serves me.phyllo.Switcher1: every guest of a libvirt connection, live.

  --connect URI         libvirt URI: test:///default (default, a demo), qemu:///session, qemu:///system
  --bus BUS             where to own me.phyllo.Switcher1: session (default), system, or a D-Bus address
  --libvirt-bus BUS     where libvirt-dbus runs: by default the system bus for qemu:///system, else the session bus
  --libvirt-socket PATH libvirt's daemon socket (default: the URI's: virtqemud-sock or libvirt-sock),
                        watched so that a restart of libvirt is noticed at once
  --viewer CMD          the viewer to open guests in (default: virt-viewer); CMD may carry arguments
  --viewer-uri URI      the libvirt URI the viewer connects to (default: the --connect URI)
  --sysfs-root PATH     where sysfs is (default /sys), to find USB devices
  --udev-data PATH      udev's database (default /run/udev/data), for the seat of each device
  --system-bus BUS      where systemd-logind and polkit are (default: the system bus), for seats
  --virt-type TYPE      what new guests run on: kvm (default where the host has it) or qemu (software emulation)
  --help                show this text
`;

const isBus = (value: string): boolean => value === 'session' || value === 'system' || /^[a-z]+:/.test(value);

function bus(option: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (!isBus(value)) throw invalidArgument(`--${option} takes session, system or a D-Bus address, not '${value}'`);
  return value;
}

function absolute(option: string, value: string | undefined): string | undefined {
  if (value !== undefined && !value.startsWith('/'))
    throw invalidArgument(`--${option} takes an absolute path, not '${value}'`);
  return value;
}

function virtType(value: string | undefined): 'kvm' | 'qemu' | undefined {
  if (value !== undefined && value !== 'kvm' && value !== 'qemu')
    throw invalidArgument(`--virt-type takes kvm or qemu, not '${value}'`);
  return value;
}

export function parseArgs(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseNodeArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        connect: { type: 'string', short: 'c' },
        bus: { type: 'string' },
        'libvirt-bus': { type: 'string' },
        'libvirt-socket': { type: 'string' },
        viewer: { type: 'string' },
        'viewer-uri': { type: 'string' },
        'sysfs-root': { type: 'string' },
        'udev-data': { type: 'string' },
        'system-bus': { type: 'string' },
        'virt-type': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    // util.parseArgs names the option in its message; keep its words, typed as ours.
    throw invalidArgument((error as Error).message);
  }
  const values = parsed.values;
  for (const [name, value] of Object.entries(values)) {
    if (value === '') throw invalidArgument(`--${name} needs a value`);
  }
  return {
    uri: values.connect === undefined ? DEFAULT_URI : endpointFor(values.connect).uri,
    bus: bus('bus', values.bus, 'session'),
    libvirtBus: values['libvirt-bus'] === undefined ? undefined : bus('libvirt-bus', values['libvirt-bus'], ''),
    viewer: values.viewer?.split(/\s+/).filter(Boolean),
    viewerUri: values['viewer-uri'],
    libvirtSocket: absolute('libvirt-socket', values['libvirt-socket']),
    sysfsRoot: absolute('sysfs-root', values['sysfs-root']) ?? '/sys',
    udevData: absolute('udev-data', values['udev-data']),
    systemBus: bus('system-bus', values['system-bus'], 'system'),
    virtType: virtType(values['virt-type']),
    help: values.help === true,
  };
}
