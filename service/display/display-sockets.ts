// The host-wide service shows no guest itself: a viewer in the user's own
// session (remote-viewer) does, through a socket only that user can open —
// DIR/<uid>/<guest uuid>.sock, in a directory of mode 0700 owned by the user
// — where each connection gets the guest's display from libvirt
// (OpenGraphicsFD). The display relay, a gjs child of ours
// (gjs/display-relay.ts), does the listening and the splicing; this module
// makes the directories, asks the relay for sockets, and takes them away
// when their guest stops, changes seat or goes.

import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { SwitcherError } from '../errors.js';
import type { Guest } from '../guests/guest.js';
import { log } from '../log.js';
import { spawnOwned } from '../owned-process.js';
import { line, parseEvent, type RelayCommand, type RelayEvent } from './relay-protocol.js';

export const DEFAULT_DISPLAY_DIR = '/run/phyllome-switcher/display';
const RELAY_FILE = 'phyllome-display-relay.js';
const LISTEN_TIMEOUT_MS = 5_000;

/** The relay program, beside the executable (installed, or build/ in the tree). */
export function locateRelay(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, RELAY_FILE);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return join('/usr/local/lib/phyllome-switcher', RELAY_FILE);
}

export interface DisplaySocketsOptions {
  /** Where each user's sockets go (DIR/<uid>/…); its parent must be root's alone to write. */
  dir: string;
  /** How to run the relay; by default gjs -m with the relay beside the executable. */
  relay: string[];
  /** libvirt-dbus's bus, for the relay: system, session or an address. */
  libvirtBus: string;
}

interface Socket {
  path: string;
  guestPath: string;
  uid: number;
  /** Settles once the relay listens, or cannot. */
  ready: Promise<void>;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

export class DisplaySockets {
  private relay: ChildProcess | undefined;
  private readonly sockets = new Map<string, Socket>();
  private readonly waiting = new Map<string, Waiter>();

  constructor(private readonly options: DisplaySocketsOptions) {}

  /**
   * The URI of a socket where `uid`'s viewers get `guest`'s display
   * (spice+unix:///…), made on first use. Resolves once it listens.
   */
  async open(uid: number, guest: Guest): Promise<string> {
    const path = join(this.options.dir, String(uid), `${guest.uuid}.sock`);
    let socket = this.sockets.get(path);
    if (!socket || socket.guestPath !== guest.path) {
      socket = { path, guestPath: guest.path, uid, ready: this.listen(path, uid, guest) };
      this.sockets.set(path, socket);
      socket.ready.catch(() => {
        if (this.sockets.get(path) === socket) this.sockets.delete(path);
      });
    }
    await socket.ready;
    return `spice+unix://${path}`;
  }

  /** Takes away every socket of a guest (it stopped, changed seat or went), ending their connections. */
  closeGuest(guestPath: string): void {
    for (const socket of [...this.sockets.values()]) if (socket.guestPath === guestPath) this.close(socket);
  }

  stop(): void {
    for (const socket of [...this.sockets.values()]) this.close(socket);
    this.relay?.kill('SIGTERM');
    this.relay = undefined;
  }

  private close(socket: Socket): void {
    this.sockets.delete(socket.path);
    this.send({ op: 'close', path: socket.path });
    void rm(socket.path, { force: true });
    log.info(`display socket of uid ${socket.uid} for ${socket.guestPath} closed`);
  }

  private async listen(path: string, uid: number, guest: Guest): Promise<void> {
    await this.userDirectory(uid);
    await rm(path, { force: true });
    const listening = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(path);
        reject(new SwitcherError('Timeout', `The display relay did not listen within ${LISTEN_TIMEOUT_MS / 1000} s`));
      }, LISTEN_TIMEOUT_MS);
      this.waiting.set(path, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
    this.send({ op: 'listen', path, domain: guest.libvirtPath, uid });
    await listening;
    // Connecting takes write permission on the socket: the user's alone (the directory keeps others out anyway).
    await chown(path, uid, 0);
    await chmod(path, 0o600);
    log.info(`display socket of uid ${uid} for ${JSON.stringify(guest.name)}: ${path}`);
  }

  /** DIR/<uid>, a directory only that user (and root) may enter, made or put right. */
  private async userDirectory(uid: number): Promise<void> {
    const dir = join(this.options.dir, String(uid));
    await mkdir(this.options.dir, { recursive: true, mode: 0o755 });
    const found = await lstat(dir).catch(() => undefined);
    if (found && !found.isDirectory()) await rm(dir, { force: true });
    if (!found?.isDirectory()) await mkdir(dir, { mode: 0o700 });
    await chown(dir, uid, 0);
    await chmod(dir, 0o700);
  }

  private send(command: RelayCommand): void {
    const relay = this.relay ?? this.startRelay();
    relay.stdin?.write(line(command));
  }

  private startRelay(): ChildProcess {
    const [command, ...args] = this.options.relay as [string, ...string[]];
    const relay = spawnOwned(command, [...args, this.options.libvirtBus], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.relay = relay;
    log.info(`display relay started (pid ${relay.pid ?? '?'})`);
    if (relay.stdout) createInterface({ input: relay.stdout }).on('line', (text) => this.onEvent(text));
    if (relay.stderr)
      createInterface({ input: relay.stderr }).on('line', (text) => log.warning(`display relay: ${text}`));
    relay.stdin?.on('error', () => undefined);
    relay.once('error', (error) => log.error(`display relay: ${error.message}`));
    relay.once('exit', (code, signal) => {
      if (this.relay === relay) this.relay = undefined;
      log.info(`display relay exited (${signal ?? `code ${code}`})`);
      // Its sockets died with it: every one must be asked for again.
      for (const waiter of this.waiting.values())
        waiter.reject(new SwitcherError('ViewerFailed', 'The display relay exited'));
      this.waiting.clear();
      for (const socket of [...this.sockets.values()]) {
        this.sockets.delete(socket.path);
        void rm(socket.path, { force: true });
      }
    });
    return relay;
  }

  private onEvent(text: string): void {
    const event: RelayEvent | undefined = parseEvent(text);
    if (!event) {
      log.warning(`display relay said: ${text}`);
      return;
    }
    const waiter = this.waiting.get(event.path);
    switch (event.ev) {
      case 'listening':
        this.waiting.delete(event.path);
        waiter?.resolve();
        break;
      case 'failed':
        this.waiting.delete(event.path);
        waiter?.reject(
          new SwitcherError('ViewerFailed', `The guest's display socket could not be made: ${event.message}`),
        );
        break;
      case 'connected':
        log.info(`display ${event.path}: a viewer of uid ${event.uid} (pid ${event.pid}) connected`);
        break;
      case 'refused':
        log.warning(`display ${event.path}: uid ${event.uid} (pid ${event.pid}) is not its user; sent away`);
        break;
      case 'error':
        log.warning(`display ${event.path}: no display for a viewer: ${event.message}`);
        break;
    }
  }
}
