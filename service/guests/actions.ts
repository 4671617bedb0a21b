// What a caller can do to guests. Each action is checked against the
// guest's state first, so a senseless request changes nothing and says why.
// Changes to our settings in a guest's metadata are applied one at a time
// per guest, each to the settings the previous one left, so none is lost.

import { errorMessage, invalidArgument, invalidState, noSuchGuest, notConnected, SwitcherError } from '../errors.js';
import type { LibvirtClient } from '../libvirt/client.js';
import {
  serializeSwitcherSettings,
  type SwitcherSettings,
  SWITCHER_NS,
  SWITCHER_PREFIX,
  validateConnector,
} from '../libvirt/switcher-metadata.js';
import { log } from '../log.js';
import type { Guest } from './guest.js';
import type { GuestRegistry } from './registry.js';
import { DOWN_STATES, isDown, whyActionRefused, type GuestAction, type GuestState } from './state.js';
import { count } from '../readable.js';

export const MAX_SHUTDOWN_SECONDS = 3600;

// org.libvirt.Domain's method for each action, and whether it takes flags (u).
const LIBVIRT_MEMBER: Record<Exclude<GuestAction, 'Shutdown'>, [member: string, takesFlags: boolean]> = {
  Start: ['Create', true],
  ForceOff: ['Destroy', true],
  Reboot: ['Reboot', true],
  Pause: ['Suspend', false],
  Resume: ['Resume', false],
};

/** States in which a guest has a display to show: running, or still running while it shuts down. */
export const SHOWABLE: readonly GuestState[] = ['running', 'stopping'];

// The state an action leaves the guest in once libvirt has said yes (Reboot leaves it running).
const SETTLES_IN: Partial<Record<GuestAction, GuestState>> = {
  Start: 'running',
  Pause: 'paused',
  Resume: 'running',
  ForceOff: 'shutoff',
};
const BRING_UP_TIMEOUT_MS = 60_000;

// virDomainModificationImpact
const AFFECT_LIVE = 1;
const AFFECT_CONFIG = 2;

/** Shutdown's time allowed, in seconds: 1 to MAX_SHUTDOWN_SECONDS; else InvalidArgument. */
export function checkShutdownTimeout(timeoutSeconds: number): void {
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > MAX_SHUTDOWN_SECONDS) {
    throw invalidArgument(`timeout_seconds must be between 1 and ${MAX_SHUTDOWN_SECONDS}, not ${timeoutSeconds}`);
  }
}

export class GuestActions {
  /** Guests the last PauseAll paused and that have stayed paused since, by our path. */
  private readonly pausedByPauseAll = new Set<string>();
  /** Per guest, the settings change in progress: the next one waits for it. */
  private readonly settingsQueue = new Map<string, Promise<unknown>>();
  private readonly onChanged = (guest: Guest): void => {
    // Resumed (or stopped) since PauseAll paused it: a later pause is the user's own, not PauseAll's.
    if (guest.state !== 'paused') this.pausedByPauseAll.delete(guest.path);
  };
  private readonly onRemoved = (guest: Guest): void => {
    this.pausedByPauseAll.delete(guest.path);
  };

  constructor(
    private readonly registry: GuestRegistry,
    private readonly client: LibvirtClient,
  ) {
    registry.on('changed', this.onChanged);
    registry.on('removed', this.onRemoved);
  }

  stop(): void {
    this.registry.off('changed', this.onChanged);
    this.registry.off('removed', this.onRemoved);
  }

  /**
   * Makes a guest showable: starts it (or resumes, or wakes it) when needed
   * and waits until it runs. A guest shutting down is left as it is: the
   * user may need to see it to answer whatever holds it up.
   */
  async bringUp(path: string): Promise<Guest> {
    const guest = this.registry.get(path);
    if (!guest) throw noSuchGuest(`at ${path}`);
    this.requireConnected();
    switch (guest.state) {
      case 'shutoff':
      case 'crashed':
        await this.run(path, 'Start');
        break;
      case 'paused':
        await this.run(path, 'Resume');
        break;
      case 'suspended':
        await this.libvirt(guest, 'PMWakeup', 'u', [0]);
        break;
      default:
        break;
    }
    if (!(await this.waitForState(path, SHOWABLE, BRING_UP_TIMEOUT_MS).promise)) {
      throw new SwitcherError('Timeout', `${guest.name} did not start within ${BRING_UP_TIMEOUT_MS / 1000} s`);
    }
    const up = this.registry.get(path);
    if (!up) throw noSuchGuest(`at ${path}`);
    return up;
  }

