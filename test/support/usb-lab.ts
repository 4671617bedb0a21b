// A fake USB world for tests: test/support/usb-lab/lab.py under umockdev,
// driven over its line protocol. Devices come from test/fixtures/usb/*.umockdev;
// programs that should see them are started through spawn().

import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ProcessGroup, type TrackedProcess } from './processes.js';
import { waitFor } from './wait.js';

function projectRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(resolve(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

const ROOT = projectRoot();
export const USB_LAB_SCRIPT = resolve(ROOT, 'test/support/usb-lab/lab.py');
export const USB_FIXTURES = resolve(ROOT, 'test/fixtures/usb');
/** Debian's python: the one with python3-gi (the default python3 here has no gi). */
const PYTHON = '/usr/bin/python3';

/** Quotes one word for the lab's shlex.split(). */
function quote(word: string): string {
  if (/[\n\r\0]/.test(word)) throw new Error(`usb-lab: cannot pass a newline or NUL: ${JSON.stringify(word)}`);
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class UsbLab {
  private lines: string[] = [];
  private partial = '';
  /** Announces each line the lab printed ('line') and its exit ('exit'), for nextLine. */
  private readonly said = new EventEmitter();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly outputs = new Map<number, string>();
  private spawnedPids: number[] = [];
  private stopped = false;

  private constructor(
    readonly process: TrackedProcess,
    /** $UMOCKDEV_DIR: the testbed's root. */
    readonly umockdevDir: string,
    /** Where spawned processes' output files go. */
    private readonly scratch: string,
    private readonly ownsGroup: ProcessGroup | undefined,
  ) {
    void process.exited.then(() => this.said.emit('exit'));
  }

  /**
   * Starts the lab (umockdev-wrapper /usr/bin/python3 lab.py). Pass a group to
   * have the lab stopped with it; stop() stops it either way.
   */
  static async start(options: { fixturesDir?: string; group?: ProcessGroup; env?: NodeJS.ProcessEnv } = {}) {
    const group = options.group ?? new ProcessGroup();
    const proc = group.start(
      'usb-lab',
      'umockdev-wrapper',
      [PYTHON, USB_LAB_SCRIPT, '--fixtures', options.fixturesDir ?? USB_FIXTURES],
      { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env },
    );
    const scratch = mkdtempSync(join(tmpdir(), 'phyllome-usb-lab-'));
    let lab: UsbLab | undefined;
    const pending: string[] = [];
    proc.child.stdout?.on('data', (data: Buffer) => {
      if (lab) lab.take(data.toString());
      else pending.push(data.toString());
    });
    try {
      const [, dir] = await proc.waitForOutput(/^ready (\S+)$/m, 15_000);
      lab = new UsbLab(proc, dir as string, scratch, options.group ? undefined : group);
      for (const chunk of pending) lab.take(chunk);
      const ready = await lab.nextLine();
      if (!ready.startsWith('ready ')) throw new Error(`usb-lab: unexpected first line ${ready}`);
      return lab;
    } catch (error) {
      await proc.stop();
      rmSync(scratch, { recursive: true, force: true });
      throw new Error(
        `usb-lab did not start (it needs the Debian packages umockdev, gir1.2-umockdev-1.0, python3-gi, udev): ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
  }

  /** The fake /sys as a plain directory: Node's fs reads it directly (not through /sys). */
  get sysfsRoot(): string {
    return join(this.umockdevDir, 'sys');
  }

  /**
   * Environment for running something inside the world yourself rather than
   * through spawn(). Beware: two processes whose uevent sockets get the same
   * fd number steal each other's events; spawn() guards against that.
   */
  get env(): NodeJS.ProcessEnv {
    const preload = process.env.LD_PRELOAD;
    return {
      ...process.env,
      UMOCKDEV_DIR: this.umockdevDir,
      LD_PRELOAD: preload ? `libumockdev-preload.so.0:${preload}` : 'libumockdev-preload.so.0',
    };
  }

  /** Plugs test/fixtures/usb/NAME.umockdev; returns the device's sysfs devpath. */
  async add(name: string, options: { bind?: boolean } = {}): Promise<string> {
    const reply = await this.command(['add', name, ...(options.bind ? ['--bind'] : [])]);
    const [, , devpath] = reply.split(' ');
    return devpath as string;
  }

  /** Unplugs it; returns the names of other fixtures that went with it (behind a hub). */
  async remove(name: string, options: { bind?: boolean } = {}): Promise<string[]> {
    const reply = await this.command(['remove', name, ...(options.bind ? ['--bind'] : [])]);
    return reply.split(' ').slice(3);
  }

  async plugged(): Promise<string[]> {
    return (await this.command(['list'])).split(' ').filter(Boolean);
  }

  /**
   * Starts command inside the world, with env added to the lab's environment.
   * Its stdout+stderr go to a file: output(pid) / waitForOutput(pid, …).
   */
  async spawn(command: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<number> {
    const out = join(this.scratch, `spawn-${this.outputs.size + 1}.log`);
    const envWords = Object.entries(env).flatMap(([key, value]) =>
      value === undefined ? [] : ['--env', `${key}=${value}`],
    );
    const reply = await this.command(['spawn', '--out', out, ...envWords, '--', command, ...args]);
    const pid = Number(/^pid (\d+)$/.exec(reply)?.[1]);
    if (!Number.isInteger(pid)) throw new Error(`usb-lab: bad spawn reply ${reply}`);
    this.outputs.set(pid, out);
    this.spawnedPids.push(pid);
    return pid;
  }

  output(pid: number): string {
    const file = this.outputs.get(pid);
    if (!file) throw new Error(`usb-lab: ${pid} was not spawned here`);
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  /** Resolves when `pid` has printed text matching pattern (from character `from` on). */
  waitForOutput(pid: number, pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<RegExpMatchArray> {
    return this.waitForOutputThat(pid, (text) => pattern.exec(text.slice(from)), `${pattern}`, timeoutMs);
  }

  /** Resolves to the first truthy value `check` gives for what `pid` printed, re-read as its output file changes (inotify). */
  async waitForOutputThat<T>(
    pid: number,
    check: (text: string) => T,
    what: string,
    timeoutMs = 10_000,
  ): Promise<NonNullable<T>> {
    const file = this.outputs.get(pid);
    if (!file) throw new Error(`usb-lab: ${pid} was not spawned here`);
    const changes = watch(dirname(file));
    try {
      return await waitFor(() => check(this.output(pid)), {
        what: () => `${pid} to print ${what}: ${this.output(pid)}`,
        timeoutMs,
        on: [[changes, 'change']],
      });
    } finally {
      changes.close();
    }
  }

  /** 'running', or the exit code (negative: killed by that signal). */
  async status(pid: number): Promise<'running' | number> {
    const reply = await this.command(['status', String(pid)]);
    return reply === 'running' ? 'running' : Number(reply.split(' ')[1]);
  }

  /** SIGTERM (SIGKILL after 3 s) by PID; returns the exit code. */
  async kill(pid: number): Promise<number> {
    const reply = await this.command(['kill', String(pid)]);
    return Number(reply.split(' ')[2]);
  }

  /**
   * PIDs of processes (spawned ones and their children) that hold a uevent
   * listener socket in this world, read from /proc. A monitor only sees the
   * events sent after its socket is bound, so wait for it before add().
   */
  listenerPids(): number[] {
    const prefix = `${this.umockdevDir}/event`;
    const inodes = new Set<string>();
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const path = fields[7];
      if (path?.startsWith(prefix) && fields[6]) inodes.add(fields[6]);
    }
    const pids: number[] = [];
    if (inodes.size === 0) return pids;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${entry}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        try {
          const target = readlinkSync(`/proc/${entry}/fd/${fd}`);
          const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
          if (inode && inodes.has(inode)) {
            pids.push(Number(entry));
            break;
          }
        } catch {
          // the process or fd went away
        }
      }
    }
    return pids;
  }

  /** Nothing announces a socket bound: /proc is looked at every few milliseconds, up to the deadline. */
  async waitForListener(pid: number, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => this.listenerPids().includes(pid), { what: `${pid} to bind a uevent socket`, timeoutMs });
  }

  /** Stops every spawned process and the lab, by PID, and deletes the testbed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.process.running) {
      try {
        this.process.child.stdin?.write('quit\n');
        this.process.child.stdin?.end();
      } catch {
        // already gone; handled below
      }
      const timer = setTimeout(() => {
        if (this.process.running) void this.process.stop();
      }, 10_000);
      await this.process.exited;
      clearTimeout(timer);
    }
    // Should the lab have died without stopping its children: by PID.
    for (const pid of this.spawnedPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await this.ownsGroup?.stopAll();
    rmSync(this.scratch, { recursive: true, force: true });
  }

  // ---- protocol ----

  private take(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    this.said.emit('line');
  }

  /** The lab's next line: woken by its output or its exit, within the deadline. */
  private async nextLine(timeoutMs = 30_000): Promise<string> {
    await waitFor(() => this.lines.length > 0 || !this.process.running, {
      what: () => `a reply of usb-lab: ${this.process.output()}`,
      timeoutMs,
      on: [
        [this.said, 'line'],
        [this.said, 'exit'],
      ],
    });
    if (this.lines.length === 0) throw new Error(`usb-lab exited: ${this.process.output()}`);
    return this.lines.shift() as string;
  }

  /** Sends one command; resolves with the text after "ok ", rejects on "error …". */
  command(words: string[]): Promise<string> {
    const run = async (): Promise<string> => {
      if (this.stopped) throw new Error('usb-lab: stopped');
      this.process.child.stdin?.write(`${words.map(quote).join(' ')}\n`);
      const reply = await this.nextLine();
      if (reply === 'ok' || reply.startsWith('ok ')) return reply.slice(3);
      throw new Error(`usb-lab: ${words[0]} ${words[1] ?? ''}: ${reply}`);
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
