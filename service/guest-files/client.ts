// The service's line to the guest-files helper: the helper's socket
// (host-wide: systemd starts the helper on the first connection) or the
// helper as a child on its stdio (per user: it runs as the user, and its
// workers too). One connection, made when first needed and again after it
// is lost; a request is a call with its own events, its plan phase bounded
// by a deadline, its job phase by its cancel. If the helper goes away
// mid-request, the request fails with a sentence a person can read; the
// helper undoes what it made when it starts again.

import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { SwitcherError } from '../errors.js';
import { log } from '../log.js';
import { spawnOwned } from '../owned-process.js';
import { readLines } from './lines.js';
import { encode, MAX_LINE, parseEvent, type Answers, type FilesEvent, type FilesRequest } from './protocol.js';

export const FILES_PROGRAM = 'phyllome-switcher-files';
export const DEFAULT_FILES_SOCKET = '/run/phyllome-switcher-files/files.sock';
/** What a request may take before its job starts (reading a bundle, an ISO, libosinfo's answer). */
export const PLAN_DEADLINE_MS = 120_000;
const CONNECT_TIMEOUT_MS = 5_000;

/** The helper program beside the service's executable (installed, or build/ in the tree). */
export function locateFilesHelper(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, FILES_PROGRAM);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return join('/usr/local/lib/phyllome-switcher', FILES_PROGRAM);
}

export type FilesLink =
  /** The host-wide helper's socket. */
  | { socket: string }
  /** The helper run as our child: its command line (program and arguments, --stdio among them). */
  | { command: string[] };

interface Connection {
  input: Readable;
  output: Writable;
  close: () => void;
}

export interface CallHandlers {
  onTotal?: (bytes: number) => void;
  onProgress?: (bytes: number) => void;
}

type Ready<K extends keyof Answers> = Answers[K] extends { ready: infer R } ? R : never;

/** One request under way: what it has ready (if it waits for go), then its result. */
export class FilesCall<K extends keyof Answers> {
  private readyWaiters: [(data: Ready<K>) => void, (error: Error) => void] | undefined;
  private readyData: Ready<K> | undefined;
  private ended: { data: Answers[K]['result'] } | { error: Error } | undefined;
  private resultWaiters: [(data: Answers[K]['result']) => void, (error: Error) => void][] = [];
  private deadline: NodeJS.Timeout | undefined;

  constructor(
    readonly id: number,
    private readonly client: FilesClient,
    private readonly handlers: CallHandlers,
    deadlineMs: number | undefined,
  ) {
    if (deadlineMs !== undefined) {
      this.deadline = setTimeout(() => {
        this.client.control(this.id, 'cancel');
        this.end({
          error: new SwitcherError('Timeout', `The guest-files helper did not answer within ${deadlineMs / 1000} s`),
        });
      }, deadlineMs);
    }
  }

  /** Resolves with what the helper has ready and waits to go on with; rejects if it ended instead. */
  ready(): Promise<Ready<K>> {
    if (this.readyData !== undefined) return Promise.resolve(this.readyData);
    if (this.ended) {
      return 'error' in this.ended
        ? Promise.reject(this.ended.error)
        : Promise.reject(new SwitcherError('Internal', 'The guest-files helper ended without waiting'));
    }
    return new Promise((resolve, reject) => (this.readyWaiters = [resolve, reject]));
  }

  /** Lets a request that is ready go on (its job: no deadline but its cancel from here). */
  go(): void {
    clearTimeout(this.deadline);
    this.client.control(this.id, 'go');
  }

  cancel(): void {
    clearTimeout(this.deadline);
    if (!this.ended) this.client.control(this.id, 'cancel');
  }

  result(): Promise<Answers[K]['result']> {
    if (this.ended) return 'error' in this.ended ? Promise.reject(this.ended.error) : Promise.resolve(this.ended.data);
    return new Promise((resolve, reject) => this.resultWaiters.push([resolve, reject]));
  }

  /** The client's: an event of this request. */
  handle(event: FilesEvent): void {
    switch (event.ev) {
      case 'ready': {
        clearTimeout(this.deadline);
        this.readyData = event.data as Ready<K>;
        const waiters = this.readyWaiters;
        this.readyWaiters = undefined;
        waiters?.[0](this.readyData);
        break;
      }
      case 'total':
        this.handlers.onTotal?.(event.bytes);
        break;
      case 'progress':
        this.handlers.onProgress?.(event.bytes);
        break;
      case 'result':
        this.end({ data: event.data as Answers[K]['result'] });
        break;
      case 'error':
        this.end({ error: new SwitcherError(event.kind, event.message) });
        break;
    }
  }

