// phyllome-switcher-files: the guest-files helper, the one part of the
// host-wide service that holds rights over files (root, with only
// DAC_OVERRIDE, DAC_READ_SEARCH, CHOWN, FOWNER to reach guests' files and
// SETUID, SETGID to start workers as a caller). It serves the service
// alone: on a socket systemd makes for it (SocketGroup= the service's
// group, 0660) or one it makes itself (--listen, for tests: mode 0660, its
// group its folder's, which a setgid folder of the service's group gives
// it — the helper changes no file's owner), or, as the
// per-user service's child, on its stdio. Its workers are a program of
// their own beside it (phyllome-switcher-worker, service/worker/).

import { chmod, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { onBusError, openBus, whenConnected } from '../dbus/bus.js';
import { errorMessage } from '../errors.js';
import { Journal } from '../jobs/journal.js';
import { LibvirtClient } from '../libvirt/client.js';
import { endpointFor } from '../libvirt/uri.js';
import { log, logToStderr } from '../log.js';
import { isPrivilegedUri, libvirtStateDirs } from '../libvirt/state-dirs.js';
import { FilesHelper } from './files-helper.js';
import { GuestLocator } from './guest-locator.js';
import { recover } from './recovery.js';
import { WorkerLauncher } from './worker-launcher.js';

const USAGE = `Usage: phyllome-switcher-files (--listen PATH | --stdio) --connect URI [OPTION]...

The guest-files helper of Phyllome Switcher: guests' disks, UEFI variables
and TPM state, named by UUID, for the service alone; workers run as callers.

  --listen PATH        make a socket at PATH (without systemd's socket activation), mode 0660
  --stdio              serve one service on standard input and output (its child)
  --connect URI        the libvirt URI whose guests these are
  --libvirt-bus BUS    where libvirt-dbus is: session, system or an address
  --state-dir PATH     its journal and staging files (default /var/lib/phyllome-switcher-files)
  --worker-group NAME  the workers' real group (default phyllome-switcher-worker)
  --worker-path PATH   where workers find osinfo-detect and qemu-img (default /usr/sbin:/usr/bin:/sbin:/bin)
`;

const STOP_TIMEOUT_MS = 10_000;
const SD_LISTEN_FDS_START = 3;

/** A group by name or number, from the system's group database. */
function groupId(name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    const entry = execFileSync('getent', ['group', name], { encoding: 'utf8' }).trim().split(':');
    return entry[2] !== undefined && /^\d+$/.test(entry[2]) ? Number(entry[2]) : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        listen: { type: 'string' },
        stdio: { type: 'boolean' },
        connect: { type: 'string' },
        'libvirt-bus': { type: 'string' },
        'state-dir': { type: 'string' },
        'worker-group': { type: 'string' },
        'worker-path': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    process.stderr.write(`error: ${errorMessage(error)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.stdio) logToStderr();
  const activated = process.env.LISTEN_PID === String(process.pid) && Number(process.env.LISTEN_FDS ?? 0) >= 1;
  if (!values.connect || (!values.stdio && !values.listen && !activated)) {
    process.stderr.write(`error: --connect and one of --listen, --stdio or a socket from systemd are needed\n${USAGE}`);
    return 2;
  }
  const endpoint = endpointFor(values.connect);
  const euid = process.geteuid?.() ?? 0;
  const stateDir = values['state-dir'] ?? '/var/lib/phyllome-switcher-files';
  const stagingDir = join(stateDir, 'staging');
  await mkdir(stagingDir, { recursive: true, mode: 0o700 });
  const workerGroup = values['worker-group'] ?? 'phyllome-switcher-worker';
  const workerGid = groupId(workerGroup);
  if (euid === 0 && workerGid === undefined) {
    // Only another user's files need it: a per-user service's helper (stdio) serves root's own calls as root.
    const say = values.stdio ? log.debug : log.error;
    say(`no group ${workerGroup}: no worker can run as a caller (tools/install.sh --system makes it)`);
  }

  const bus = openBus(values['libvirt-bus'] ?? endpoint.bus);
  onBusError(bus, (error) => log.debug(`libvirt bus: ${errorMessage(error)}`));
  await whenConnected(bus, 5_000);
  const client = new LibvirtClient(bus, endpoint);
  // The workers' program, beside this one.
  const worker = join(dirname(realpathSync(process.argv[1] as string)), 'phyllome-switcher-worker');
  const parts = {
    locator: new GuestLocator(client, libvirtStateDirs(isPrivilegedUri(endpoint.uri, euid))),
    launcher: new WorkerLauncher({
      program: [process.execPath, worker],
      workerGid,
      ...(values['worker-path'] ? { path: values['worker-path'] } : {}),
    }),
    journal: new Journal(join(stateDir, 'journal')),
    stagingDir,
  };
  await recover(parts).catch((error: unknown) => log.warning(`recovery: ${errorMessage(error)}`));
  const helper = new FilesHelper(parts);

  let server: Server | undefined;
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  if (values.stdio) {
    helper.serve(process.stdin, process.stdout, 'the service');
    process.stdin.once('end', () => process.kill(process.pid, 'SIGTERM'));
  } else {
    server = createServer((socket: Socket) => helper.serve(socket, socket, 'a connection'));
    if (activated) {
      await new Promise<void>((resolve) => server?.listen({ fd: SD_LISTEN_FDS_START }, resolve));
    } else {
      const path = values.listen as string;
      await rm(path, { force: true });
      // Made for the owner and group only from the start: nobody else gets to connect in between.
      const umask = process.umask(0o117);
      await new Promise<void>((resolve, reject) => {
        server?.once('error', reject);
        server?.listen(path, resolve);
      });
      process.umask(umask);
      await chmod(path, 0o660);
    }
  }
  log.info(
    `phyllome-switcher-files: serving ${values.stdio ? 'its service on stdio' : activated ? "systemd's socket" : values.listen} for ${endpoint.uri}`,
  );
  await stopped;
  server?.close();
  await helper.stop(STOP_TIMEOUT_MS);
  bus.disconnect();
  return 0;
}

process.on('unhandledRejection', (reason) => {
  log.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});

void main().then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 50).unref();
  },
  (error: unknown) => {
    log.error(`cannot start: ${errorMessage(error)}`);
    process.exit(1);
  },
);
