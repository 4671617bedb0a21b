// me.phyllo.Switcher1.Guest on /me/phyllo/Switcher1/guest/<uuid>.

import { isDeepStrictEqual } from 'node:util';
import { GUEST_INTERFACE, type GuestProperties } from '../contract/switcher1.js';
import { invalidArgument, invalidState, noSuchGuest } from '../errors.js';
import { checkShutdownTimeout, type GuestActions } from '../guests/actions.js';
import { runningDifferences } from '../guests/display-settings.js';
import { parseDisplayRequest, type GuestDisplays } from '../guests/displays.js';
import { Variant } from '../dbus/bus.js';
import type { Guest } from '../guests/guest.js';
import type { GuestRegistry } from '../guests/registry.js';
import { validateConnector, validateMonitors, type UsbRule } from '../libvirt/switcher-metadata.js';
import type { Authority } from '../access/authority.js';
import { UNKNOWN_FIGURES, type Figures } from '../stats/figures.js';
import type { TransferRequest, Transfers } from '../transfer/transfers.js';
import { noDisplay, type ViewerManager } from '../viewers/viewer-manager.js';
import type { ExpensiveCalls } from '../access/expensive-calls.js';
import { sharingOff, type ShareRequest } from '../sharing/share-options.js';
import type { ShareGrant, ShareState } from '../sharing/shares.js';
import type { Caller, InterfaceImpl } from './exporter.js';

export { GUEST_INTERFACE };

/** An a{sv} value as dbus-next gives it. */
type MigrationOption = { signature: string; value: unknown };

/** A USB rule as the UsbRules property carries it: a dictionary of named strings (no separator to escape). */
export function ruleDictionary(rule: UsbRule): Record<string, string> {
  const { match } = rule;
  if (match.kind === 'port') return { mode: rule.mode, match_by: 'port', port: match.port };
  return {
    mode: rule.mode,
    match_by: 'device',
    vendor: match.vendor,
    product: match.product,
    ...(match.serial ? { serial: match.serial } : {}),
  };
}

/** A guest's D-Bus properties. */
export function guestProperties(
  guest: Guest,
  viewerPid: number,
  figures: Figures = UNKNOWN_FIGURES,
  share: ShareState | undefined = undefined,
): GuestProperties {
  return {
    Name: guest.name,
    Uuid: guest.uuid,
    State: guest.state,
    Vcpus: guest.vcpus,
    MemoryMiB: guest.memoryMiB,
    Autostart: guest.autostart,
    OsId: guest.osId,
    Monitor: guest.settings.monitor,
    Monitors:
      guest.settings.monitor || guest.settings.headMonitors.length > 0
        ? [guest.settings.monitor, ...guest.settings.headMonitors]
        : [],
    Heads: guest.video.heads,
    Resolution: guest.video.resolution,
    Accel3D: guest.video.accel3d,
    RunningDisplay: runningDisplay(guest),
    ViewerPid: viewerPid,
    UsbRules: guest.settings.usbRules.map(ruleDictionary),
    Seat: guest.settings.seat,
    Display: guest.display,
    CpuPercent: figures.cpuPercent,
    MemoryUsedMiB: figures.memoryUsedMiB,
    ...shareProperties(share),
  };
}

/** Whether a guest is shared and until when: never anything of its credential. */
export function shareProperties(share: ShareState | undefined): Pick<GuestProperties, 'Shared' | 'SharedUntil'> {
  return { Shared: share !== undefined, SharedUntil: BigInt(share ? Math.floor(share.expiresAt / 1000) : 0) };
}

/** Share's answer, for its caller alone. */
export function shareReply(grant: ShareGrant): Record<string, Variant> {
  return {
    address: new Variant('s', grant.address),
    port: new Variant('u', grant.port),
    password: new Variant('s', grant.password),
    expires: new Variant('t', BigInt(Math.floor(grant.expiresAt / 1000))),
    uri: new Variant('s', grant.uri),
    fingerprint: new Variant('s', grant.fingerprint),
    certificate: new Variant('s', grant.certificate),
    'host-subject': new Variant('s', grant.subject),
    'connection-file': new Variant('s', grant.connectionFile),
  };
}

/** RunningDisplay: what a running guest runs with where its definition (its next start) differs. */
function runningDisplay(guest: Guest): Record<string, Variant> {
  const differences = runningDifferences(guest.video, guest.runningVideo);
  return {
    ...(differences.heads !== undefined ? { heads: new Variant('u', differences.heads) } : {}),
    ...(differences.resolution ? { resolution: new Variant('(uu)', differences.resolution) } : {}),
    ...(differences.accel3d !== undefined ? { accel3d: new Variant('b', differences.accel3d) } : {}),
  };
}

