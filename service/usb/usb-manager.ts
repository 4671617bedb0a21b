// Moves USB devices between the host and guests: by explicit request
// (Attach, Detach), and by the guests' rules when a device is plugged in, a
// guest starts, or the focus moves. Every move is a libvirt hot-plug of the
// exact device (by bus and device number), checked against a stale address
// before and after, so nothing is left half-done.

import { EventEmitter } from 'node:events';
import { errorMessage, invalidArgument, invalidState, noSuchDevice, noSuchGuest, SwitcherError } from '../errors.js';
import type { GuestActions } from '../guests/actions.js';
import type { Guest } from '../guests/guest.js';
import type { GuestRegistry } from '../guests/registry.js';
import type { LibvirtClient } from '../libvirt/client.js';
import { log } from '../log.js';
import { hostdevXml, type HostdevAddress } from '../libvirt/hostdev-xml.js';
import { USB_RULE_MODES, validateRule, type UsbRuleMode } from '../libvirt/switcher-metadata.js';
import type { UsbInventory } from './inventory.js';
import { matchFor, sameMatch } from './rules.js';
import { displayName, type UsbDeviceInfo } from './usb-device.js';
import {
  leavesHostWithoutInput,
  onFocusChanged,
  onGuestStarted,
  onPlugged,
  type Decision,
  type GuestRules,
  type PlacedDevice,
} from './usb-policy.js';

const AFFECT_LIVE = 1;
const UP: readonly string[] = ['running', 'paused'];

export interface UsbManagerEvents {
  added: [device: UsbDeviceInfo];
  changed: [device: UsbDeviceInfo];
  removed: [device: UsbDeviceInfo];
  owner: [device: UsbDeviceInfo, owner: string];
  ask: [device: UsbDeviceInfo, guestPath: string];
}

/** SetRule's mode and match_by, checked before anything else. */
export function checkRuleArguments(mode: string, matchBy: string): asserts matchBy is 'device' | 'port' {
  if (matchBy !== 'device' && matchBy !== 'port')
    throw invalidArgument(`match_by is 'device' or 'port', not '${matchBy.slice(0, 32)}'`);
  if (mode !== '' && !USB_RULE_MODES.includes(mode as UsbRuleMode)) {
    throw invalidArgument(`'${mode.slice(0, 32)}' is not a USB rule; use always, follow-focus, ask, or '' to remove`);
  }
}

export class UsbManager extends EventEmitter<UsbManagerEvents> {
  private focused = '';
  private readonly owners = new Map<string, string>();
  private readonly running = new Set<string>();

  constructor(
    private readonly inventory: UsbInventory,
    private readonly registry: GuestRegistry,
    private readonly client: LibvirtClient,
    private readonly actions: GuestActions,
  ) {
    super();
  }

  async start(): Promise<void> {
    this.inventory.on('added', (device) => {
      this.emit('added', device);
      this.recomputeOwners();
      void this.apply([onPlugged(device, this.guestRules(), this.focused, this.placed())]);
    });
    this.inventory.on('changed', (device) => this.emit('changed', device));
    this.inventory.on('removed', (device) => {
      const owner = this.owners.get(device.id);
      this.owners.delete(device.id);
      this.emit('removed', device);
      // Unplugged while a guest had it: take its <hostdev> out, so that it cannot claim whatever comes next.
      if (owner) void this.dropStaleHostdev(owner, device);
    });
    this.registry.on('added', (guest) => this.noteState(guest));
    this.registry.on('removed', () => this.recomputeOwners());
    this.registry.on('changed', (guest, changed) => {
      if (changed.includes('state')) this.noteState(guest);
      else if (changed.includes('usbHostdevs')) this.recomputeOwners();
    });
    await this.inventory.start();
    for (const guest of this.registry.guests()) if (UP.includes(guest.state)) this.running.add(guest.path);
    this.recomputeOwners();
  }

  stop(): void {
    this.inventory.stop();
    this.removeAllListeners();
  }

  devices(): UsbDeviceInfo[] {
    return this.inventory.list();
  }

  owner(id: string): string {
    return this.owners.get(id) ?? '';
  }

  /** The guest that has the focus now ('' for the host). */
  get focusedGuest(): string {
    return this.focused;
  }

