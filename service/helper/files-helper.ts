// The guest-files helper's one face: a connection from the service (the
// socket only the service's user may connect to, or a child's stdio), each
// line a request or a control for one under way, answered by the request's
// events. Every line is checked (guest-files/protocol.ts) before anything
// is done; a connection that breaks the protocol is closed. When a
// connection goes, its requests are cancelled and undo their work.

import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { errorMessage, SwitcherError } from '../errors.js';
import { readLines } from '../guest-files/lines.js';
import { encode, MAX_LINE, parseRequest, ProtocolError, type FilesRequest } from '../guest-files/protocol.js';
import { log } from '../log.js';
import { cloneFiles, inspectGuest } from './clone-files.js';
import { exportFiles } from './export-files.js';
import { checkFree, importFiles } from './import-files.js';
import { copyMedia, inspectMedia } from './media-files.js';
import type { HelperParts, Session } from './session.js';
import { workerOutcome } from './worker-launcher.js';

/** Requests under way on one connection at most: the service bounds its own; this bounds a broken one. */
const MAX_REQUESTS = 64;

interface Running {
  controller: AbortController;
  go: (() => void) | undefined;
}

/** The id of a line that is JSON with a good id, whatever else is wrong with it. */
function requestId(line: string): number | undefined {
  try {
    const id = (JSON.parse(line) as { id?: unknown }).id;
    return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

export class FilesHelper {
  private readonly connections = new Set<() => void>();
  private readonly settled = new Set<Promise<void>>();

  constructor(private readonly parts: HelperParts) {}

  /** Serves one connection until it ends; returns what closes it. */
  serve(input: Readable, output: Writable, label: string): () => void {
    const running = new Map<number, Running>();
    let open = true;
    const send = (message: Record<string, unknown>): void => {
      if (open) output.write(encode(message));
    };
    const close = (why: string): void => {
      if (!open) return;
      open = false;
      reader.stop();
      this.connections.delete(closeNow);
      if (running.size > 0) log.info(`${label} ${why}: cancelling ${running.size} request(s)`);
      for (const request of running.values()) {
        request.controller.abort(new SwitcherError('InvalidState', 'The service went away; nothing was kept'));
      }
      output.end();
    };
    const closeNow = (): void => close('closed');
    output.on('error', () => close('lost'));
    const reader = readLines(
      input,
      MAX_LINE,
      (line) => {
        let parsed;
        try {
          parsed = parseRequest(line);
        } catch (error) {
          // A request whose id can be read is refused alone; anything else ends the connection.
          const id = requestId(line);
          if (id === undefined) {
            log.warning(`${label} sent what is not a request (${errorMessage(error)}); closed`);
            close('broke the protocol');
          } else {
            log.warning(`${label}: request ${id} refused: ${errorMessage(error)}`);
            send({
              id,
              ev: 'error',
              kind: 'Internal',
              message: `The guest-files helper refused the request: ${errorMessage(error)}`,
            });
          }
          return;
        }
        const { id, request, control } = parsed;
        if (control) {
          const target = running.get(id);
          if (control.op === 'cancel') target?.controller.abort(new SwitcherError('InvalidState', 'Cancelled'));
          else target?.go?.();
          return;
        }
        if (running.has(id)) {
          send({ id, ev: 'error', kind: 'InvalidArgument', message: `request ${id} is under way already` });
          return;
        }
        if (running.size >= MAX_REQUESTS) {
          send({
            id,
            ev: 'error',
            kind: 'InvalidState',
            message: 'The guest-files helper has too many requests under way',
          });
          return;
        }
        const entry: Running = { controller: new AbortController(), go: undefined };
        running.set(id, entry);
        const done = this.run(request as FilesRequest, id, entry, send).finally(() => running.delete(id));
        this.settled.add(done);
        void done.finally(() => this.settled.delete(done));
      },
      (error) => close(error ? `broke off (${error.message})` : 'closed'),
    );
    this.connections.add(closeNow);
    return closeNow;
  }

  /** Closes every connection and waits (at most timeoutMs) for their requests to undo their work. */
  async stop(timeoutMs: number): Promise<void> {
    for (const close of [...this.connections]) close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.settled]),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  private async run(
    request: FilesRequest,
    id: number,
    entry: Running,
    send: (message: Record<string, unknown>) => void,
  ): Promise<void> {
    const signal = entry.controller.signal;
    const session: Session = {
      id: `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`,
      signal,
      ready: (data) =>
        new Promise<void>((resolve, reject) => {
          if (signal.aborted) return reject(signal.reason as Error);
          const onAbort = (): void => reject(signal.reason as Error);
          signal.addEventListener('abort', onAbort, { once: true });
          entry.go = () => {
            entry.go = undefined;
            signal.removeEventListener('abort', onAbort);
            resolve();
          };
          send({ id, ev: 'ready', data });
        }),
      total: (bytes) => send({ id, ev: 'total', bytes }),
      progress: (bytes) => send({ id, ev: 'progress', bytes }),
    };
    try {
      const data = await this.perform(request, session);
      send({ id, ev: 'result', data });
    } catch (error) {
      const typed =
        error instanceof SwitcherError
          ? error
          : new SwitcherError('Internal', error instanceof ProtocolError ? error.message : errorMessage(error));
      if (typed.kind === 'Internal') log.warning(`request ${id} (${request.op}): ${typed.message}`);
      send({ id, ev: 'error', kind: typed.kind, message: typed.message });
    }
  }

  private async perform(request: FilesRequest, session: Session): Promise<Record<string, unknown>> {
    const parts = this.parts;
    switch (request.op) {
      case 'inspect-media':
        return inspectMedia(parts, session, request);
      case 'copy-media':
        return copyMedia(parts, session, request);
      case 'export':
        return exportFiles(parts, session, request);
      case 'read-bundle': {
        // Handed on as the worker said it: the service reads it as any caller's words.
        const worker = parts.launcher.start(request.caller, { op: 'read-bundle', bundle: request.bundle });
        return workerOutcome(worker, {}, session.signal);
      }
      case 'check-free':
        await checkFree(parts, request.uuid, request.nvram, request.tpm);
        return {};
      case 'import':
        return importFiles(parts, session, request);
      case 'inspect-guest':
        return { ...(await inspectGuest(parts, request.uuid)) };
      case 'clone':
        return cloneFiles(parts, session, request);
    }
  }
}
