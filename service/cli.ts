// Command-line options of the service, read with Node's util.parseArgs and
// checked here. Pure, so it is tested on its own.

import { parseArgs as parseNodeArgs } from 'node:util';
import { errorMessage, invalidArgument } from './errors.js';
import { DEFAULT_URI, endpointFor } from './libvirt/uri.js';
import {
  DEFAULT_SHARE_PORTS,
  parseShareAddresses,
  parseSharePorts,
  type SharingSettings,
} from './sharing/share-options.js';

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
  /** The service's own files (its journal, the host's sharing certificate); undefined: the default for its kind. */
  stateDir: string | undefined;
  /** The host-wide guest-files helper's socket; undefined: the default. */
  filesSocket: string | undefined;
  /** How the per-user service runs its guest-files helper; undefined: the program beside this one. */
  filesHelper: string[] | undefined;
  /** Sharing guests with other computers: undefined (the default) when the administrator has not turned it on. */
  sharing: SharingSettings | undefined;
  help: boolean;
}

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in the help (string options). */
  value?: string;
  /** What it does, in lines of the help. */
  help: readonly string[];
}

/** Every option: what util.parseArgs reads, and the help printed from it. */
const OPTIONS = {
  connect: {
    type: 'string',
    short: 'c',
    value: 'URI',
    help: ['libvirt URI: test:///default (default, a demo), qemu:///session, qemu:///system'],
  },
  bus: {
    type: 'string',
    value: 'BUS',
    help: ['where to own me.phyllo.Switcher1: session (default), system, or a D-Bus address'],
  },
  'libvirt-bus': {
    type: 'string',
    value: 'BUS',
    help: ['where libvirt-dbus runs: by default the system bus for qemu:///system, else the session bus'],
  },
  'libvirt-socket': {
    type: 'string',
    value: 'PATH',
    help: [
      "libvirt's daemon socket (default: the URI's: virtqemud-sock or libvirt-sock),",
      'watched so that a restart of libvirt is noticed at once',
    ],
  },
  viewer: {
    type: 'string',
    value: 'CMD',
    help: ['the viewer to open guests in (default: virt-viewer); CMD may carry arguments'],
  },
  'viewer-uri': {
    type: 'string',
    value: 'URI',
    help: ['the libvirt URI the viewer connects to (default: the --connect URI)'],
  },
  'sysfs-root': { type: 'string', value: 'PATH', help: ['where sysfs is (default /sys), to find USB devices'] },
  'udev-data': {
    type: 'string',
    value: 'PATH',
    help: ["udev's database (default /run/udev/data), for the seat of each device"],
  },
  'system-bus': {
    type: 'string',
    value: 'BUS',
    help: ['where systemd-logind and polkit are (default: the system bus), for seats'],
  },
  'virt-type': {
    type: 'string',
    value: 'TYPE',
    help: ['what new guests run on: kvm (default where the host has it) or qemu (software emulation)'],
  },
  seats: {
    type: 'string',
    value: 'MODE',
    help: [
      "logind (default): seats are systemd-logind's, and every change is checked against the",
      "caller's seat and session (polkit decides the rest; no logind, no changes);",
      'none: a host with one person and no logind (the demo, a container): nothing is checked',
    ],
  },
  'host-wide': {
    type: 'boolean',
    help: [
      'serve every user of this host from the system bus (default --bus system): callers are',
      'told apart by uid and session (polkit sees them by bus name), and viewers run in each',
      "user's session, reaching a guest through a display socket (Guest.OpenDisplay)",
    ],
  },
  'display-dir': {
    type: 'string',
    value: 'PATH',
    help: ["where --host-wide makes each user's display sockets (default /run/phyllome-switcher/display)"],
  },
  'display-relay': {
    type: 'string',
    value: 'CMD',
    help: ['how to run the display relay (default: gjs -m phyllome-display-relay.js beside this)'],
  },
  'state-dir': {
    type: 'string',
    value: 'PATH',
    help: [
      'where the service keeps its own files: its journal of what jobs make, the certificate guests are',
      'shared with (default: /var/lib/phyllome-switcher with --host-wide, else ~/.local/state/phyllome-switcher)',
    ],
  },
  'files-socket': {
    type: 'string',
    value: 'PATH',
    help: ["--host-wide: the guest-files helper's socket (default /run/phyllome-switcher-files/files.sock)"],
  },
  'files-helper': {
    type: 'string',
    value: 'CMD',
    help: ['per user: how to run the guest-files helper (default: phyllome-switcher-files beside this)'],
  },
  'share-listen': {
    type: 'string',
    value: 'ADDRESSES',
    help: [
      'let guests be shared with other computers, on these IP addresses of this host (comma-separated;',
      'the first is the default); without it, nothing is ever shared',
    ],
  },
  'share-ports': {
    type: 'string',
    value: 'FIRST-LAST',
    help: [`the ports shares listen on (default ${DEFAULT_SHARE_PORTS}; from 1024: the service has no capabilities)`],
  },
  help: { type: 'boolean', short: 'h', help: ['show this text'] },
} as const satisfies Record<string, OptionSpec>;

/** The help, made from the option table: every option the service takes. */
function usage(): string {
  const specs: [string, OptionSpec][] = Object.entries(OPTIONS);
  const names = specs.map(([name, spec]) =>
    [spec.short ? `-${spec.short}, ` : '', `--${name}`, spec.value ? ` ${spec.value}` : ''].join(''),
  );
  const width = Math.max(...names.map((n) => n.length)) + 2;
  const lines = specs.flatMap(([, spec], i) =>
    spec.help.map((text, j) => `  ${(j === 0 ? (names[i] as string) : '').padEnd(width)}${text}`),
  );
  return `Usage: phyllome-switcher-service [OPTION]...

Serves me.phyllo.Switcher1: every guest of a libvirt connection, live.

${lines.join('\n')}

Exit status: 0 when stopped (SIGTERM, SIGINT), 1 on any failure, 2 for a command line it cannot take.
`;
}

export const USAGE = usage();

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
      // util.parseArgs reads type and short, and leaves the help's words alone.
      options: OPTIONS,
    });
  } catch (error) {
    // util.parseArgs names the option in its message; keep its words, typed as ours.
    throw invalidArgument(errorMessage(error));
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
  const listen = values['share-listen'];
  if (listen === undefined && values['share-ports'] !== undefined)
    throw invalidArgument('--share-ports takes effect with --share-listen, which turns sharing on');
  const sharing =
    listen === undefined
      ? undefined
      : { addresses: parseShareAddresses(listen), ...parseSharePorts(values['share-ports'] ?? DEFAULT_SHARE_PORTS) };
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
    stateDir: absolute('state-dir', values['state-dir']),
    filesSocket: absolute('files-socket', values['files-socket']),
    filesHelper: values['files-helper']?.split(/\s+/).filter(Boolean),
    sharing,
    help: values.help === true,
  };
}