  /** The focus is on this guest ('' or '/': the host); devices that follow it come along. */
  setFocused(guestPath: string): void {
    const path = guestPath === '/' ? '' : guestPath;
    if (path && !this.registry.get(path)) throw noSuchGuest(`at ${path}`);
    if (path === this.focused) return;
    this.focused = path;
    void this.apply(onFocusChanged(path, this.guestRules(), this.placed()));
  }

  /** Gives a device to a running guest; refuses the host's last keyboard or pointer unless forced. */
  async attach(id: string, guestPath: string, force: boolean): Promise<void> {
    const device = this.inventory.get(id);
    if (!device) throw noSuchDevice(`at port ${id}`);
    const guest = this.registry.get(guestPath);
    if (!guest) throw noSuchGuest(`at ${guestPath}`);
    if (!UP.includes(guest.state)) throw invalidState(`${guest.name} is not running; start it first`);
    const owner = this.owner(id);
    if (owner === guestPath) return;
    if (owner !== '')
      throw invalidState(
        `${displayName(device)} is with ${this.registry.get(owner)?.name ?? 'another guest'}; detach it first`,
      );
    // Read it again: the address must not be stale, and its interfaces (what it is) may have come late.
    const now = await this.inventory.current(id);
    if (!now || now.devnum !== device.devnum)
      throw noSuchDevice(`${displayName(device)}: it is no longer plugged in at ${id}`);
    const lost = leavesHostWithoutInput(now, this.placed());
    if (lost && !force) {
      throw new SwitcherError(
        'LastInputDevice',
        `${displayName(now)} is the host's last ${lost === 'keyboard' ? 'keyboard' : 'pointer'}; giving it away needs ForceAttach`,
      );
    }
    const address = { vendor: now.vendor, product: now.product, bus: now.busnum, device: now.devnum };
    const xml = hostdevXml(address);
    await this.client.domainDevice(guest.libvirtPath, true, xml, AFFECT_LIVE);
    // Unplugged while libvirt was attaching it: take the stale entry back out.
    if (!(await this.stillThere(device))) {
      await this.client.domainDevice(guest.libvirtPath, false, xml, AFFECT_LIVE).catch(() => undefined);
      throw noSuchDevice(`${displayName(device)}: it was unplugged while being attached`);
    }
    log.info(`USB ${displayName(device)} at ${id} -> ${JSON.stringify(guest.name)}${force ? ' (forced)' : ''}`);
    await this.registry.refresh(guest.libvirtPath);
  }

  /** Gives a device back to the host. */
  async detach(id: string): Promise<void> {
    const device = this.inventory.get(id);
    if (!device) throw noSuchDevice(`at port ${id}`);
    const ownerPath = this.owner(id);
    const guest = ownerPath ? this.registry.get(ownerPath) : undefined;
    if (!guest) throw invalidState(`${displayName(device)} is with the host already`);
    const address = guest.usbHostdevs.find((h) => holds(h, device));
    if (!address) throw invalidState(`${displayName(device)} is with the host already`);
    await this.client.domainDevice(guest.libvirtPath, false, hostdevXml(address), AFFECT_LIVE);
    log.info(`USB ${displayName(device)} at ${id} <- ${JSON.stringify(guest.name)}`);
    await this.registry.refresh(guest.libvirtPath);
  }

  /** Sets (or with mode '' removes) the guest's rule for this device, in the guest's metadata. */
  async setRule(id: string, guestPath: string, mode: string, matchBy: string): Promise<void> {
    const device = this.inventory.get(id);
    if (!device) throw noSuchDevice(`at port ${id}`);
    const guest = this.registry.get(guestPath);
    if (!guest) throw noSuchGuest(`at ${guestPath}`);
    checkRuleArguments(mode, matchBy);
    const match = matchFor(device, matchBy);
    const rule = mode === '' ? undefined : validateRule({ mode: mode as UsbRuleMode, match });
    await this.actions.updateSettings(guestPath, (settings) => {
      const others = settings.usbRules.filter((r) => !sameMatch(r.match, match));
      return { ...settings, usbRules: rule ? [...others, rule] : others };
    });
    log.info(
      `USB rule for ${displayName(device)} on ${JSON.stringify(guest.name)}: ${mode || '(removed)'} by ${matchBy}`,
    );
  }

