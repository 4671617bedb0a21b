// One display viewer per guest (virt-viewer attached to the libvirt domain
// by default): started on demand, tracked by PID, reopened if it dies (a
// signal or an error exit) while its guest still runs; never after the guest
// stopped, nor after the user closed it (a clean exit).

import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { SwitcherError } from '../errors.js';
import type { Guest } from '../guests/guest.js';
import { log } from '../log.js';
import { spawnOwned } from '../owned-process.js';

export interface ViewerOptions {
  /** The viewer command and its first arguments, e.g. ['virt-viewer']. */
  command: string[];
  /** The libvirt URI the viewer connects to. */
  uri: string;
  /** How long a new viewer must stay up to count as started. */
  startupMs: number;
  /** How long after a viewer died to look at the guest's state (it may be stopping). */
  settleMs: number;
  /** Viewers that die within this long after starting count as failing. */
  quickDeathMs: number;
  /** Give up reopening after this many quick deaths in a row. */
  maxQuickDeaths: number;
}

export const DEFAULT_VIEWER_OPTIONS: Omit<ViewerOptions, 'uri'> = {
  command: ['virt-viewer'],
  startupMs: 1_000,
  settleMs: 1_000,
  quickDeathMs: 5_000,
  maxQuickDeaths: 3,
};

/** Whether the guest is still running (asked of libvirt, not of our cache). */
export type IsRunning = (guest: Guest) => Promise<boolean>;

interface Viewer {
  child: ChildProcess;
  guest: Guest;
  startedAt: number;
  stderr: string;
  /** We asked it to go: do not reopen. */
  closing: boolean;
}

export interface ViewerManagerEvents {
  /** A guest's viewer PID changed (0: none). */
  pid: [guestPath: string, pid: number];
}

export class ViewerManager extends EventEmitter<ViewerManagerEvents> {
  private readonly viewers = new Map<string, Viewer>();
  private readonly quickDeaths = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly options: ViewerOptions,
    private readonly isRunning: IsRunning,
  ) {
    super();
  }

  pid(guestPath: string): number {
    return this.viewers.get(guestPath)?.child.pid ?? 0;
  }

  /**
   * Opens the guest's viewer unless one is up; resolves with its PID once it
   * has stayed up for startupMs, rejects with the viewer's own words if not.
   */
  async open(guest: Guest): Promise<number> {
    const existing = this.viewers.get(guest.path);
    if (existing) return existing.child.pid ?? 0;
    this.quickDeaths.delete(guest.path);
    const viewer = this.spawn(guest);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        viewer.child.off('exit', onExit);
        resolve();
      }, this.options.startupMs);
      const onExit = (): void => {
        clearTimeout(timer);
        const said = viewer.stderr.trim().split('\n').filter(Boolean).pop() ?? 'it exited at once';
        reject(new SwitcherError('ViewerFailed', `The viewer for ${guest.props.Name} could not start: ${said}`));
      };
      viewer.child.once('exit', onExit);
    });
    return viewer.child.pid ?? 0;
  }

  /** Closes a guest's viewer (the guest was removed, or the service stops). */
  close(guestPath: string): void {
    const viewer = this.viewers.get(guestPath);
    if (!viewer) return;
    viewer.closing = true;
    viewer.child.kill('SIGTERM');
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const path of [...this.viewers.keys()]) this.close(path);
    this.removeAllListeners();
  }

  private spawn(guest: Guest): Viewer {
    const [command, ...first] = this.options.command as [string, ...string[]];
    // --attach: the display comes through libvirt itself (OpenGraphicsFD), no VNC/SPICE port needed.
    const args = [...first, '--connect', this.options.uri, '--attach', '--full-screen', guest.props.Uuid];
    const child = spawnOwned(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const viewer: Viewer = { child, guest, startedAt: Date.now(), stderr: '', closing: false };
    child.stderr?.on('data', (data: Buffer) => {
      viewer.stderr = (viewer.stderr + data.toString()).slice(-4096);
    });
    child.once('error', (error) => {
      viewer.stderr += `\n${error.message}`;
    });
    child.once('exit', (code, signal) => this.onExit(viewer, code, signal));
    this.viewers.set(guest.path, viewer);
    log.info(`viewer for ${guest.props.Name} started (pid ${child.pid ?? '?'})`);
    this.emit('pid', guest.path, child.pid ?? 0);
    return viewer;
  }

  private onExit(viewer: Viewer, code: number | null, signal: NodeJS.Signals | null): void {
    const path = viewer.guest.path;
    if (this.viewers.get(path) === viewer) {
      this.viewers.delete(path);
      this.emit('pid', path, 0);
    }
    log.info(`viewer for ${viewer.guest.props.Name} exited (${signal ?? `code ${code}`})`);
    // Closed by us, or by the user (a clean exit): it stays closed until the next Show.
    if (viewer.closing || code === 0) return;
    const quick = Date.now() - viewer.startedAt < this.options.quickDeathMs;
    const deaths = quick ? (this.quickDeaths.get(path) ?? 0) + 1 : 0;
    this.quickDeaths.set(path, deaths);
    if (deaths >= this.options.maxQuickDeaths) {
      log.warning(`viewer for ${viewer.guest.props.Name} keeps dying; not reopening it until the next Show`);
      return;
    }
    // The guest may be going down (its display closing is what ended the viewer): settle, then ask libvirt.
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.reopenIfRunning(viewer.guest);
    }, this.options.settleMs);
    this.timers.add(timer);
  }

  private async reopenIfRunning(guest: Guest): Promise<void> {
    if (this.viewers.has(guest.path)) return;
    let running = false;
    try {
      running = await this.isRunning(guest);
    } catch (error) {
      log.warning(`viewer for ${guest.props.Name}: cannot tell whether it runs: ${(error as Error).message}`);
    }
    if (!running || this.viewers.has(guest.path)) return;
    log.info(`reopening the viewer for ${guest.props.Name}, which still runs`);
    this.spawn(guest);
  }
}