/** The properties that differ between two guest property sets. */
export function changedGuestProperties(before: GuestProperties, after: GuestProperties): Partial<GuestProperties> {
  const changed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(after)) {
    const old = (before as unknown as Record<string, unknown>)[key];
    if (!isDeepStrictEqual(old, value)) changed[key] = value;
  }
  return changed as Partial<GuestProperties>;
}

/** Opens the display sockets of the host-wide service (display/display-sockets.ts). */
export interface DisplayOpener {
  open(caller: Caller, guest: Guest): Promise<string>;
}

/** Sharing guests with other computers (sharing/shares.ts), where an administrator allowed it. */
export interface GuestSharing {
  /** Share's options, checked against what the host allows (InvalidArgument). */
  request(options: Record<string, Variant>): ShareRequest;
  share(caller: Caller, guest: Guest, request: ShareRequest): Promise<ShareGrant>;
  unshare(guestPath: string): void;
  state(guestPath: string): ShareState | undefined;
}

/** What a Guest object answers from, by name: the guest's path and the service's parts it acts through. */
export interface GuestObjectParts {
  path: string;
  registry: GuestRegistry;
  actions: GuestActions;
  viewers: ViewerManager;
  authority: Authority;
  transfers: Transfers;
  /** Export, Clone and MigrateTo: a few at once per caller and in all. */
  expensive: ExpensiveCalls;
  displaySettings: GuestDisplays;
  /** The host-wide service's display sockets; undefined for the per-user service, whose viewers Show opens. */
  displays?: DisplayOpener | undefined;
  /** The guest's live figures; unknown when not given. */
  figures?: ((path: string) => Figures) | undefined;
  /** Sharing with other computers; undefined where no administrator allowed it. */
  sharing?: GuestSharing | undefined;
}

export class GuestObject implements InterfaceImpl<typeof GUEST_INTERFACE> {
  readonly interfaceName = GUEST_INTERFACE;

  private readonly path: string;

  constructor(private readonly parts: GuestObjectParts) {
    this.path = parts.path;
  }

  properties(): GuestProperties {
    return guestProperties(
      this.guest(),
      this.parts.viewers.pid(this.path),
      this.parts.figures?.(this.path) ?? UNKNOWN_FIGURES,
      this.parts.sharing?.state(this.path),
    );
  }

  /** Autostart, the one writable property: libvirt's own flag. */
  async setProperty(name: string, value: unknown, caller: Caller): Promise<void> {
    if (name !== 'Autostart' || typeof value !== 'boolean') throw invalidArgument(`${name} cannot be set to that`);
    await this.authorize(caller);
    await this.parts.actions.setAutostart(this.path, value);
  }

