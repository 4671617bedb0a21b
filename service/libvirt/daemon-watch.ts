// Notices libvirt's daemon (libvirtd, or the modular virtqemud) going away
// and coming back, which libvirt-dbus keeps to itself: it reconnects only
// when a call reaches it. We hold one idle connection to the daemon's
// socket; the daemon closing it says "gone" the moment it happens. Then we
// connect again at once (a socket-activated daemon is started by that very
// connection). When that fails we wait for the socket to be made anew
// (inotify on its directory); a daemon binds its socket a moment before it
// listens on it, so a refused connection right after that is tried again a
// few times, quickly. While the daemon is up nothing here runs at all.

import { EventEmitter } from 'node:events';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import { log } from '../log.js';
import { errorMessage } from '../errors.js';

export interface DaemonWatchEvents {
  /** The daemon closed our connection, or cannot be reached. */
  gone: [reason: string];
  /** The daemon accepts connections again after being gone. */
  back: [];
}

// Between bind() and listen(): 20 ms, doubling, about 20 s in all; then only the next inotify event.
const FIRST_RETRY_MS = 20;
const MAX_RETRIES = 10;

export class LibvirtDaemonWatch extends EventEmitter<DaemonWatchEvents> {
  private socket: Socket | undefined;
  private attempt: Socket | undefined;
  private watcher: FSWatcher | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retries = 0;
  private up: boolean | undefined;
  /** Not reached since start: coming up then is not a 'back'. */
  private unseen = false;
  private stopped = false;

  constructor(readonly socketPath: string) {
    super();
  }

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.attempt?.destroy();
    this.socket?.destroy();
    this.socket = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    this.removeAllListeners();
  }

  private connect(): void {
    if (this.attempt || this.socket || this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const socket = createConnection(this.socketPath);
    this.attempt = socket;
    socket.once('connect', () => {
      this.attempt = undefined;
      this.socket = socket;
      this.retries = 0;
      this.watcher?.close();
      this.watcher = undefined;
      // The daemon never speaks first; anything it sends is not for us.
      socket.on('data', () => undefined);
      if (this.up === false && !this.unseen) this.emit('back');
      this.up = true;
      this.unseen = false;
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (this.attempt !== socket) return; // an error of the held connection ends in 'close'
      this.attempt = undefined;
      this.setGone(`cannot connect to ${this.socketPath}: ${error.code ?? error.message}`);
      this.watchForSocket();
      // Bound but not listening yet (or a stale socket file): try again shortly, a few times.
      // Absent, but made while we set up the watch: try again too.
      if (error.code === 'ECONNREFUSED' || existsSync(this.socketPath)) this.retrySoon();
    });
    socket.once('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.setGone(`${this.socketPath} closed the connection`);
      // Restarted, or socket-activated: connecting again tells which.
      this.connect();
    });
  }

  private retrySoon(): void {
    if (this.retries >= MAX_RETRIES || this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), FIRST_RETRY_MS * 2 ** this.retries++);
  }

  private setGone(reason: string): void {
    if (this.up === undefined) {
      // Never reached: a daemon elsewhere, or not started yet. Calls through libvirt-dbus tell which.
      log.warning(`libvirt's daemon is not at ${this.socketPath} (${reason}); watching for it there`);
      this.up = false;
      this.unseen = true;
      return;
    }
    if (this.up === false) return;
    this.up = false;
    this.emit('gone', reason);
  }

  private watchForSocket(): void {
    if (this.watcher || this.stopped) return;
    const dir = dirname(this.socketPath);
    const name = basename(this.socketPath);
    try {
      this.watcher = watch(dir, (_event, file) => {
        if (file !== null && file !== name) return;
        // A new socket: a fresh round of quick retries if it is not listening yet.
        this.retries = 0;
        this.connect();
      });
      this.watcher.on('error', (error) => log.warning(`watching ${dir}: ${error.message}`));
    } catch (error) {
      log.warning(`cannot watch ${dir} for libvirt's socket: ${errorMessage(error)}`);
    }
  }
}
