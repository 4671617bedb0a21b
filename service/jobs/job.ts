// One long operation the service runs for a caller, in the shape udisks2
// gives its jobs: what it is, which guest it concerns, how far it got (in
// bytes), a way to cancel it (an AbortSignal the operation checks), and one
// ending — success or failure, with a sentence a person can read.

import { EventEmitter } from 'node:events';
import { REAL_CLOCK, type Clock } from '../clock.js';
import { errorMessage, invalidState, SwitcherError } from '../errors.js';
import { readableMessage } from '../readable.js';

export type JobOperation = 'export' | 'import' | 'clone' | 'migrate';
export type JobState = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** What the operation is given to report progress and to learn of a cancel. */
export interface JobContext {
  /** Aborted when the job is cancelled; the operation undoes its work and throws. */
  readonly signal: AbortSignal;
  /** The bytes the job will move in all (allocated data, not apparent sizes). */
  setTotal(bytes: number | bigint): void;
  /** Adds bytes moved. */
  advance(bytes: number | bigint): void;
  /** Sets the bytes moved and the total at once (libvirt's own job statistics). */
  report(done: number | bigint, total: number | bigint): void;
  /** The guest the job now concerns (an import's guest, once defined), as our object path. */
  setGuest(path: string): void;
}

/** How a job that succeeded ended: its result (a bundle path, a guest path…) and a sentence. */
export interface JobOutcome {
  result: string;
  message: string;
}

export type JobRun = (context: JobContext) => Promise<JobOutcome>;

export type JobField = 'progress' | 'guest' | 'result';

/**
 * Who started a job, as udisks2's jobs carry StartedByUID: only that user
 * (or whom polkit allows) may cancel it. The seat is where they sat when
 * they started it ('' for none, or when seats are not told apart).
 */
export interface JobStarter {
  uid: number;
  seat: string;
  /**
   * The bus connection that started it, which alone hears how it ended
   * (Completed names what the caller named: folders, hosts); '' for none.
   */
  sender?: string;
}

export interface JobEvents {
  /** Some of the job's fields changed. Progress is announced once per percent, at most 4 times a second. */
  changed: [fields: JobField[]];
  completed: [success: boolean, message: string];
}

export const NO_GUEST = '/';
/** Progress announcements at most this often: each is a D-Bus signal, and a copy runs between them. */
const ANNOUNCE_INTERVAL_MS = 250;

export class Job extends EventEmitter<JobEvents> {
  private controller = new AbortController();
  private done = 0n;
  private total = 0n;
  private announcedPercent = -1;
  private announcedAt = 0;
  private currentGuest: string;
  private currentState: JobState = 'running';
  private outcome = '';
  private finalMessage = '';

  constructor(
    readonly id: number,
    readonly path: string,
    readonly operation: JobOperation,
    guest: string,
    readonly startedBy: JobStarter,
    /** The time progress is announced by. */
    private readonly clock: Clock = REAL_CLOCK,
  ) {
    super();
    this.currentGuest = guest || NO_GUEST;
  }

  get guest(): string {
    return this.currentGuest;
  }

  get state(): JobState {
    return this.currentState;
  }

  get bytesDone(): bigint {
    return this.done;
  }

  get bytesTotal(): bigint {
    return this.total;
  }

  /** 0..1; 1 once the job succeeded. */
  get progress(): number {
    if (this.currentState === 'succeeded') return 1;
    if (this.total === 0n) return 0;
    const ratio = Number((this.done * 1_000_000n) / this.total) / 1_000_000;
    return Math.min(1, Math.max(0, ratio));
  }

  /** The bundle path (export), the new guest's path (import, clone), the target URI (migrate); '' until success. */
  get result(): string {
    return this.outcome;
  }

  get message(): string {
    return this.finalMessage;
  }

  /** Asks the operation to stop and undo its work; Completed(false, …) follows once it has. */
  cancel(): void {
    if (this.currentState !== 'running') throw invalidState(`This ${this.operation} has already finished`);
    if (this.controller.signal.aborted) return;
    this.controller.abort(new SwitcherError('InvalidState', 'Cancelled'));
  }

  /** Runs the operation once; the job ends with its outcome. */
  async run(operation: JobRun): Promise<void> {
    const context: JobContext = {
      signal: this.controller.signal,
      setTotal: (bytes) => {
        this.total = BigInt(bytes);
        this.announceProgress();
      },
      advance: (bytes) => {
        this.done += BigInt(bytes);
        this.announceProgress();
      },
      report: (done, total) => {
        this.done = BigInt(done);
        this.total = BigInt(total);
        this.announceProgress();
      },
      setGuest: (path) => {
        this.currentGuest = path || NO_GUEST;
        this.emit('changed', ['guest']);
      },
    };
    try {
      // An operation that returns has done its work (a cancel that came too late to undo it changes nothing).
      const { result, message } = await operation(context);
      this.outcome = result;
      this.finish('succeeded', message);
    } catch (error) {
      if (this.controller.signal.aborted) this.finish('cancelled', cancelledMessage(this.operation));
      else this.finish('failed', readableMessage(errorMessage(error)));
    }
  }

  private finish(state: JobState, message: string): void {
    this.currentState = state;
    this.finalMessage = message;
    if (state === 'succeeded') this.done = this.total;
    this.emit('changed', state === 'succeeded' ? ['progress', 'result'] : ['progress']);
    this.emit('completed', state === 'succeeded', message);
  }

  private announceProgress(): void {
    const percent = Math.floor(this.progress * 100);
    if (percent === this.announcedPercent) return;
    const now = this.clock.now();
    if (this.announcedPercent >= 0 && now - this.announcedAt < ANNOUNCE_INTERVAL_MS) return;
    this.announcedPercent = percent;
    this.announcedAt = now;
    this.emit('changed', ['progress']);
  }
}

function cancelledMessage(operation: JobOperation): string {
  const what = { export: 'Export', import: 'Import', clone: 'Clone', migrate: 'Move' }[operation];
  return `${what} cancelled; nothing was changed`;
}
