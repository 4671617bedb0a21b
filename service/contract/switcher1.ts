// Generated from data/me.phyllo.Switcher1.xml by tools/contract-types.mjs: do not edit.
// Values as dbus-next gives and takes them.

import type { Variant } from '@jellybrick/dbus-next';

export const MANAGER_INTERFACE = 'me.phyllo.Switcher1.Manager';

export interface ManagerProperties {
  readonly Connection: string;
  readonly Connected: boolean;
  readonly Scope: string;
  readonly SharingAllowed: boolean;
}

export interface ManagerMethods {
  DescribeCaller: { in: []; out: [caller: Record<string, Variant>] };
  ListGuests: { in: []; out: [guests: string[]] };
  FindGuest: { in: [name_or_uuid: string]; out: [guest: string] };
  PauseAll: { in: []; out: [paused: string[]] };
  ResumeAll: { in: []; out: [resumed: string[]] };
  ListUsbDevices: { in: []; out: [devices: string[]] };
  SetFocusedGuest: { in: [guest: string]; out: [] };
  ListSeats: { in: []; out: [seats: string[]] };
  DescribeInstaller: { in: [path: string]; out: [description: Record<string, Variant>] };
  ListOperatingSystems: { in: [search: string]; out: [systems: ([string, string])[]] };
  CreateGuest: { in: [name: string, os_id: string, installer_path: string, options: Record<string, Variant>]; out: [guest: string] };
  Import: { in: [bundle: string]; out: [job: string] };
  ListJobs: { in: []; out: [jobs: string[]] };
  WatchStats: { in: []; out: [] };
  UnwatchStats: { in: []; out: [] };
}

export interface ManagerSignals {
  UsbDeviceAdded: [device: string];
  UsbDeviceRemoved: [device: string];
  UsbAttachRequested: [device: string, guest: string];
  SeatAdded: [seat: string];
  SeatRemoved: [seat: string];
  GuestAdded: [guest: string];
  GuestRemoved: [guest: string];
  JobAdded: [job: string];
  JobRemoved: [job: string];
  GuestStopped: [guest: string, reason: string];
}

export const GUEST_INTERFACE = 'me.phyllo.Switcher1.Guest';

export interface GuestProperties {
  readonly Name: string;
  readonly Uuid: string;
  readonly State: string;
  readonly Vcpus: number;
  readonly MemoryMiB: bigint;
  Autostart: boolean;
  readonly OsId: string;
  readonly Monitor: string;
  readonly Monitors: string[];
  readonly Heads: number;
  readonly Resolution: [number, number];
  readonly Accel3D: boolean;
  readonly RunningDisplay: Record<string, Variant>;
  readonly ViewerPid: number;
  readonly UsbRules: (Record<string, string>)[];
  readonly Seat: string;
  readonly Display: string;
  readonly CpuPercent: number;
  readonly MemoryUsedMiB: bigint;
  readonly Shared: boolean;
  readonly SharedUntil: bigint;
}

export interface GuestMethods {
  Start: { in: []; out: [] };
  Shutdown: { in: [timeout_seconds: number]; out: [stopped: boolean] };
  ForceOff: { in: []; out: [] };
  Reboot: { in: []; out: [] };
  Pause: { in: []; out: [] };
  Resume: { in: []; out: [] };
  SetMonitor: { in: [connector: string]; out: [] };
  SetMonitors: { in: [connectors: string[]]; out: [] };
  DescribeDisplay: { in: []; out: [display: Record<string, Variant>] };
  SetDisplay: { in: [settings: Record<string, Variant>]; out: [] };
  Show: { in: []; out: [] };
  Export: { in: [directory: string]; out: [job: string] };
  Clone: { in: [name: string]; out: [job: string] };
  MigrateTo: { in: [uri: string, options: Record<string, Variant>]; out: [job: string] };
  OpenDisplay: { in: []; out: [uri: string] };
  Share: { in: [options: Record<string, Variant>]; out: [share: Record<string, Variant>] };
  Unshare: { in: []; out: [] };
}

export interface GuestSignals {
}

export const USB_DEVICE_INTERFACE = 'me.phyllo.Switcher1.UsbDevice';

export interface UsbDeviceProperties {
  readonly Vendor: string;
  readonly Product: string;
  readonly Name: string;
  readonly Serial: string;
  readonly Port: string;
  readonly Classes: string[];
  readonly Owner: string;
}

export interface UsbDeviceMethods {
  Attach: { in: [guest: string]; out: [] };
  ForceAttach: { in: [guest: string]; out: [] };
  Detach: { in: []; out: [] };
  PassInput: { in: [guest: string, enable: boolean]; out: [] };
  SetRule: { in: [guest: string, mode: string, match_by: string]; out: [] };
}

export interface UsbDeviceSignals {
}

export const SEAT_INTERFACE = 'me.phyllo.Switcher1.Seat';

export interface SeatProperties {
  readonly Id: string;
  readonly Guest: string;
  readonly Devices: string[];
  readonly Sessions: string[];
}

export interface SeatMethods {
  AssignGuest: { in: [guest: string]; out: [] };
  AttachDevice: { in: [device: string]; out: [] };
  PassInput: { in: [enable: boolean]; out: [] };
}

export interface SeatSignals {
}

export const JOB_INTERFACE = 'me.phyllo.Switcher1.Job';

export interface JobProperties {
  readonly Operation: string;
  readonly Guest: string;
  readonly Progress: number;
  readonly BytesDone: bigint;
  readonly BytesTotal: bigint;
  readonly State: string;
  readonly Result: string;
  readonly StartedByUid: number;
  readonly StartedFromSeat: string;
}

export interface JobMethods {
  Cancel: { in: []; out: [] };
}

export interface JobSignals {
  Completed: [success: boolean, message: string];
}

/** Every interface of the contract, by name. */
export interface Switcher1 {
  'me.phyllo.Switcher1.Manager': { properties: ManagerProperties; methods: ManagerMethods; signals: ManagerSignals };
  'me.phyllo.Switcher1.Guest': { properties: GuestProperties; methods: GuestMethods; signals: GuestSignals };
  'me.phyllo.Switcher1.UsbDevice': { properties: UsbDeviceProperties; methods: UsbDeviceMethods; signals: UsbDeviceSignals };
  'me.phyllo.Switcher1.Seat': { properties: SeatProperties; methods: SeatMethods; signals: SeatSignals };
  'me.phyllo.Switcher1.Job': { properties: JobProperties; methods: JobMethods; signals: JobSignals };
}

export type InterfaceName = keyof Switcher1;