  /** The client's: the request is over, one way or the other. */
  end(outcome: { data: Answers[K]['result'] } | { error: Error }): void {
    if (this.ended) return;
    this.ended = outcome;
    clearTimeout(this.deadline);
    this.client.forget(this.id);
    const ready = this.readyWaiters;
    this.readyWaiters = undefined;
    if (ready) ready[1]('error' in outcome ? outcome.error : new SwitcherError('Internal', 'It ended without waiting'));
    for (const [resolve, reject] of this.resultWaiters.splice(0)) {
      if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.data);
    }
  }
}

export class FilesClient {
  private connection: Connection | undefined;
  private connecting: Promise<Connection> | undefined;
  private readonly calls = new Map<number, FilesCall<keyof Answers>>();
  private next = 1;
  private stopped = false;

  constructor(private readonly link: FilesLink) {}

  /**
   * Sends a request; its plan phase (until 'ready' or its result) is bounded
   * by `deadlineMs` (none: the caller's own signal bounds it).
   */
  async request<K extends keyof Answers>(
    request: Extract<FilesRequest, { op: K }>,
    handlers: CallHandlers = {},
    deadlineMs: number | undefined = PLAN_DEADLINE_MS,
  ): Promise<FilesCall<K>> {
    const connection = await this.connect();
    const id = this.next++;
    const call = new FilesCall<K>(id, this, handlers, deadlineMs);
    this.calls.set(id, call as unknown as FilesCall<keyof Answers>);
    connection.output.write(encode({ id, ...request }));
    return call;
  }

  /** A request that answers at once (no ready, no go): its result. */
  async ask<K extends keyof Answers>(
    request: Extract<FilesRequest, { op: K }>,
    handlers: CallHandlers = {},
  ): Promise<Answers[K]['result']> {
    return (await this.request(request, handlers)).result();
  }

  /**
   * Reaches the helper now rather than at the first request: started (its
   * socket's first connection, or our child), it deals with what a crash
   * left before anything else.
   */
  async start(): Promise<void> {
    await this.connect();
  }

  control(id: number, op: 'go' | 'cancel'): void {
    this.connection?.output.write(encode({ id, op }));
  }

  forget(id: number): void {
    this.calls.delete(id);
  }

  stop(): void {
    this.stopped = true;
    this.connection?.close();
    this.fail('The service is stopping');
  }

  private connect(): Promise<Connection> {
    if (this.stopped) return Promise.reject(new SwitcherError('Internal', 'The service is stopping'));
    if (this.connection) return Promise.resolve(this.connection);
    this.connecting ??= (
      'socket' in this.link ? this.connectSocket(this.link.socket) : this.startChild(this.link.command)
    )
      .then((connection) => {
        this.connection = connection;
        readLines(
          connection.input,
          MAX_LINE,
          (line) => this.onLine(line),
          (error) => this.lost(connection, error),
        );
        return connection;
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private connectSocket(path: string): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket: Socket = createConnection(path);
      const timer = setTimeout(() => socket.destroy(new Error('no answer')), CONNECT_TIMEOUT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.on('error', (error) => log.warning(`guest-files helper: ${error.message}`));
        resolve({ input: socket, output: socket, close: () => socket.destroy() });
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new SwitcherError('Internal', `The guest-files helper cannot be reached at ${path}: ${error.message}`));
      });
    });
  }

  private startChild(command: string[]): Promise<Connection> {
    const [program, ...args] = command as [string, ...string[]];
    const child: ChildProcess = spawnOwned(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    log.info(`guest-files helper started (pid ${child.pid ?? '?'})`);
    child.stdin?.on('error', () => undefined);
    if (child.stderr) createInterface({ input: child.stderr }).on('line', (text) => process.stderr.write(`${text}\n`));
    child.once('error', (error) => log.error(`guest-files helper: ${error.message}`));
    child.once('exit', (code, signal) => log.info(`guest-files helper exited (${signal ?? `code ${code}`})`));
    return Promise.resolve({
      input: child.stdout as Readable,
      output: child.stdin as Writable,
      close: () => child.kill('SIGTERM'),
    });
  }

  private onLine(line: string): void {
    let event: FilesEvent;
    try {
      event = parseEvent(line);
    } catch (error) {
      log.warning(`guest-files helper said what is not an event (${(error as Error).message})`);
      return;
    }
    this.calls.get(event.id)?.handle(event);
  }

  private lost(connection: Connection, error: Error | undefined): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    connection.close();
    if (!this.stopped) log.warning(`lost the guest-files helper${error ? ` (${error.message})` : ''}`);
    this.fail('The guest-files helper stopped in the middle; what it made is removed when it starts again');
  }

  private fail(message: string): void {
    for (const call of [...this.calls.values()]) call.end({ error: new SwitcherError('Internal', message) });
  }
}
