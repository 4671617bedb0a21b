// One user flooding the host-wide service with expensive calls while
// another, on seat0, keeps using it (issue 18, item 7): the service on
// libvirt's test driver with a fake logind, bob as a real second uid on
// seat1, an installer ISO both can read, and osinfo-detect counted as it
// runs (a wrapper first in the service's PATH logs each run's start and
// end, its nice value and its I/O class). For test/service/flood.test.ts
// and `npm run bench -- flood`.

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBundle } from './bundle-files.js';
import { defineTestGuest } from './libvirt.js';
import { installerIso, WINDOWS_11_LABEL } from './installer-iso.js';
import { LogindMock } from './logind-mock.js';
import { FILES_EXECUTABLE, ServiceStack } from './stack.js';
import { makeSystemGroup, type SystemGroup } from './system-accounts.js';
import { twoUsers, UidCaller } from './uid-caller.js';

/** What the counting wrapper saw of the real command's runs. */
export interface CommandRuns {
  started: number;
  /** The most that ran at the same moment. */
  atOnce: number;
  /** Each run's nice value, as `nice` printed it. */
  niceness: Set<string>;
  /** Each run's I/O scheduling, as `ionice` printed it. */
  ioClasses: Set<string>;
}

/** A folder for the front of a PATH where `name` is a wrapper that logs every run of the real `name`. */
export class CountedCommand {
  private constructor(
    readonly dir: string,
    private readonly log: string,
  ) {}

  static create(name: string): CountedCommand {
    const real = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    const dir = mkdtempSync(join(tmpdir(), 'phyllome-counted-'));
    chmodSync(dir, 0o755);
    const log = join(dir, 'runs.log');
    writeFileSync(log, '', { mode: 0o666 });
    chmodSync(log, 0o666);
    // One short line each, appended: written whole even when many run at once (O_APPEND, under PIPE_BUF).
    // Killed (its caller's deadline), it takes the real one with it and still logs its end.
    writeFileSync(
      join(dir, name),
      `#!/bin/sh
printf 'start %s %s %s\\n' "$$" "$(nice)" "$(ionice)" >> '${log}'
'${real}' "$@" &
child=$!
trap 'kill $child; wait $child; printf "end %s\\n" "$$" >> "${log}"; exit 143' TERM
wait $child
status=$?
printf 'end %s\\n' "$$" >> '${log}'
exit $status
`,
      { mode: 0o755 },
    );
    return new CountedCommand(dir, log);
  }

  runs(): CommandRuns {
    const runs: CommandRuns = { started: 0, atOnce: 0, niceness: new Set(), ioClasses: new Set() };
    let now = 0;
    for (const line of readFileSync(this.log, 'utf8').split('\n')) {
      const [event, , nice, ...io] = line.split(' ');
      if (event === 'start') {
        runs.started++;
        now++;
        runs.atOnce = Math.max(runs.atOnce, now);
        runs.niceness.add(nice ?? '');
        runs.ioClasses.add(io.join(' '));
      } else if (event === 'end') now--;
    }
    return runs;
  }

  /** Forgets the runs so far. */
  reset(): void {
    writeFileSync(this.log, '');
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface FloodedService {
  stack: ServiceStack;
  logind: LogindMock;
  /** The second user, on seat1. */
  bob: UidCaller;
  bobUid: number;
  /** An installer ISO bob may read. */
  iso: string;
  /** A folder of bob's own, for bundles. */
  bobsFolder: string;
  /** osinfo-detect, counted. */
  detect: CountedCommand;
  /** A guest of no seat that bob may export. */
  guest: string;
  stop(): Promise<void>;
}

/** The host-wide service with `guests` test-driver guests; this process sits at seat0, bob at seat1. */
export async function startFloodedService(guests: number): Promise<FloodedService> {
  const stack = await ServiceStack.start({ anyUser: true, withService: false });
  const work = mkdtempSync(join(tmpdir(), 'phyllome-flood-'));
  let detect: CountedCommand | undefined;
  let logind: LogindMock | undefined;
  let workers: SystemGroup | undefined;
  try {
    chmodSync(work, 0o755);
    const [bobUid] = twoUsers();
    logind = await LogindMock.start(stack.group);
    await logind.addSeat('seat0');
    await logind.addSeat('seat1');
    await logind.addSession('c0', 'seat0', process.getuid?.() ?? 0, 'root');
    await logind.addSession('c1', 'seat1', bobUid, 'bob');
    await logind.bindPid(process.pid, 'c0');
    const bob = await UidCaller.start(stack.group, bobUid, stack.bus.address);
    await logind.bindPid(bob.pid, 'c1');
    const iso = join(work, 'installer.iso');
    copyFileSync(installerIso('win11-shaped', WINDOWS_11_LABEL), iso);
    chmodSync(iso, 0o644);
    const bobsFolder = join(work, 'bob');
    mkdirSync(bobsFolder, { mode: 0o700 });
    chownSync(bobsFolder, bobUid, bobUid);
    costlyBundle(bobsFolder, bobUid);
    for (let i = 0; i < guests; i++) await defineTestGuest(stack, `flood-${String(i).padStart(4, '0')}`);
    detect = CountedCommand.create('osinfo-detect');
    // The guest-files helper whose workers read installers as their callers: they find the counted
    // osinfo-detect first on the PATH the helper gives them.
    workers = makeSystemGroup('workers');
    const socket = join(stack.folder('files-socket'), 'files.sock');
    const helper = stack.group.start('guest-files helper', process.execPath, [
      FILES_EXECUTABLE,
      '--listen',
      socket,
      '--connect',
      'test:///default',
      '--libvirt-bus',
      stack.bus.address,
      '--state-dir',
      stack.folder('files-state'),
      '--worker-group',
      workers.name,
      '--worker-path',
      `${detect.dir}:/usr/sbin:/usr/bin:/sbin:/bin`,
    ]);
    await helper.waitForOutput(/phyllome-switcher-files: serving/, 30_000);
    await stack.startService('test:///default', [
      '--host-wide',
      '--system-bus',
      logind.address,
      '--files-socket',
      socket,
    ]);
    const counted = detect;
    const fakeLogind = logind;
    const group = workers;
    await stack.client.watch();
    const guest = await stack.client.waitForGuest('flood-0000');
    return {
      stack,
      logind: fakeLogind,
      bob,
      bobUid,
      iso,
      bobsFolder,
      detect: counted,
      guest,
      stop: async () => {
        await fakeLogind.stop();
        await stack.stop();
        group.remove();
        counted.dispose();
        rmSync(work, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await logind?.stop();
    await stack.stop();
    workers?.remove();
    detect?.dispose();
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
}

/** Attack finding 1's bundle: a definition of 10,000 namespace declarations and 4,000 children, bob's. */
export const COSTLY_BUNDLE = 'costly.phyllome';

function costlyBundle(folder: string, uid: number): void {
  const uuid = '6d1c3a52-6c0e-4d7e-9a51-2f8e4c0b7a10';
  const declarations = Array.from({ length: 10_000 }, (_, i) => ` xmlns:p${i}="urn:x"`).join('');
  const bundle = writeBundle(folder, {
    name: 'costly',
    uuid,
    definition: `<domain type='qemu'${declarations}><name>costly</name><uuid>${uuid}</uuid>${'<a/>'.repeat(4000)}</domain>`,
  });
  for (const entry of [bundle, join(bundle, 'disks'), join(bundle, 'domain.xml'), join(bundle, 'manifest.json')])
    chownSync(entry, uid, uid);
}
