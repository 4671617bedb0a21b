// Every process a test starts, tracked by PID and stopped by PID.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ARTIFACTS } from './artifacts.js';
import { waitFor } from './wait.js';

const SETPRIV = '/usr/bin/setpriv';

export class TrackedProcess {
  private chunks: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (data: Buffer) => this.chunks.push(data.toString()));
    child.stderr?.on('data', (data: Buffer) => this.chunks.push(data.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    return this.chunks.join('');
  }

  /**
   * Resolves when the process has printed text matching pattern (in what it
   * printed from character `from` on): checked on each chunk it prints.
   */
  async waitForOutput(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<RegExpMatchArray> {
    const on: [EventEmitter, string][] = [[this.child, 'exit']];
    if (this.child.stdout) on.push([this.child.stdout, 'data']);
    if (this.child.stderr) on.push([this.child.stderr, 'data']);
    return waitFor(
      () => {
        const match = pattern.exec(this.output().slice(from));
        if (match) return match;
        if (!this.running) throw new Error(`${this.name} exited before printing ${pattern}: ${this.output()}`);
        return undefined;
      },
      { what: () => `${this.name} to print ${pattern}: ${this.output()}`, timeoutMs, on },
    );
  }

  /** SIGTERM, then SIGKILL after graceMs; always by PID. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 3_000): Promise<number | null> {
    if (!this.running) return this.exited;
    process.kill(this.pid, signal);
    const timer = setTimeout(() => {
      if (this.running) process.kill(this.pid, 'SIGKILL');
    }, graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

export class ProcessGroup {
  private readonly processes: TrackedProcess[] = [];

  start(name: string, command: string, args: string[], options: SpawnOptions = {}): TrackedProcess {
    // Should this test process die outright (a crash, a killed run), the kernel stops its children too.
    const [program, argv] = existsSync(SETPRIV)
      ? [SETPRIV, ['--pdeathsig', 'TERM', '--', command, ...args]]
      : [command, args];
    const child = spawn(program, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    const tracked = new TrackedProcess(name, child);
    child.once('error', () => undefined); // reported through exited/output
    this.processes.push(tracked);
    return tracked;
  }

  /** Stops every process still running, newest first; what each printed is kept (see keepOutput). */
  async stopAll(): Promise<void> {
    while (this.processes.length > 0) {
      const process = this.processes.pop() as TrackedProcess;
      const code = await process.stop();
      await keepOutput(process, code);
    }
  }
}

/** Where each test file's processes leave what they printed: a CI run keeps nothing else to read after a failure. */
const OUTPUT_DIR = join(ARTIFACTS, 'process-output');
const startedAfresh = new Set<string>();

async function keepOutput(tracked: TrackedProcess, code: number | null): Promise<void> {
  // Named after the test file; outside vitest (a bench), one file for all.
  const testPath = process.env.VITEST ? (await import('vitest')).expect.getState().testPath : undefined;
  const testFile = testPath ? basename(testPath) : 'outside-tests';
  const file = join(OUTPUT_DIR, `${testFile}.log`);
  const text = `==== ${tracked.name} (pid ${tracked.child.pid ?? '-'}, exit ${code}) ====\n${tracked.output()}\n`;
  try {
    mkdirSync(OUTPUT_DIR, { recursive: true });
    // This run's output only: the first process of a file starts it afresh.
    if (startedAfresh.has(file)) appendFileSync(file, text);
    else writeFileSync(file, text);
    startedAfresh.add(file);
  } catch {
    // Kept for reading only; a test never fails for it.
  }
}
