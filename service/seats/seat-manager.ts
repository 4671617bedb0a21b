// Seats: logind's, with the guest each is assigned to (kept in the guest's
// metadata), the USB devices udev puts on it and its sessions; assigning a
// guest, moving a device to a seat through logind, and giving a seat's
// keyboards and mice to its guest as evdev input.

import { isDeepStrictEqual } from 'node:util';
import { EventEmitter } from 'node:events';
import { errorMessage, invalidArgument, invalidState, noSuchDevice, noSuchGuest, SwitcherError } from '../errors.js';
import type { GuestActions } from '../guests/actions.js';
import type { GuestRegistry } from '../guests/registry.js';
import type { LibvirtClient } from '../libvirt/client.js';
import { log } from '../log.js';
import type { UsbInventory } from '../usb/inventory.js';
import { evdevInputXml } from './evdev-xml.js';
import { eventNodes } from './input-nodes.js';
import type { LogindClient } from './logind.js';

// libvirt cannot hot-plug evdev input ("input device on bus 'none' cannot be hot plugged"):
// it goes into the guest's persistent definition and takes effect when the guest next starts.
const AFFECT_CONFIG = 2;

export interface SeatView {
  id: string;
  /** logind session object paths. */
  sessions: string[];
}

export interface SeatManagerEvents {
  added: [seat: SeatView];
  removed: [seat: SeatView];
  /** Its sessions, guest or devices changed. */
  changed: [seat: SeatView];
}

export const SEAT_PATH_PREFIX = '/me/phyllo/Switcher1/seat/';

export function seatPath(id: string): string {
  return SEAT_PATH_PREFIX + id.replace(/[^A-Za-z0-9]/g, '_');
}

/** What the seats are kept from and act through, by name. */
export interface SeatManagerParts {
  /** undefined with --seats none, or with no system bus: then there are no seats. */
  logind: LogindClient | undefined;
  registry: GuestRegistry;
  actions: GuestActions;
  client: LibvirtClient;
  /** The host's USB devices, whose seats udev tells. */
  inventory: UsbInventory;
  /** Where sysfs is (tests give a recorded tree). */
  sysfsRoot: string;
}

export class SeatManager extends EventEmitter<SeatManagerEvents> {
  private readonly seats = new Map<string, SeatView>();
  private refreshing: Promise<void> | undefined;
  private again = false;

  constructor(private readonly parts: SeatManagerParts) {
    super();
  }

  async start(): Promise<void> {
    if (!this.parts.logind) return;
    this.parts.logind.on('changed', () => void this.refresh());
    // A guest's seat lives in its metadata; devices' seats come from udev.
    const touched = (): void => {
      for (const seat of this.seats.values()) this.emit('changed', seat);
    };
    this.parts.registry.on('changed', (guest, changed, before) => {
      if (changed.includes('settings') && guest.settings.seat !== before.settings.seat) touched();
    });
    this.parts.registry.on('removed', touched);
    this.parts.inventory.on('added', touched);
    this.parts.inventory.on('removed', touched);
    this.parts.inventory.on('changed', touched);
    await this.parts.logind.start();
    await this.refresh();
  }

  stop(): void {
    this.parts.logind?.stop();
    this.removeAllListeners();
  }

