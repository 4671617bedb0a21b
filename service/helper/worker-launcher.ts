// Starts a worker as a caller: setpriv with the caller's uid, primary group
// and supplementary groups, no capabilities (a uid change from root drops
// them; the inheritable set is cleared), no new privileges, its working
// folder /, a bare environment — and the helper's open files as fd 3 and
// on. Its real group is the workers' own group, not the caller's: a
// process whose real and effective ids differ is not dumpable after exec,
// so the caller, same uid or not, can neither ptrace it nor open its
// descriptors through /proc — the guest's files it was handed stay its own,
// and no write descriptor outlives it.

import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { errorMessage, SwitcherError } from '../errors.js';
import type { Caller } from '../guest-files/protocol.js';
import { encode } from '../guest-files/protocol.js';
import { readLines } from '../guest-files/lines.js';
import { log } from '../log.js';
import {
  MAX_WORKER_LINE,
  parseWorkerEvent,
  type WorkerControl,
  type WorkerEvent,
  type WorkerTask,
} from '../worker/protocol.js';

const SETPRIV = '/usr/bin/setpriv';
export const WORKER_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const MAX_STDERR_LINES = 20;
const ABORT_GRACE_MS = 5_000;

export interface LauncherOptions {
  /** The program a worker runs (node and phyllome-switcher-worker). */
  program: string[];
  /** The workers' real group (see above); required when the helper is root. */
  workerGid: number | undefined;
  /** Where workers find programs (osinfo-detect, qemu-img): the helper's unit sets it, never a caller. */
  path?: string;
}

export interface WorkerEvents {
  event: [event: WorkerEvent];
  /** The worker broke the protocol: what it said is not taken, it is killed. */
  broken: [reason: string];
}

export class Worker extends EventEmitter<WorkerEvents> {
  /** Resolves with its exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;

  constructor(
    private readonly child: ChildProcess,
    readonly label: string,
  ) {
    super();
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', (error) => {
        log.warning(`${label}: ${error.message}`);
        resolve(null);
      });
    });
    child.stdin?.on('error', () => undefined);
    if (child.stdout) {
      readLines(
        child.stdout,
        MAX_WORKER_LINE,
        (line) => {
          let event: WorkerEvent;
          try {
            event = parseWorkerEvent(line);
          } catch (error) {
            this.broke(errorMessage(error));
            return;
          }
          this.emit('event', event);
        },
        (error) => {
          if (error) this.broke(error.message);
        },
      );
    }
    if (child.stderr) {
      let lines = 0;
      createInterface({ input: child.stderr }).on('line', (text) => {
        if (++lines <= MAX_STDERR_LINES) log.warning(`${label}: ${text.slice(0, 500)}`);
      });
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(control: WorkerControl): void {
    this.child.stdin?.write(encode(control));
  }

  /** Ends its input: a worker that is waiting stops and undoes its work. */
  close(): void {
    this.child.stdin?.end();
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private broke(reason: string): void {
    log.warning(`${this.label} broke the protocol (${reason}); stopped`);
    this.kill();
    this.emit('broken', reason);
  }
}

export class WorkerLauncher {
  private readonly asRoot = (process.geteuid?.() ?? -1) === 0;

  constructor(private readonly options: LauncherOptions) {}

  /**
   * Starts a worker for `caller` (undefined: as this process, for a helper
   * that is already the caller's own) with `files` as fd 3, 4… and `task`
   * as its first line.
   */
  start(caller: Caller | undefined, task: WorkerTask, files: number[] = []): Worker {
    const [program, ...programArgs] = this.options.program as [string, ...string[]];
    // Root starts workers as the caller (root's own callers as root); a helper that is a user's own runs
    // them as that user, who walk a caller's paths as the caller, as the per-user service always did.
    const identity = this.asRoot && caller && caller.uid !== 0 ? this.identity(caller) : [];
    if (caller) task.walkAs = { uid: caller.uid, gids: [caller.gid, ...caller.groups] };
    const child = spawn(SETPRIV, [...identity, '--no-new-privs', '--', program, ...programArgs], {
      stdio: ['pipe', 'pipe', 'pipe', ...files],
      cwd: '/',
      env: { PATH: this.options.path ?? WORKER_PATH, LANG: 'C.UTF-8' },
    });
    const who = caller ? `uid ${caller.uid}` : 'this user';
    const worker = new Worker(child, `worker ${task.op} (${who}, pid ${child.pid ?? '?'})`);
    child.stdin?.write(encode(task as unknown as Record<string, unknown>));
    return worker;
  }

  private identity(caller: Caller): string[] {
    const workerGid = this.options.workerGid;
    if (workerGid === undefined) {
      throw new SwitcherError('Internal', 'The guest-files helper has no workers group; it runs nothing as a caller');
    }
    // Its real group must differ from its effective one (see above), or its descriptors would be the caller's.
    if (caller.gid === workerGid) {
      throw new SwitcherError('AccessDenied', "Your group is the guest-files helper's own; nothing is run as you");
    }
    const groups = caller.groups.filter((g) => g !== workerGid);
    return [
      `--reuid=${caller.uid}`,
      `--rgid=${workerGid}`,
      `--egid=${caller.gid}`,
      ...(groups.length > 0 ? [`--groups=${groups.join(',')}`] : ['--clear-groups']),
      '--inh-caps=-all',
    ];
  }
}

/**
 * What a worker ends with: its result's data, or its error as a typed one.
 * Progress goes to `onProgress`; an export's 'copied' to `onCopied`.
 */
export function workerOutcome(
  worker: Worker,
  handlers: {
    onProgress?: (bytes: number) => void;
    onPlanned?: (data: Record<string, unknown>) => void;
    onCopied?: () => void;
  } = {},
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let settled: { ok: true; data: Record<string, unknown> } | { ok: false; error: SwitcherError } | undefined;
    let grace: NodeJS.Timeout | undefined;
    // Its input ended, a worker stops and undoes its work itself; one that does not in time is killed.
    const onAbort = (): void => {
      worker.close();
      grace = setTimeout(() => worker.kill(), ABORT_GRACE_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('event', (event) => {
      if (settled) return;
      switch (event.ev) {
        case 'progress':
          handlers.onProgress?.(event.bytes);
          break;
        case 'planned':
          handlers.onPlanned?.(event.data);
          break;
        case 'copied':
          handlers.onCopied?.();
          break;
        case 'result':
          settled = { ok: true, data: event.data };
          break;
        case 'error':
          settled = { ok: false, error: new SwitcherError(event.kind, event.message) };
          break;
      }
    });
    worker.on('broken', (reason) => {
      settled ??= { ok: false, error: new SwitcherError('Internal', `A worker broke off: ${reason}`) };
    });
    // The outcome counts once the worker has exited: nothing of it is left running then.
    void worker.exited.then((code) => {
      clearTimeout(grace);
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      else if (settled?.ok) resolve(settled.data);
      else if (settled) reject(settled.error);
      else reject(new SwitcherError('Internal', `A worker ended without an answer (exit ${code ?? 'by a signal'})`));
    });
  });
}