  // Each: its arguments checked, then the caller, then the action.
  readonly methods: InterfaceImpl<typeof GUEST_INTERFACE>['methods'] = {
    Start: async (_args, caller) => {
      await this.run('Start', caller);
      return [];
    },
    ForceOff: async (_args, caller) => {
      await this.run('ForceOff', caller);
      return [];
    },
    Reboot: async (_args, caller) => {
      await this.run('Reboot', caller);
      return [];
    },
    Pause: async (_args, caller) => {
      await this.run('Pause', caller);
      return [];
    },
    Resume: async (_args, caller) => {
      await this.run('Resume', caller);
      return [];
    },
    Shutdown: async ([timeoutSeconds], caller) => {
      checkShutdownTimeout(timeoutSeconds);
      await this.authorize(caller);
      return [await this.parts.actions.shutdown(this.path, timeoutSeconds)];
    },
    SetMonitor: async ([connector], caller) => {
      validateConnector(connector);
      await this.authorize(caller);
      await this.parts.actions.setMonitor(this.path, connector);
      return [];
    },
    SetMonitors: async ([connectors], caller) => {
      validateMonitors(connectors);
      await this.authorize(caller);
      await this.parts.displaySettings.setMonitors(this.path, connectors);
      return [];
    },
    DescribeDisplay: async () => {
      const d = await this.parts.displaySettings.describe(this.path);
      return [
        {
          'video-model': new Variant('s', d.model),
          'max-heads': new Variant('u', d.maxHeads),
          'max-width': new Variant('u', d.maxWidth),
          'max-height': new Variant('u', d.maxHeight),
          'max-pixels': new Variant('t', BigInt(d.maxPixels)),
          accel3d: new Variant('s', d.accel3d),
        },
      ];
    },
    SetDisplay: async ([settings], caller) => {
      const request = parseDisplayRequest(settings as Record<string, unknown>);
      await this.parts.displaySettings.check(this.path, request);
      await this.authorize(caller);
      await this.parts.displaySettings.set(this.path, request);
      return [];
    },
    // Transfers check their arguments (and the caller's access to the paths), then authorize. Each plans a
    // long job, reading files: limited per caller and in all (Busy beyond).
    Export: ([directory], caller) =>
      this.parts.expensive.run(caller, async () => [
        (await this.parts.transfers.exportGuest(this.path, directory, this.transferRequest(caller))).path,
      ]),
    Clone: ([name], caller) =>
      this.parts.expensive.run(caller, async () => [
        (await this.parts.transfers.cloneGuest(this.path, name, this.transferRequest(caller))).path,
      ]),
    MigrateTo: ([uri, options], caller) =>
      this.parts.expensive.run(caller, async () => [
        (
          await this.parts.transfers.migrateGuest(
            this.path,
            uri,
            options as Record<string, MigrationOption>,
            this.transferRequest(caller),
          )
        ).path,
      ]),
    Show: async (_args, caller) => {
      if (this.parts.displays) {
        throw invalidState(
          'The host-wide service has no screen to open a viewer on: call OpenDisplay and open its URI in a viewer of your session',
        );
      }
      await this.authorize(caller);
      const guest = await this.parts.actions.bringUp(this.path);
      await this.parts.viewers.open(guest);
      return [];
    },
    OpenDisplay: async (_args, caller) => {
      if (!this.parts.displays) throw invalidState('The per-user service opens viewers itself: call Show');
      const displays = this.parts.displays;
      checkSocketDisplay(this.guest());
      await this.authorize(caller);
      // Like Show: a guest that drives a screen of its own is started, and the caller told where to look.
      const guest = await this.parts.actions.bringUp(this.path);
      if (!guest.display) throw noDisplay(guest);
      return [await displays.open(caller, guest)];
    },
    // What the host allows first (the same for everybody), then the guest, then the caller, then the share.
    Share: async ([options], caller) => {
      if (!this.parts.sharing) throw sharingOff();
      const request = this.parts.sharing.request(options);
      checkShareable(this.guest());
      await this.authorize(caller);
      return [shareReply(await this.parts.sharing.share(caller, this.guest(), request))];
    },
    Unshare: async (_args, caller) => {
      await this.authorize(caller);
      this.parts.sharing?.unshare(this.path);
      return [];
    },
  };

  private guest(): Guest {
    const guest = this.parts.registry.get(this.path);
    if (!guest) throw noSuchGuest(`at ${this.path}`);
    return guest;
  }

  private async run(action: 'Start' | 'ForceOff' | 'Reboot' | 'Pause' | 'Resume', caller: Caller): Promise<void> {
    await this.authorize(caller);
    await this.parts.actions.run(this.path, action);
  }

  private transferRequest(caller: Caller): TransferRequest {
    return {
      sender: caller.sender,
      authorize: () => {
        this.guest();
        return this.parts.authority.requireGuestStarter(caller, this.path);
      },
    };
  }

  /** A guest assigned to a seat is that seat's; one of none is anybody's at the machine. */
  private authorize(caller: Caller): Promise<void> {
    this.guest();
    return this.parts.authority.requireGuest(caller, this.path);
  }
}

/** A display a viewer of the caller's session can open through a socket: SPICE (remote-viewer's spice+unix://), or none. */
function checkSocketDisplay(guest: Guest): void {
  if (guest.display && guest.display !== 'spice') {
    throw invalidState(
      `${guest.name} has a ${guest.display} display, which a viewer of your session cannot open through a socket; give it a SPICE display (Phyllome's model has one)`,
    );
  }
}

/** A guest another computer can be shown: a SPICE display (the only one shared), running or paused. */
function checkShareable(guest: Guest): void {
  if (!guest.display) throw noDisplay(guest);
  if (guest.display !== 'spice')
    throw invalidState(
      `${guest.name} has a ${guest.display} display; a share is SPICE's, so give it a SPICE display (Phyllome's model has one)`,
    );
  if (guest.state !== 'running' && guest.state !== 'paused')
    throw invalidState(`${guest.name} is not running (${guest.state}); start it, then share it`);
}
