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
  /** 'logind': seats from logind, every change checked; 'none': one person, no logind, no checks. */
  seats: 'logind' | 'none';
  /** Serve every user of the host from the system bus (see USAGE). */
  hostWide: boolean;
  /** Where the host-wide service makes each user's display sockets; undefined: the default. */
  displayDir: string | undefined;
  /** How to run the display relay; undefined: gjs with the relay beside the executable. */
  displayRelay: string[] | undefined;
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
  --seats MODE          logind (default): seats are systemd-logind's, and every change is checked against the
                        caller's seat and session (polkit decides the rest; no logind, no changes);
                        none: a host with one person and no logind (the demo, a container): nothing is checked
  --host-wide           serve every user of this host from the system bus (default --bus system): callers are
                        told apart by uid and session (polkit sees them by bus name), and viewers run in each
                        user's session, reaching a guest through a display socket (Guest.OpenDisplay)
  --display-dir PATH    where --host-wide makes each user's display sockets (default /run/phyllome-switcher/display)
  --display-relay CMD   how to run the display relay (default: gjs -m phyllome-display-relay.js beside this)
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
        seats: { type: 'string' },
        'host-wide': { type: 'boolean' },
        'display-dir': { type: 'string' },
        'display-relay': { type: 'string' },
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
  const hostWide = values['host-wide'] === true;
  const seats = values.seats ?? 'logind';
  if (seats !== 'logind' && seats !== 'none') throw invalidArgument(`--seats takes logind or none, not '${seats}'`);
  if (hostWide && seats === 'none') {
    throw invalidArgument('--host-wide serves several people: it keeps their seats apart and takes no --seats none');
  }
  return {
    uri: values.connect === undefined ? DEFAULT_URI : endpointFor(values.connect).uri,
    bus: bus('bus', values.bus, hostWide ? 'system' : 'session'),
    libvirtBus: values['libvirt-bus'] === undefined ? undefined : bus('libvirt-bus', values['libvirt-bus'], ''),
    viewer: values.viewer?.split(/\s+/).filter(Boolean),
    viewerUri: values['viewer-uri'],
    libvirtSocket: absolute('libvirt-socket', values['libvirt-socket']),
    sysfsRoot: absolute('sysfs-root', values['sysfs-root']) ?? '/sys',
    udevData: absolute('udev-data', values['udev-data']),
    systemBus: bus('system-bus', values['system-bus'], 'system'),
    virtType: virtType(values['virt-type']),
    seats,
    hostWide,
    displayDir: absolute('display-dir', values['display-dir']),
    displayRelay: values['display-relay']?.split(/\s+/).filter(Boolean),
    help: values.help === true,
  };
}