  async run(path: string, action: Exclude<GuestAction, 'Shutdown'>): Promise<void> {
    const guest = this.ready(path, action);
    // Starting is ours: libvirt reads the guest as off until its Create returns.
    const release = action === 'Start' ? this.registry.hold(guest, 'starting') : undefined;
    try {
      const [member, takesFlags] = LIBVIRT_MEMBER[action];
      await this.libvirt(guest, member, takesFlags ? 'u' : '', takesFlags ? [0] : []);
      const after = SETTLES_IN[action];
      if (after) this.registry.settle(guest, after);
      log.info(`${action} ${JSON.stringify(guest.name)}: done`);
    } finally {
      // libvirt's event normally settles the state; re-read it when we set one ourselves.
      if (release) {
        release();
        void this.registry.refreshState(guest);
      }
    }
  }

  /** Asks the guest to shut down; true if it went down within the time, never forced. */
  async shutdown(path: string, timeoutSeconds: number): Promise<boolean> {
    checkShutdownTimeout(timeoutSeconds);
    const guest = this.ready(path, 'Shutdown');
    const down = this.waitForState(guest.path, DOWN_STATES, timeoutSeconds * 1000);
    try {
      await this.libvirt(guest, 'Shutdown', 'u', [0]);
    } catch (error) {
      down.cancel();
      throw error;
    }
    // Stopping is ours while the guest's OS works on the request: libvirt reads it as running till it is down.
    const current = this.registry.get(guest.path);
    const release = current?.state === 'running' ? this.registry.hold(current, 'stopping') : undefined;
    const stopped = await down.promise;
    release?.();
    if (!stopped) {
      const left = this.registry.get(guest.path);
      if (left) await this.registry.refreshState(left);
    }
    log.info(`Shutdown ${JSON.stringify(guest.name)}: ${stopped ? 'stopped' : `still up after ${timeoutSeconds} s`}`);
    return stopped;
  }

  /** Assigns the guest's first head to a monitor (by connector; '' = none), in its own libvirt metadata. */
  async setMonitor(path: string, connector: string): Promise<void> {
    validateConnector(connector);
    // A monitor another head of the guest had: that head takes this one's old monitor.
    await this.updateSettings(path, (settings) => ({
      ...settings,
      monitor: connector,
      headMonitors: settings.headMonitors.map((c) => (c && c === connector ? settings.monitor : c)),
    }));
    log.info(`SetMonitor ${path}: ${connector || '(none)'}`);
  }

  /** Sets libvirt's autostart flag of the guest, shown at once: libvirt sends no event for it. */
  async setAutostart(path: string, autostart: boolean): Promise<void> {
    const guest = this.registry.get(path);
    if (!guest) throw noSuchGuest(`at ${path}`);
    this.requireConnected();
    await this.guarded(() => this.client.setDomainAutostart(guest.libvirtPath, autostart));
    this.registry.setFact(guest, 'autostart', autostart);
    log.info(`Autostart ${JSON.stringify(guest.name)}: ${autostart}`);
  }

