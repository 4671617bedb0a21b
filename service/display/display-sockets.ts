// The host-wide service shows no guest itself: a viewer in the user's own
// session (remote-viewer) does, through a socket only that user can open —
// DIR/<uid>/<guest uuid>.sock — where each connection gets the guest's
// display from libvirt (OpenGraphicsFD). Every folder and socket here is the
// service's own, and no caller may write in any of them: the user is given
// the right to pass DIR/<uid> and connect to its sockets by ACLs, never the
// files themselves, so nothing here is ever done by path where a caller
// could have put something (a socket given away by chown and chmod by path,
// in a folder the user owned, let the user swap it for a link between the
// two and get any root file: issue 18). The display relay, a gjs child of
// ours (gjs/display-relay.ts), listens, grants and splices; this module
// makes the folders, asks the relay for sockets, and takes them away when
// their guest stops, changes seat or goes. A shared guest's display reaches
// the share (sharing/) the same way, through a socket of DIR/share/ that is
// the service's alone: nobody is granted it, and the relay lets only the
// service's own uid through.

import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, realpath, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { errorMessage, SwitcherError } from '../errors.js';
import type { Guest } from '../guests/guest.js';
import { log } from '../log.js';
import { spawnOwned } from '../owned-process.js';
import { line, parseEvent, type RelayCommand, type RelayEvent } from './relay-protocol.js';

export const DEFAULT_DISPLAY_DIR = '/run/phyllome-switcher/display';
const RELAY_FILE = 'phyllome-display-relay.js';
const LISTEN_TIMEOUT_MS = 5_000;
const MAX_SOCKET_PATH = 107;
/** DIR/share: the service's own sockets, one per shared guest (never a uid, which is all digits). */
const SHARE_FOLDER = 'share';

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
  /**
   * Where each user's sockets go (DIR/<uid>/…): made if missing, and it must
   * be the service's own, in folders only root, the service or a sticky bit
   * keep (as /run/phyllome-switcher, systemd's RuntimeDirectory, is).
   */
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
  /** The user `uid` is given the socket (ACLs); false for the service's own. */
  grant: boolean;
  /** Settles once the relay listens, or cannot. */
  ready: Promise<void>;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

const ownUid = (): number => process.geteuid?.() ?? 0;

const folderRefused = (why: string): SwitcherError =>
  new SwitcherError('ViewerFailed', `The display sockets cannot be made safely: ${why}`);

/**
 * Makes `dir` if missing (mode 0711: users pass, nobody lists), then checks
 * that it is the service's own and that every folder above it is root's or
 * the service's and writable by nobody else, unless sticky (as /tmp): then
 * nobody but the service can add, rename or remove anything on the way to a
 * socket. Resolves to it as the kernel resolves it (the administrator's links
 * followed once, here); ViewerFailed, naming what is wrong, otherwise.
 */
export async function checkDisplayFolder(given: string): Promise<string> {
  await mkdir(given, { recursive: true, mode: 0o711 });
  const dir = await realpath(given);
  const own = await lstat(dir);
  if (!own.isDirectory() || own.uid !== ownUid()) {
    throw folderRefused(`${dir} is not a folder of the service's user (uid ${ownUid()})`);
  }
  await chmod(dir, 0o711);
  for (let above = dirname(dir); ; above = dirname(above)) {
    const stats = await lstat(above);
    const owner = stats.uid === 0 || stats.uid === ownUid();
    const othersWrite = (stats.mode & 0o022) !== 0 && (stats.mode & 0o1000) === 0;
    if (!stats.isDirectory() || !owner || othersWrite) {
      throw folderRefused(`${above}, above ${dir}, is not root's or the service's alone to write in`);
    }
    if (above === dirname(above)) return dir;
  }
}

export class DisplaySockets {
  private relay: ChildProcess | undefined;
  private folderReady: Promise<string> | undefined;
  /** DIR/<uid> folders made (or found ours) this run. */
  private readonly folders = new Map<string, Promise<void>>();
  private readonly sockets = new Map<string, Socket>();
  private readonly waiting = new Map<string, Waiter>();

  constructor(private readonly options: DisplaySocketsOptions) {}

  /**
   * The URI of a socket where `uid`'s viewers get `guest`'s display
   * (spice+unix:///…), made on first use. Resolves once it listens.
   */
  async open(uid: number, guest: Guest): Promise<string> {
    const folder = await this.folder();
    const path = join(folder, String(uid), `${guest.uuid}.sock`);
    await this.socket(path, uid, guest, true);
    return `spice+unix://${path}`;
  }

