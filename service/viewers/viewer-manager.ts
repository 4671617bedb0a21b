// One display viewer per guest (virt-viewer attached to the libvirt domain
// by default): started on demand, tracked by PID, counted as open only once
// it shows the guest's display, reopened if it dies (a signal or an error
// exit) while its guest still runs; never after the guest stopped, nor
// after the user closed it (a clean exit). A viewer that cannot show the
// guest is closed and its reason reported, never taken for success.

import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { REAL_CLOCK, type Clock } from '../clock.js';
import { errorMessage, SwitcherError } from '../errors.js';
import type { Guest } from '../guests/guest.js';
import { log } from '../log.js';
import { spawnOwned } from '../owned-process.js';

export interface ViewerOptions {
  /** The viewer command and its first arguments, e.g. ['virt-viewer']. */
  command: string[];
  /** The libvirt URI the viewer connects to. */
  uri: string;
  /**
   * How long a new viewer that says nothing has to show the guest's display before it counts as
   * failed. One that reports an error, or exits, fails at once; one that is only slow (a busy
   * machine, a guest just started) is given this long.
   */
  showDeadlineMs: number;
  /** How long after a viewer died to look at the guest's state (it may be stopping). */
  settleMs: number;
  /** Viewers that die within this long after starting count as failing. */
  quickDeathMs: number;
  /** Give up reopening after this many quick deaths in a row. */
  maxQuickDeaths: number;
}

export const DEFAULT_VIEWER_OPTIONS: Omit<ViewerOptions, 'uri'> = {
  command: ['virt-viewer'],
  showDeadlineMs: 10_000,
  settleMs: 1_000,
  quickDeathMs: 5_000,
  maxQuickDeaths: 3,
};

// virt-viewer --debug says when the guest's display is on screen, and why not when it cannot be.
const SHOWN = /notebook show display|Insert display \d+/;
const FAILED = /(?:^|\s)Error: (.+)$/m;

/** Whether the guest is still running (asked of libvirt, not of our cache). */
export type IsRunning = (guest: Guest) => Promise<boolean>;

interface Viewer {
  child: ChildProcess;
  guest: Guest;
  startedAt: number;
  /** The last of what it printed (stdout and stderr). */
  output: string;
  /** Emits 'output' as it prints. */
  said: EventEmitter;
  /** It has shown the guest's display. */
  shown: boolean;
  /** We asked it to go: do not reopen. */
  closing: boolean;
}

export interface ViewerManagerEvents {
  /** A guest's viewer PID changed (0: none). */
  pid: [guestPath: string, pid: number];
}

/** NoDisplay: the guest drives a screen of its own (a passed-through GPU), with no display for a viewer. */
export function noDisplay(guest: Guest): SwitcherError {
  return new SwitcherError(
    'NoDisplay',
    `${guest.name} shows on a screen of its own (it has no display for a viewer); look at that screen`,
  );
}

/**
 * A guest whose display has a fixed resolution is shown at that resolution,
 * scaled to fit the viewer's window: the viewer must not ask its agent to
 * resize it to the window, as it does by default (full screen included).
 */
export function viewerResizeArgs(guest: Guest): string[] {
  const [width] = (guest.runningVideo ?? guest.video).resolution;
  return width > 0 ? ['--auto-resize=never'] : [];
}

export class ViewerManager extends EventEmitter<ViewerManagerEvents> {
  private readonly viewers = new Map<string, Viewer>();
  private readonly quickDeaths = new Map<string, number>();
  /** Cancels the settle timers under way. */
  private readonly timers = new Set<() => void>();

  constructor(
    private readonly options: ViewerOptions,
    private readonly isRunning: IsRunning,
    /** The show deadline's, the settle's and the quick deaths' time. */
    private readonly clock: Clock = REAL_CLOCK,
  ) {
    super();
  }

  pid(guestPath: string): number {
    return this.viewers.get(guestPath)?.child.pid ?? 0;
  }

  /**
   * Opens the guest's viewer unless one is up; resolves with its PID once it
   * shows the guest's display. NoDisplay when the guest has none to show
   * (it drives a screen of its own); ViewerFailed, with the viewer's own
   * words, when the viewer cannot show it: that viewer is closed.
   */
  async open(guest: Guest): Promise<number> {
    if (!guest.display) throw noDisplay(guest);
    const existing = this.viewers.get(guest.path);
    if (existing) return existing.child.pid ?? 0;
    this.quickDeaths.delete(guest.path);
    const viewer = this.spawn(guest);
    try {
      await this.whenShown(viewer);
    } catch (error) {
      log.warning(errorMessage(error));
      this.closeViewer(viewer);
      throw error;
    }
    return viewer.child.pid ?? 0;
  }

  /** Closes a guest's viewer (the guest stopped or was removed, or the service stops). */
  close(guestPath: string): void {
    const viewer = this.viewers.get(guestPath);
    if (viewer) this.closeViewer(viewer);
  }

  stop(): void {
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    for (const path of [...this.viewers.keys()]) this.close(path);
    this.removeAllListeners();
  }