  list(): SeatView[] {
    return [...this.seats.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): SeatView | undefined {
    return this.seats.get(id);
  }

  /** The guest assigned to a seat, or undefined. */
  guestOf(seatId: string): string | undefined {
    return this.parts.registry.guests().find((g) => g.settings.seat === seatId)?.path;
  }

  devicesOf(seatId: string): string[] {
    return this.parts.inventory
      .list()
      .filter((d) => (d.seat ?? 'seat0') === seatId)
      .map((d) => d.id);
  }

  /** The seat a device is on ('' if it is not plugged in). */
  seatOfDevice(deviceId: string): string {
    const device = this.parts.inventory.get(deviceId);
    return device ? (device.seat ?? 'seat0') : '';
  }

  /**
   * The seats AssignGuest touches, once its arguments hold (the seat and the
   * guest exist): this seat, and the one the guest is on now.
   */
  assignTargets(seatId: string, guestPath: string): string[] {
    this.requireSeat(seatId);
    if (guestPath === '/') return [seatId];
    const guest = this.parts.registry.get(guestPath);
    if (!guest) throw noSuchGuest(`at ${guestPath}`);
    return [seatId, guest.settings.seat];
  }

  /** The seats AttachDevice touches, once the seat and device exist: this seat, and the device's now. */
  attachTargets(seatId: string, deviceId: string): string[] {
    this.requireSeat(seatId);
    if (!this.parts.inventory.get(deviceId)) throw noSuchDevice(`at port ${deviceId}`);
    return [seatId, this.seatOfDevice(deviceId)];
  }

  /** The seats PassInput touches, once the seat exists: its own (its guest is of it). */
  passInputTargets(seatId: string): string[] {
    this.requireSeat(seatId);
    return [seatId];
  }

  /** Assigns a guest to a seat (one guest per seat: another one there is unassigned); '/' clears. */
  async assignGuest(seatId: string, guestPath: string): Promise<void> {
    this.requireSeat(seatId);
    const guest = guestPath === '/' ? undefined : this.parts.registry.get(guestPath);
    if (guestPath !== '/' && !guest) throw noSuchGuest(`at ${guestPath}`);
    for (const other of this.parts.registry.guests()) {
      if (other.settings.seat === seatId && other.path !== guestPath) {
        await this.parts.actions.updateSettings(other.path, (settings) =>
          settings.seat === seatId ? { ...settings, seat: '' } : settings,
        );
      }
    }
    if (guest) await this.parts.actions.updateSettings(guest.path, (settings) => ({ ...settings, seat: seatId }));
    log.info(`seat ${seatId}: ${guest ? JSON.stringify(guest.name) : 'no guest'}`);
  }

  /** Moves a host USB device to a seat, through logind. */
  async attachDevice(seatId: string, deviceId: string): Promise<void> {
    this.requireSeat(seatId);
    if (!this.parts.logind) throw new SwitcherError('NotConnected', 'systemd-logind is not reachable');
    const device = this.parts.inventory.get(deviceId);
    if (!device) throw noSuchDevice(`at port ${deviceId}`);
    await this.parts.logind.attachDevice(seatId, `/sys/bus/usb/devices/${deviceId}`);
    // logind's udev change event will say so too; the seat is already true now.
    this.parts.inventory.setSeat(deviceId, seatId);
    log.info(`USB ${deviceId} -> ${seatId}`);
  }

  /**
   * Gives (or takes back) the seat's keyboards and mice to its guest as evdev
   * input, in the guest's definition: from its next start on.
   */
  async passInput(seatId: string, enable: boolean): Promise<void> {
    this.requireSeat(seatId);
    const guestPath = this.guestOf(seatId);
    if (!guestPath) throw invalidState(`${seatId} has no guest assigned`);
    const devices = this.devicesOf(seatId).filter((id) => this.inputKind(id));
    await this.passDevices(guestPath, devices, enable, seatId);
  }

  /**
   * The same for one keyboard or mouse and any guest: on a single seat with
   * several monitors, each guest gets its own keyboard and mouse this way.
   */
  async passDeviceInput(deviceId: string, guestPath: string, enable: boolean): Promise<void> {
    if (!this.parts.inventory.get(deviceId)) throw noSuchDevice(`at port ${deviceId}`);
    if (!this.inputKind(deviceId)) throw invalidState(`The device at ${deviceId} is neither a keyboard nor a mouse`);
    await this.passDevices(guestPath, [deviceId], enable, deviceId);
  }

  private inputKind(id: string): 'keyboard' | 'mouse' | undefined {
    const device = this.parts.inventory.get(id);
    return device?.classes.includes('keyboard') ? 'keyboard' : device?.classes.includes('mouse') ? 'mouse' : undefined;
  }

  private async passDevices(guestPath: string, deviceIds: string[], enable: boolean, what: string): Promise<void> {
    const guest = this.parts.registry.get(guestPath);
    if (!guest) throw noSuchGuest(`at ${guestPath}`);
    const inputs: [string, 'keyboard' | 'mouse'][] = [];
    for (const id of deviceIds) {
      const kind = this.inputKind(id);
      if (kind) for (const node of await eventNodes(this.parts.sysfsRoot, id)) inputs.push([node, kind]);
    }
    if (inputs.length === 0) throw invalidState(`${what} has no keyboard or mouse with an input device to give`);
    for (const [node, kind] of inputs) {
      await this.parts.client.domainDevice(guest.libvirtPath, enable, evdevInputXml(node, kind), AFFECT_CONFIG);
    }
    log.info(
      `input ${enable ? 'given to' : 'taken back from'} ${JSON.stringify(guest.name)}: ${inputs.map(([n]) => n).join(', ')}`,
    );
  }

  private requireSeat(seatId: string): void {
    if (!this.seats.has(seatId)) throw invalidArgument(`No seat '${seatId.slice(0, 64)}'`);
  }

  /** Reads seats and sessions again (logind said something changed). */
  private refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        await this.refreshOnce().catch((error: unknown) => log.warning(`seats: ${errorMessage(error)}`));
      } while (this.again);
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    const logind = this.parts.logind;
    if (!logind?.available) {
      for (const seat of [...this.seats.values()]) this.drop(seat);
      return;
    }
    const [ids, sessions] = await Promise.all([logind.seats(), logind.sessions()]);
    for (const seat of [...this.seats.values()]) if (!ids.includes(seat.id)) this.drop(seat);
    for (const id of ids) {
      const view: SeatView = {
        id,
        sessions: sessions
          .filter((s) => s.seat === id)
          .map((s) => s.path)
          .sort(),
      };
      const known = this.seats.get(id);
      this.seats.set(id, view);
      if (!known) this.emit('added', view);
      else if (!isDeepStrictEqual(known, view)) this.emit('changed', view);
    }
  }

  private drop(seat: SeatView): void {
    this.seats.delete(seat.id);
    this.emit('removed', seat);
  }
}