  /**
   * The path of a socket only the service itself may open, where each
   * connection gets `guest`'s display (a share's way to it), made on first
   * use. Resolves once it listens.
   */
  async openOwn(guest: Guest): Promise<string> {
    const path = join(await this.folder(), SHARE_FOLDER, `${guest.uuid}.sock`);
    await this.socket(path, ownUid(), guest, false);
    return path;
  }

  /** Takes away the service's own socket of a guest (its share ended), ending its connections. */
  closeOwn(guestPath: string): void {
    for (const socket of [...this.sockets.values()])
      if (socket.guestPath === guestPath && !socket.grant) this.close(socket);
  }

  private folder(): Promise<string> {
    return this.displayFolder().catch((error: unknown) => {
      if (error instanceof SwitcherError) throw error;
      throw folderRefused(errorMessage(error));
    });
  }

  private async socket(path: string, uid: number, guest: Guest, grant: boolean): Promise<void> {
    let socket = this.sockets.get(path);
    if (!socket || socket.guestPath !== guest.path) {
      const ready = this.listen(path, uid, guest, grant).catch((error: unknown) => {
        if (error instanceof SwitcherError) throw error;
        // The file system refused us (a full or read-only /run, say): the caller hears why, not a bug of ours.
        throw new SwitcherError('ViewerFailed', `The guest's display socket could not be made: ${errorMessage(error)}`);
      });
      socket = { path, guestPath: guest.path, uid, grant, ready };
      this.sockets.set(path, socket);
      socket.ready.catch(() => {
        if (this.sockets.get(path) === socket) this.sockets.delete(path);
      });
    }
    await socket.ready;
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
    rm(socket.path, { force: true }).then(
      () => log.info(`display socket of uid ${socket.uid} for ${socket.guestPath} closed`),
      (error: unknown) => log.warning(`display socket ${socket.path} not removed: ${errorMessage(error)}`),
    );
  }

  private async listen(path: string, uid: number, guest: Guest, grant: boolean): Promise<void> {
    // sun_path holds 107 bytes and a NUL; a longer path would be bound cut short, somewhere else.
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH)
      throw folderRefused(
        `${path} is longer than a socket's path may be (${MAX_SOCKET_PATH} bytes): use a shorter --display-dir`,
      );
    await this.userFolder(dirname(path));
    // A socket left by a relay that died; the folder is ours alone, so nobody else put anything there.
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
    // The relay binds it in the folder and gives the user alone the use of both (ACLs), or nobody.
    this.send({ op: 'listen', path, domain: guest.libvirtPath, uid, grant });
    await listening;
    log.info(`display socket of uid ${uid} for ${JSON.stringify(guest.name)}: ${path}`);
  }

  /**
   * DIR/<uid>: the service's, mode 0700 until the relay lets the user pass
   * (DIR/share: the service's, and nobody passes).
   * Anything else there (a folder an older version gave the user) goes first.
   */
  private userFolder(dir: string): Promise<void> {
    // Once per folder, so two guests' sockets made at once do not undo each other's grant.
    let ready = this.folders.get(dir);
    if (!ready) {
      ready = this.makeUserFolder(dir);
      this.folders.set(dir, ready);
      ready.catch(() => this.folders.delete(dir));
    }
    return ready;
  }

  private async makeUserFolder(dir: string): Promise<void> {
    const found = await lstat(dir).catch(() => undefined);
    const ours = found?.isDirectory() === true && found.uid === ownUid();
    if (found && !ours) {
      await rm(dir, { recursive: true, force: true }).catch((error: unknown) => {
        throw folderRefused(`${dir} is not the service's and cannot be removed: ${errorMessage(error)}`);
      });
    }
    if (ours) return;
    // Only the service, until the relay lets the user pass (a folder already ours keeps its grant).
    await mkdir(dir, { mode: 0o700 });
    await chmod(dir, 0o700);
  }

  /** DIR as the kernel resolves it, made if missing; the service's own, in folders nobody else may swap it in (checked once). */
  private displayFolder(): Promise<string> {
    this.folderReady ??= checkDisplayFolder(this.options.dir).catch((error: unknown) => {
      this.folderReady = undefined;
      throw error;
    });
    return this.folderReady;
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
        this.folders.delete(dirname(event.path));
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