  /**
   * Changes the guest's settings in its own libvirt metadata: `change` gets
   * the settings as the previous change left them (changes to one guest run
   * one at a time), and may throw to refuse. Resolves with the guest as
   * libvirt has it afterwards.
   */
  updateSettings(path: string, change: (settings: SwitcherSettings, guest: Guest) => SwitcherSettings): Promise<Guest> {
    const previous = this.settingsQueue.get(path) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const guest = this.registry.get(path);
        if (!guest) throw noSuchGuest(`at ${path}`);
        this.requireConnected();
        await this.writeSettings(guest, change(guest.settings, guest));
        return this.registry.get(path) ?? guest;
      });
    this.settingsQueue.set(path, next);
    void next
      .catch(() => undefined)
      .then(() => {
        if (this.settingsQueue.get(path) === next) this.settingsQueue.delete(path);
      });
    return next;
  }

  private async writeSettings(guest: Guest, settings: SwitcherSettings): Promise<void> {
    const element = serializeSwitcherSettings(settings);
    const active = !isDown(guest.state);
    try {
      // The persistent definition, and the running guest too so that both agree.
      await this.metadata(guest, element, active ? AFFECT_LIVE | AFFECT_CONFIG : AFFECT_CONFIG);
    } catch (error) {
      // A transient guest has no persistent definition: the running one is all there is.
      if (!(error instanceof SwitcherError && /transient/i.test(error.message))) throw error;
      await this.metadata(guest, element, AFFECT_LIVE);
    }
    // Read back what libvirt now holds, before the next change builds on it.
    await this.registry.refresh(guest.libvirtPath);
  }

  /** Pauses every running guest of `allowed`; remembers which, for ResumeAll. */
  async pauseAll(allowed: (guest: Guest) => boolean = () => true): Promise<string[]> {
    this.requireConnected();
    const running = this.registry.guests().filter((g) => g.state === 'running' && allowed(g));
    const paused: string[] = [];
    await Promise.all(
      running.map(async (guest) => {
        try {
          await this.libvirt(guest, 'Suspend');
          this.registry.settle(guest, 'paused');
          paused.push(guest.path);
          this.pausedByPauseAll.add(guest.path);
        } catch (error) {
          log.warning(`PauseAll: ${JSON.stringify(guest.name)} not paused: ${errorMessage(error)}`);
        }
      }),
    );
    log.info(`PauseAll paused ${paused.length} of ${count(running.length, 'running guest')}`);
    return paused.sort();
  }

  /** Resumes those guests PauseAll paused that have stayed paused since (and that `allowed` lets through). */
  async resumeAll(allowed: (guest: Guest) => boolean = () => true): Promise<string[]> {
    this.requireConnected();
    const resumed: string[] = [];
    await Promise.all(
      [...this.pausedByPauseAll].map(async (path) => {
        const guest = this.registry.get(path);
        if (!guest || guest.state !== 'paused' || !allowed(guest)) return;
        try {
          await this.libvirt(guest, 'Resume');
          this.registry.settle(guest, 'running');
          resumed.push(path);
        } catch (error) {
          log.warning(`ResumeAll: ${JSON.stringify(guest.name)} not resumed: ${errorMessage(error)}`);
        }
      }),
    );
    log.info(`ResumeAll resumed ${count(resumed.length, 'guest')}`);
    return resumed.sort();
  }

  private ready(path: string, action: GuestAction): Guest {
    const guest = this.registry.get(path);
    if (!guest) throw noSuchGuest(`at ${path}`);
    this.requireConnected();
    const why = whyActionRefused(action, guest.state);
    if (why) throw invalidState(`${why} (${guest.name})`);
    return guest;
  }

  private requireConnected(): void {
    if (!this.registry.connected) throw notConnected('libvirt is not reachable right now');
  }

  private libvirt(guest: Guest, member: string, signature = '', body: unknown[] = []): Promise<void> {
    return this.guarded(() => this.client.domainAction(guest.libvirtPath, member, signature, body));
  }

  private metadata(guest: Guest, element: string, flags: number): Promise<void> {
    return this.guarded(() => this.client.setMetadata(guest.libvirtPath, element, SWITCHER_PREFIX, SWITCHER_NS, flags));
  }

  /** Runs a libvirt call; a libvirt found unreachable is reported to the registry. */
  private async guarded(call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      if (error instanceof SwitcherError && error.kind === 'NotConnected') this.registry.lostLibvirt(error.message);
      throw error;
    }
  }

  /** Resolves true once the guest is in one of `states` (or gone, when waiting for it to go down), false on time-out. */
  private waitForState(
    path: string,
    states: readonly GuestState[],
    timeoutMs: number,
  ): { promise: Promise<boolean>; cancel: () => void } {
    let cancel = (): void => {};
    const promise = new Promise<boolean>((resolve) => {
      const finish = (value: boolean): void => {
        clearTimeout(timer);
        this.registry.off('changed', onChanged);
        this.registry.off('removed', onRemoved);
        resolve(value);
      };
      const onChanged = (guest: Guest): void => {
        if (guest.path === path && states.includes(guest.state)) finish(true);
      };
      const onRemoved = (guest: Guest): void => {
        if (guest.path === path) finish(states === DOWN_STATES);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.registry.on('changed', onChanged);
      this.registry.on('removed', onRemoved);
      cancel = () => finish(false);
      const now = this.registry.get(path);
      if (now && states.includes(now.state)) finish(true);
    });
    return { promise, cancel };
  }
}
