// The live list of host USB devices: read from sysfs once, then kept current
// from udev's hot-plug events, one event at a time, in order.

import { isDeepStrictEqual } from 'node:util';
import { EventEmitter } from 'node:events';
import { basename } from 'node:path';
import { log } from '../log.js';
import { readUsbDevice, readUsbDevices, udevSeat } from './sysfs.js';
import { displayName, type UsbDeviceInfo } from './usb-device.js';
import type { UdevEvent, UdevMonitor } from './udev-monitor.js';
import { errorMessage } from '../errors.js';
import { count } from '../readable.js';

export interface UsbInventoryEvents {
  added: [device: UsbDeviceInfo];
  removed: [device: UsbDeviceInfo];
  /** Read anew with something different: its interfaces arrived after it. */
  changed: [device: UsbDeviceInfo];
}

export class UsbInventory extends EventEmitter<UsbInventoryEvents> {
  private readonly devices = new Map<string, UsbDeviceInfo>();
  /** When the udev event that plugged each device was received (for timing what follows). */
  private readonly pluggedAt = new Map<string, bigint>();
  // Events are applied strictly in order, even though each needs a sysfs read.
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly sysfsRoot: string,
    private readonly monitor: UdevMonitor,
    /** udev's database (/run/udev/data): where ID_SEAT of devices present at start is read. */
    private readonly udevDataRoot = '/run/udev/data',
  ) {
    super();
    this.setMaxListeners(0);
  }

  async start(): Promise<void> {
    // Listen first so that nothing plugged during the scan is missed.
    this.monitor.on('event', (event) => {
      this.queue = this.queue
        .then(() => this.apply(event))
        .catch((error: unknown) => log.warning(`USB event: ${errorMessage(error)}`));
    });
    this.monitor.start();
    const scanned = await readUsbDevices(this.sysfsRoot);
    await this.queue;
    for (const device of scanned) {
      if (!this.devices.has(device.id))
        this.add({ ...device, seat: await udevSeat(this.udevDataRoot, this.sysfsRoot, device.id) });
    }
    log.info(`USB: ${count(this.devices.size, 'device')}`);
  }

  stop(): void {
    this.monitor.stop();
    this.removeAllListeners();
  }

  list(): UsbDeviceInfo[] {
    return [...this.devices.values()].sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
  }

  get(id: string): UsbDeviceInfo | undefined {
    return this.devices.get(id);
  }

  /** Re-reads a device from sysfs: undefined if it is gone (or was replugged as another device number). */
  async current(id: string): Promise<UsbDeviceInfo | undefined> {
    return readUsbDevice(this.sysfsRoot, id);
  }

  /** When the device's plug-in event arrived (hrtime ns), if it came by event. */
  eventTime(id: string): bigint | undefined {
    return this.pluggedAt.get(id);
  }

  private async apply(event: UdevEvent, receivedAt = process.hrtime.bigint()): Promise<void> {
    const name = basename(event.devpath);
    // The kernel announces a device before its interfaces (1-2:1.0): each one
    // that arrives makes us read its device again, to learn what it is.
    if (name.includes(':')) {
      const parent = this.devices.get(name.slice(0, name.indexOf(':')));
      if (parent && (event.action === 'add' || event.action === 'bind')) await this.reread(parent);
      return;
    }
    const id = name;
    if (event.action === 'remove') {
      const gone = this.devices.get(id);
      if (gone) this.remove(gone);
      return;
    }
    if (event.action === 'change') {
      // logind moving a device to another seat ends in udev's change event with the new ID_SEAT.
      const moved = this.devices.get(id);
      const seat = event.properties.ID_SEAT || 'seat0';
      if (moved && moved.seat !== seat) this.setSeat(id, seat);
      return;
    }
    if (event.action !== 'add' && event.action !== 'bind') return;
    const device = await readUsbDevice(this.sysfsRoot, id);
    if (!device) return;
    const known = this.devices.get(id);
    if (known && known.devnum === device.devnum) return;
    if (known) this.remove(known); // replugged between events: a new device on the same port
    this.pluggedAt.set(id, receivedAt);
    this.add({ ...device, seat: event.properties.ID_SEAT || 'seat0' });
  }

  /** Records the device's seat (logind moved it); emits 'changed'. */
  setSeat(id: string, seat: string): void {
    const device = this.devices.get(id);
    if (!device || device.seat === seat) return;
    const moved = { ...device, seat };
    this.devices.set(id, moved);
    this.emit('changed', moved);
  }

  private async reread(known: UsbDeviceInfo): Promise<void> {
    const read = await readUsbDevice(this.sysfsRoot, known.id);
    const device = read && { ...read, seat: known.seat };
    if (!device || device.devnum !== known.devnum || isDeepStrictEqual(device, known)) return;
    this.devices.set(device.id, device);
    this.emit('changed', device);
  }

  private add(device: UsbDeviceInfo): void {
    this.devices.set(device.id, device);
    log.info(`USB device plugged: ${displayName(device)} (${device.vendor}:${device.product}) at ${device.id}`);
    this.emit('added', device);
  }

  private remove(device: UsbDeviceInfo): void {
    this.devices.delete(device.id);
    this.pluggedAt.delete(device.id);
    log.info(`USB device unplugged: ${displayName(device)} at ${device.id}`);
    this.emit('removed', device);
  }
}
