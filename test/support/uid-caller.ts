// A caller of another user: uid-caller.mjs run through setpriv with that
// uid and gid and no supplementary groups (no libvirt group), as a person
// logged in on a seat would call. No user is made on the host: the callers
// are accounts it has already (dbus-daemon refuses a uid it cannot look up,
// since its policy needs the user's groups).

import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ProcessGroup, TrackedProcess } from './processes.js';
import { ROOT } from './root.js';

const SCRIPT = resolve(ROOT, 'test/support/uid-caller.mjs');

interface Reply {
  id: number;
  ok: boolean;
  body?: unknown[];
  error?: string;
  message?: string;
  hex?: string;
}

function lookup(database: string, key: string): string[] {
  try {
    return execFileSync('getent', [database, key], { encoding: 'utf8' }).trim().split(':');
  } catch {
    return [];
  }
}

/**
 * Two accounts of this host that are neither root nor in the libvirt group:
 * regular users first (uid 1000 on), then nobody and daemon, which every
 * Debian system has.
 */
export function twoUsers(): [number, number] {
  const libvirtMembers = (lookup('group', 'libvirt')[3] ?? '').split(',').filter(Boolean);
  const libvirtGid = Number(lookup('group', 'libvirt')[2] ?? -1);
  const fit = (uid: number): boolean => {
    const entry = lookup('passwd', String(uid));
    return entry.length > 3 && !libvirtMembers.includes(entry[0] as string) && Number(entry[3]) !== libvirtGid;
  };
  const found = [1000, 1001, 1002, 65534, 1].filter(fit);
  if (found.length < 2) throw new Error('this host has no two accounts other than root outside the libvirt group');
  return [found[0] as number, found[1] as number];
}

/** A file-system change a caller tries (see uid-caller.mjs). */
export type FsAttempt =
  | { op: 'unlink' | 'rmdir' | 'mkdir' | 'create' | 'read'; path: string }
  | { op: 'symlink'; target: string; path: string }
  | { op: 'rename'; from: string; to: string };

/** How often each outcome came: 'ok', or an errno code such as 'EACCES'. */
export type Outcomes = Record<string, number>;

/** A signal as a UidCaller's connection got it; `destination` is its own name for one sent to it alone. */
export interface ReceivedSignal {
  path: string;
  iface: string;
  member: string;
  destination: string;
  body: unknown[];
}

export class UidCaller {
  private next = 1;
  /** This user's connection's unique name on the bus. */
  busName = '';
  private readonly pending = new Map<number, (reply: Reply) => void>();