  private closeViewer(viewer: Viewer): void {
    viewer.closing = true;
    viewer.child.kill('SIGTERM');
  }

  /** Resolves once the viewer shows the display; rejects with its reason when it cannot, or says nothing in time. */
  private whenShown(viewer: Viewer): Promise<void> {
    const name = viewer.guest.name;
    return new Promise<void>((resolve, reject) => {
      const finish = (error?: SwitcherError): void => {
        cancelTimer();
        viewer.said.off('output', check);
        viewer.child.off('exit', onExit);
        if (error) reject(error);
        else resolve();
      };
      const failed = (why: string): SwitcherError =>
        new SwitcherError('ViewerFailed', `The viewer could not show ${name}: ${why}`);
      const check = (): void => {
        if (viewer.shown) finish();
        const error = FAILED.exec(viewer.output);
        if (error) finish(failed(error[1]?.trim() ?? 'it reported an error'));
      };
      const onExit = (): void => {
        const said = viewer.output.trim().split('\n').filter(Boolean).pop() ?? 'it exited at once';
        finish(failed(said));
      };
      const cancelTimer = this.clock.after(this.options.showDeadlineMs, () => {
        const last = viewer.output.trim().split('\n').filter(Boolean).pop();
        finish(
          failed(
            `it showed nothing within ${this.options.showDeadlineMs / 1000} s${last ? ` (last said: ${last})` : ''}`,
          ),
        );
      });
      viewer.said.on('output', check);
      viewer.child.once('exit', onExit);
      check();
    });
  }

  private spawn(guest: Guest): Viewer {
    const [command, ...first] = this.options.command as [string, ...string[]];
    // --attach: the display comes through libvirt itself (OpenGraphicsFD), no VNC/SPICE port needed.
    // --debug: the only way virt-viewer tells that it shows the display, or why it cannot.
    const args = [
      ...first,
      '--connect',
      this.options.uri,
      '--attach',
      '--full-screen',
      ...viewerResizeArgs(guest),
      '--debug',
      guest.uuid,
    ];
    // GLib writes debug messages to stdout and warnings to stderr: read both. Newer GLib reads
    // G_MESSAGES_DEBUG before virt-viewer's --debug could set it: set it ourselves, for its domain only.
    const child = spawnOwned(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, G_MESSAGES_DEBUG: 'virt-viewer' },
    });
    const viewer: Viewer = {
      child,
      guest,
      startedAt: this.clock.now(),
      output: '',
      said: new EventEmitter(),
      shown: false,
      closing: false,
    };
    const read = (data: Buffer): void => {
      viewer.output = (viewer.output + data.toString()).slice(-4096);
      if (!viewer.shown && SHOWN.test(viewer.output)) viewer.shown = true;
      viewer.said.emit('output');
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('error', (error) => {
      viewer.output += `\n${error.message}`;
    });
    child.once('exit', (code, signal) => this.onExit(viewer, code, signal));
    this.viewers.set(guest.path, viewer);
    log.info(`viewer for ${JSON.stringify(guest.name)} started (pid ${child.pid ?? '?'})`);
    this.emit('pid', guest.path, child.pid ?? 0);
    return viewer;
  }

  private onExit(viewer: Viewer, code: number | null, signal: NodeJS.Signals | null): void {
    const path = viewer.guest.path;
    if (this.viewers.get(path) === viewer) {
      this.viewers.delete(path);
      this.emit('pid', path, 0);
    }
    log.info(`viewer for ${JSON.stringify(viewer.guest.name)} exited (${signal ?? `code ${code}`})`);
    // Closed by us, by the user (a clean exit), or it never showed the guest: it stays closed until the next Show.
    if (viewer.closing || code === 0 || !viewer.shown) return;
    const quick = this.clock.now() - viewer.startedAt < this.options.quickDeathMs;
    const deaths = quick ? (this.quickDeaths.get(path) ?? 0) + 1 : 0;
    this.quickDeaths.set(path, deaths);
    if (deaths >= this.options.maxQuickDeaths) {
      log.warning(`viewer for ${JSON.stringify(viewer.guest.name)} keeps dying; not reopening it until the next Show`);
      return;
    }
    // The guest may be going down (its display closing is what ended the viewer): settle, then ask libvirt.
    const cancel = this.clock.after(this.options.settleMs, () => {
      this.timers.delete(cancel);
      void this.reopenIfRunning(viewer.guest);
    });
    this.timers.add(cancel);
  }

  private async reopenIfRunning(guest: Guest): Promise<void> {
    if (this.viewers.has(guest.path)) return;
    let running = false;
    try {
      running = await this.isRunning(guest);
    } catch (error) {
      log.warning(`viewer for ${JSON.stringify(guest.name)}: cannot tell whether it runs: ${errorMessage(error)}`);
    }
    if (!running || this.viewers.has(guest.path)) return;
    log.info(`reopening the viewer for ${JSON.stringify(guest.name)}, which still runs`);
    const viewer = this.spawn(guest);
    this.whenShown(viewer).catch((error: unknown) => {
      log.warning(errorMessage(error));
      this.closeViewer(viewer);
    });
  }
}