  /** The same device (same device number) is still at its port: the address we hold is not stale. */
  private async stillThere(device: UsbDeviceInfo): Promise<boolean> {
    const now = await this.inventory.current(device.id);
    return (
      now !== undefined &&
      now.devnum === device.devnum &&
      now.vendor === device.vendor &&
      now.product === device.product
    );
  }

  /** Takes an unplugged device's <hostdev> out of the running guest that had it; a failure is only logged. */
  private async dropStaleHostdev(guestPath: string, device: UsbDeviceInfo): Promise<void> {
    const guest = this.registry.get(guestPath);
    const address = guest?.usbHostdevs.find((h) => holds(h, device));
    if (!guest || !address) return;
    try {
      await this.client.domainDevice(guest.libvirtPath, false, hostdevXml(address), AFFECT_LIVE);
      log.info(`USB ${displayName(device)} unplugged from ${JSON.stringify(guest.name)}: its <hostdev> removed`);
    } catch (error) {
      log.warning(`USB ${displayName(device)} unplugged from ${JSON.stringify(guest.name)}: ${errorMessage(error)}`);
    }
    await this.registry.refresh(guest.libvirtPath);
  }

  private noteState(guest: Guest): void {
    const up = UP.includes(guest.state);
    const was = this.running.has(guest.path);
    if (up) this.running.add(guest.path);
    else this.running.delete(guest.path);
    this.recomputeOwners();
    if (up && !was) {
      const rules = this.guestRules().find((g) => g.path === guest.path);
      if (rules) void this.apply(onGuestStarted(rules, this.placed()));
    }
  }

  private guestRules(): GuestRules[] {
    return this.registry.guests().map((g) => ({
      path: g.path,
      name: g.name,
      running: UP.includes(g.state),
      rules: g.settings.usbRules,
    }));
  }

  private placed(): PlacedDevice[] {
    return this.inventory.list().map((device) => ({ device, owner: this.owner(device.id) }));
  }

  /**
   * Owners from the running guests' live XML: the guest whose <hostdev>
   * names this very device, by address and by vendor and product, so that a
   * stale address never makes a guest the owner of another device.
   */
  private recomputeOwners(): void {
    const holders = new Map<string, string>();
    for (const guest of this.registry.guests()) {
      if (!UP.includes(guest.state)) continue;
      for (const h of guest.usbHostdevs) holders.set(identity(h), guest.path);
    }
    for (const device of this.inventory.list()) {
      const owner =
        holders.get(
          identity({ vendor: device.vendor, product: device.product, bus: device.busnum, device: device.devnum }),
        ) ?? '';
      if ((this.owners.get(device.id) ?? '') !== owner) {
        this.owners.set(device.id, owner);
        this.emit('owner', device, owner);
      }
    }
  }

  /** Carries out what the rules decided; automatic moves are never forced. */
  private async apply(decisions: (Decision | undefined)[]): Promise<void> {
    for (const decision of decisions) {
      if (!decision) continue;
      if (decision.do === 'ask') {
        this.emit('ask', decision.device, decision.guest);
        continue;
      }
      const pluggedAt = this.inventory.eventTime(decision.device.id);
      try {
        const owner = this.owner(decision.device.id);
        if (owner && owner !== decision.guest) await this.detach(decision.device.id);
        await this.attach(decision.device.id, decision.guest, false);
      } catch (error) {
        log.warning(`USB rule: ${displayName(decision.device)} not moved: ${errorMessage(error)}`);
      } finally {
        // For the benchmark: from the udev event to libvirt's answer, all of it in this process.
        if (pluggedAt !== undefined)
          log.debug(
            `USB rule timing: udev event -> AttachDevice returned in ${(Number(process.hrtime.bigint() - pluggedAt) / 1e6).toFixed(2)} ms`,
          );
      }
    }
  }
}

/** A <hostdev>'s or a device's identity: ids and address together. */
function identity(h: HostdevAddress): string {
  return `${h.vendor}:${h.product}@${h.bus}/${h.device}`;
}

/** Whether a <hostdev> names this very device (address and ids). */
function holds(h: HostdevAddress, device: UsbDeviceInfo): boolean {
  return (
    h.bus === device.busnum && h.device === device.devnum && h.vendor === device.vendor && h.product === device.product
  );
}