  private constructor(
    readonly uid: number,
    readonly process: TrackedProcess,
  ) {
    if (!process.child.stdout) throw new Error('uid caller has no stdout');
    createInterface({ input: process.child.stdout }).on('line', (line) => {
      const reply = JSON.parse(line) as Reply;
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
  }

  static async start(group: ProcessGroup, uid: number, busAddress: string): Promise<UidCaller> {
    const child = group.start(
      `caller ${uid}`,
      'setpriv',
      ['--reuid', String(uid), '--regid', String(uid), '--clear-groups', process.execPath, SCRIPT, busAddress],
      { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent' } },
    );
    const caller = new UidCaller(uid, child);
    const hello = await caller.request(0, {});
    if (!hello.ok) throw new Error(`caller ${uid} could not connect: ${hello.error ?? ''} ${child.output()}`);
    caller.busName = String(hello.body?.[2] ?? '');
    return caller;
  }

  get pid(): number {
    return this.process.pid;
  }

  /** The D-Bus error name a call fails with, or 'ok'; `body` gets the reply. */
  async call(
    destination: string,
    path: string,
    iface: string,
    member: string,
    signature = '',
    body: unknown[] = [],
    flags = 0,
  ): Promise<{ error: string; body: unknown[]; message: string }> {
    const reply = await this.send({ op: 'call', destination, path, iface, member, signature, body, flags });
    return { error: reply.ok ? 'ok' : (reply.error ?? '?'), body: reply.body ?? [], message: reply.message ?? '' };
  }

  /**
   * Sends `count` calls at once, each with its own deadline; resolves to
   * each one's error name ('ok', or 'timeout' when no answer came in time)
   * and how long its answer took, as this caller saw it.
   */
  async calls(
    count: number,
    timeoutMs: number,
    destination: string,
    path: string,
    iface: string,
    member: string,
    signature = '',
    body: unknown[] = [],
  ): Promise<{ error: string; message: string; ms: number }[]> {
    const reply = await this.send(
      { op: 'calls', count, timeoutMs, destination, path, iface, member, signature, body },
      timeoutMs + 30_000,
    );
    if (!reply.ok) throw new Error(`caller ${this.uid}: ${reply.error ?? '?'}`);
    return reply.body as { error: string; message: string; ms: number }[];
  }

  /** Tries each file-system change once as this user; per attempt, how often each outcome came ('ok' or errno). */
  async tamper(attempts: FsAttempt[]): Promise<Outcomes[]> {
    const reply = await this.send({ op: 'tamper', attempts });
    return reply.body as Outcomes[];
  }

  /**
   * Tries the changes over and over, as fast as this process can, until the
   * function returned is called; it resolves to the outcomes of them all.
   */
  keepTampering(attempts: FsAttempt[]): () => Promise<Outcomes[]> {
    const tag = this.next++;
    const done = this.send({ op: 'tamper', attempts, tag }, 600_000);
    return async () => {
      await this.send({ op: 'untamper', tag });
      return (await done).body as Outcomes[];
    };
  }

  /** Connects to a unix socket as this user, sends `bytes`, and resolves to what came back first (or the errno code). */
  async socket(path: string, bytes: Buffer): Promise<{ error: string; received: Buffer }> {
    const reply = await this.send({ op: 'socket', path, hex: bytes.toString('hex') });
    return { error: reply.ok ? 'ok' : (reply.error ?? '?'), received: Buffer.from(reply.hex ?? '', 'hex') };
  }

  /**
   * Connects to a unix socket `count` times as this user, `parallel` at a
   * time, hanging up on each `holdMs` after it connects; how often each
   * outcome came ('closed', or the errno code).
   */
  async churn(path: string, count: number, parallel: number, holdMs: number): Promise<Outcomes> {
    const reply = await this.send({ op: 'churn', path, count, parallel, holdMs }, 300_000);
    return (reply.body?.[0] ?? {}) as Outcomes;
  }

  /**
   * The first signal at `path` of `member` this user's connection got, from
   * its start: unicast ones, and broadcast ones its match rules let through.
   */
  async signal(path: string, member: string, timeoutMs = 60_000): Promise<ReceivedSignal> {
    const reply = await this.send({ op: 'signal', path, member, timeoutMs }, timeoutMs + 30_000);
    if (!reply.ok) throw new Error(`caller ${this.uid}: ${reply.message ?? reply.error ?? '?'}`);
    return reply.body?.[0] as ReceivedSignal;
  }

  /** Every signal this user's connection got so far. */
  async signals(): Promise<ReceivedSignal[]> {
    return ((await this.send({ op: 'signals' })).body?.[0] ?? []) as ReceivedSignal[];
  }

  /** Sends a signal, to `destination` alone or (with '') to all, as any client of the bus may. */
  async emit(
    destination: string,
    path: string,
    iface: string,
    member: string,
    signature: string,
    body: unknown[],
  ): Promise<void> {
    const reply = await this.send({ op: 'emit', destination, path, iface, member, signature, body });
    if (!reply.ok) throw new Error(`caller ${this.uid}: emit: ${reply.message ?? reply.error ?? '?'}`);
  }

  /** Asks the bus for the broadcast signals `rule` names (AddMatch), as any listener may. */
  async addMatch(rule: string): Promise<void> {
    const reply = await this.send({ op: 'match', rule });
    if (!reply.ok) throw new Error(`caller ${this.uid}: AddMatch: ${reply.message ?? reply.error ?? '?'}`);
  }

  stop(): Promise<number | null> {
    return this.process.stop();
  }

  private send(request: Record<string, unknown>, timeoutMs?: number): Promise<Reply> {
    return this.request(this.next++, request, timeoutMs);
  }

  private request(id: number, request: Record<string, unknown>, timeoutMs = 30_000): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`caller ${this.uid}: no answer to ${JSON.stringify(request)}: ${this.process.output()}`));
      }, timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      if (id !== 0) this.process.child.stdin?.write(`${JSON.stringify({ id, ...request })}\n`);
    });
  }
}
