// Generated from data/me.phyllo.Switcher1.xml by tools/contract-types.mjs: do not edit.
// Values as GJS's recursiveUnpack() gives them.

export const MANAGER_INTERFACE = 'me.phyllo.Switcher1.Manager';

export interface ManagerProperties {
  readonly Connection: string;
  readonly Connected: boolean;
  readonly Scope: string;
  readonly SharingAllowed: boolean;
}

export interface ManagerMethods {
  DescribeCaller: { in: []; out: [caller: Record<string, unknown>] };
  ListGuests: { in: []; out: [guests: string[]] };
  FindGuest: { in: [name_or_uuid: string]; out: [guest: string] };
  PauseAll: { in: []; out: [paused: string[]] };
  ResumeAll: { in: []; out: [resumed: string[]] };
  ListUsbDevices: { in: []; out: [devices: string[]] };
  SetFocusedGuest: { in: [guest: string]; out: [] };
  ListSeats: { in: []; out: [seats: string[]] };
  DescribeInstaller: { in: [path: string]; out: [description: Record<string, unknown>] };
  ListOperatingSystems: { in: [search: string]; out: [systems: ([string, string])[]] };
  CreateGuest: { in: [name: string, os_id: string, installer_path: string, options: Record<string, unknown>]; out: [guest: string] };
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
  readonly MemoryMiB: number;
  Autostart: boolean;
  readonly OsId: string;
  readonly Monitor: string;
  readonly Monitors: string[];
  readonly Heads: number;
  readonly Resolution: [number, number];
  readonly Accel3D: boolean;
  readonly RunningDisplay: Record<string, unknown>;
  readonly ViewerPid: number;
  readonly UsbRules: (Record<string, string>)[];
  readonly Seat: string;
  readonly Display: string;
  readonly CpuPercent: number;
  readonly MemoryUsedMiB: number;
  readonly Shared: boolean;
  readonly SharedUntil: number;
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
  DescribeDisplay: { in: []; out: [display: Record<string, unknown>] };
  SetDisplay: { in: [settings: Record<string, unknown>]; out: [] };
  Show: { in: []; out: [] };
  Export: { in: [directory: string]; out: [job: string] };
  Clone: { in: [name: string]; out: [job: string] };
  MigrateTo: { in: [uri: string, options: Record<string, unknown>]; out: [job: string] };
  OpenDisplay: { in: []; out: [uri: string] };
  Share: { in: [options: Record<string, unknown>]; out: [share: Record<string, unknown>] };
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
  readonly BytesDone: number;
  readonly BytesTotal: number;
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

/** The well-known name the service owns. */
export const BUS_NAME = 'me.phyllo.Switcher1';

/** Where the Manager (and the ObjectManager of every other object) lives. */
export const MANAGER_PATH = '/me/phyllo/Switcher1';

/** The contract's typed errors, by their short name. */
export const ERROR = {
  NoSuchGuest: 'me.phyllo.Switcher1.Error.NoSuchGuest',
  InvalidArgument: 'me.phyllo.Switcher1.Error.InvalidArgument',
  InvalidState: 'me.phyllo.Switcher1.Error.InvalidState',
  NotConnected: 'me.phyllo.Switcher1.Error.NotConnected',
  Libvirt: 'me.phyllo.Switcher1.Error.Libvirt',
  Timeout: 'me.phyllo.Switcher1.Error.Timeout',
  ViewerFailed: 'me.phyllo.Switcher1.Error.ViewerFailed',
  NoDisplay: 'me.phyllo.Switcher1.Error.NoDisplay',
  NoSuchDevice: 'me.phyllo.Switcher1.Error.NoSuchDevice',
  LastInputDevice: 'me.phyllo.Switcher1.Error.LastInputDevice',
  AccessDenied: 'me.phyllo.Switcher1.Error.AccessDenied',
  AlreadyExists: 'me.phyllo.Switcher1.Error.AlreadyExists',
  NoSuchFile: 'me.phyllo.Switcher1.Error.NoSuchFile',
  UnreadableFile: 'me.phyllo.Switcher1.Error.UnreadableFile',
  UnknownOs: 'me.phyllo.Switcher1.Error.UnknownOs',
  MissingHostFeature: 'me.phyllo.Switcher1.Error.MissingHostFeature',
  Busy: 'me.phyllo.Switcher1.Error.Busy',
  Internal: 'me.phyllo.Switcher1.Error.Internal',
} as const;

/** Each method's in and out arguments as D-Bus tuple signatures, for packing a call and reading its reply. */
export const SIGNATURES = {
  'me.phyllo.Switcher1.Manager': {
    DescribeCaller: { in: '()', out: '(a{sv})' },
    ListGuests: { in: '()', out: '(ao)' },
    FindGuest: { in: '(s)', out: '(o)' },
    PauseAll: { in: '()', out: '(ao)' },
    ResumeAll: { in: '()', out: '(ao)' },
    ListUsbDevices: { in: '()', out: '(ao)' },
    SetFocusedGuest: { in: '(o)', out: '()' },
    ListSeats: { in: '()', out: '(ao)' },
    DescribeInstaller: { in: '(s)', out: '(a{sv})' },
    ListOperatingSystems: { in: '(s)', out: '(a(ss))' },
    CreateGuest: { in: '(sssa{sv})', out: '(o)' },
    Import: { in: '(s)', out: '(o)' },
    ListJobs: { in: '()', out: '(ao)' },
    WatchStats: { in: '()', out: '()' },
    UnwatchStats: { in: '()', out: '()' },
  },
  'me.phyllo.Switcher1.Guest': {
    Start: { in: '()', out: '()' },
    Shutdown: { in: '(u)', out: '(b)' },
    ForceOff: { in: '()', out: '()' },
    Reboot: { in: '()', out: '()' },
    Pause: { in: '()', out: '()' },
    Resume: { in: '()', out: '()' },
    SetMonitor: { in: '(s)', out: '()' },
    SetMonitors: { in: '(as)', out: '()' },
    DescribeDisplay: { in: '()', out: '(a{sv})' },
    SetDisplay: { in: '(a{sv})', out: '()' },
    Show: { in: '()', out: '()' },
    Export: { in: '(s)', out: '(o)' },
    Clone: { in: '(s)', out: '(o)' },
    MigrateTo: { in: '(sa{sv})', out: '(o)' },
    OpenDisplay: { in: '()', out: '(s)' },
    Share: { in: '(a{sv})', out: '(a{sv})' },
    Unshare: { in: '()', out: '()' },
  },
  'me.phyllo.Switcher1.UsbDevice': {
    Attach: { in: '(o)', out: '()' },
    ForceAttach: { in: '(o)', out: '()' },
    Detach: { in: '()', out: '()' },
    PassInput: { in: '(ob)', out: '()' },
    SetRule: { in: '(oss)', out: '()' },
  },
  'me.phyllo.Switcher1.Seat': {
    AssignGuest: { in: '(o)', out: '()' },
    AttachDevice: { in: '(o)', out: '()' },
    PassInput: { in: '(b)', out: '()' },
  },
  'me.phyllo.Switcher1.Job': {
    Cancel: { in: '()', out: '()' },
  },
} as const;

/** The methods of an interface, by name. */
export type MethodName<I extends InterfaceName> = keyof Switcher1[I]['methods'] & string;
/** What a method takes (variants as GLib.Variant) and what its reply unpacks to. */
export type MethodIn<I extends InterfaceName, M extends MethodName<I>> = Switcher1[I]['methods'][M] extends { in: infer A } ? A : never;
export type MethodOut<I extends InterfaceName, M extends MethodName<I>> = Switcher1[I]['methods'][M] extends { out: infer A } ? A : never;

/** The contract itself, for Gio.DBusNodeInfo. */
export const INTERFACE_XML = "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n\"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n<!--\n  The contract between the Phyllome Switcher service and its clients.\n  The service exports exactly this; its tests check what it exports against\n  this file, and the Shell extension builds its proxies from it.\n\n  Errors (D-Bus error names):\n    me.phyllo.Switcher1.Error.NoSuchGuest      the guest is not (or no longer) known\n    me.phyllo.Switcher1.Error.InvalidArgument  an argument is malformed or out of range\n    me.phyllo.Switcher1.Error.InvalidState     the action makes no sense in the guest's state\n    me.phyllo.Switcher1.Error.NotConnected     libvirt cannot be reached right now\n    me.phyllo.Switcher1.Error.Libvirt          libvirt refused; the message is libvirt's\n    me.phyllo.Switcher1.Error.Timeout          libvirt did not answer in time; what was asked may still happen once\n                                               it does (the properties follow what libvirt did)\n    me.phyllo.Switcher1.Error.ViewerFailed     the guest's viewer could not show it; the message says why\n    me.phyllo.Switcher1.Error.NoDisplay        the guest has no display for a viewer: it shows on a screen of its own\n    me.phyllo.Switcher1.Error.NoSuchDevice     the USB device is not (or no longer) plugged in\n    me.phyllo.Switcher1.Error.LastInputDevice  the host's last keyboard or pointer would leave it; ForceAttach does it anyway\n    me.phyllo.Switcher1.Error.AccessDenied     the caller may not act on it (another seat's, or a session that is\n                                               not the active local one) and polkit did not allow it, or the\n                                               caller's seat could not be told (systemd-logind unreachable), or\n                                               the service may not read or write a file it needs\n    me.phyllo.Switcher1.Error.AlreadyExists    a guest, disk volume, bundle or file of that name or UUID is already there;\n                                               nothing is overwritten\n    me.phyllo.Switcher1.Error.NoSuchFile       nothing at the path given (a file or folder), or not a regular file\n                                               where a file is wanted\n    me.phyllo.Switcher1.Error.UnreadableFile   the caller, or the service, cannot read the file; or it is no ISO 9660 image\n    me.phyllo.Switcher1.Error.UnknownOs        libosinfo knows no OS of that id\n    me.phyllo.Switcher1.Error.MissingHostFeature  the host lacks what the OS needs (the message says what to install),\n                                               or does not allow what was asked (sharing, until an administrator\n                                               turns it on)\n    me.phyllo.Switcher1.Error.Busy             too many requests under way: the caller's own (a few expensive calls\n                                               — DescribeInstaller, CreateGuest, Export, Import, Clone, MigrateTo —\n                                               run at once per user and in all, a few more wait briefly for a\n                                               turn; a few jobs run at once per user and in all; a few shares at\n                                               once per user and in all, each on a port of its own) or everybody's;\n                                               nothing was done: try again when one has finished\n    me.phyllo.Switcher1.Error.Internal         a bug of ours; the details are in the service's log\n\n  Calls to what is not here get the standard errors every D-Bus service\n  gives: org.freedesktop.DBus.Error.UnknownObject (no object at the path:\n  a seat or a job that has gone too; a guest or USB device path that holds\n  none gets NoSuchGuest or NoSuchDevice), UnknownInterface, UnknownMethod,\n  UnknownProperty, InvalidArgs (a signature that does not fit),\n  PropertyReadOnly.\n\n  Every error's message is for a person: control characters in it (from an\n  argument it names) are shown escaped (\\n, \\x1b), and a message longer than\n  1000 characters is shortened in the middle, with an ellipsis.\n\n  /me/phyllo/Switcher1 also implements the standard\n  org.freedesktop.DBus.ObjectManager: GetManagedObjects returns every guest,\n  USB device and seat below it with all their properties in one reply, and\n  InterfacesAdded (carrying the properties) / InterfacesRemoved announce\n  objects as they come and go (guests, USB devices, seats and jobs), before\n  the Manager's own *Added/*Removed.\n\n  Who may change what: every method that changes something checks its\n  arguments first (a bad one is refused the same for everybody), then the\n  caller, then acts. A caller's place is logind's: the session of its\n  process, else its user's display session (User.Display, as for a GNOME\n  Shell run as a systemd user unit), and that session's seat. The active,\n  local session of a seat acts freely on guests and USB devices of its seat\n  and of none; anything else (another seat's, a session in the background\n  or remote, a process logind places nowhere) needs polkit's\n  me.phyllo.switcher.manage-other-seat, asked with user interaction allowed\n  when the call carries ALLOW_INTERACTIVE_AUTHORIZATION. A refusal changes\n  nothing. PauseAll and ResumeAll act only on the guests the caller may act\n  on. A job is the user's who started it: only they, or whom polkit allows\n  me.phyllo.switcher.cancel-job-other-user, may cancel it. Expensive calls\n  (DescribeInstaller, CreateGuest, Export, Import, Clone, MigrateTo) and\n  jobs are limited per user and in all (Busy beyond). Reading is free.\n  Sharing a guest with another computer (Guest.Share) is checked like any\n  other change of the guest, and the credential it makes goes to that\n  caller alone.\n-->\n<node>\n  <interface name=\"me.phyllo.Switcher1.Manager\">\n    <!-- The libvirt URI this service manages, e.g. qemu:///system. -->\n    <property name=\"Connection\" type=\"s\" access=\"read\"/>\n    <!-- Whether libvirt is reachable now; what is known stays readable while false. -->\n    <property name=\"Connected\" type=\"b\" access=\"read\"/>\n    <!-- Whom this service serves: 'user' (one person's, on the session bus;\n         Guest.Show opens its viewers) or 'host' (every user's, on the system\n         bus; viewers run in each user's session and reach a guest's display\n         through Guest.OpenDisplay). -->\n    <property name=\"Scope\" type=\"s\" access=\"read\">\n      <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"const\"/>\n    </property>\n    <!-- Sharing with another computer (Guest.Share): whether an administrator\n         allowed it on this host (the service's --share-listen). False: Share\n         answers MissingHostFeature, and the Shell offers no Share…. -->\n    <property name=\"SharingAllowed\" type=\"b\" access=\"read\">\n      <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"const\"/>\n    </property>\n    <!-- Where the caller sits, as the service decides who may act on what:\n         uid (u), session (s: logind's id, '' when logind places the caller in\n         none), seat (s: that session's seat, '' for none or unknown), active (b:\n         the seat's foreground session), local (b: not remote). Read from the\n         bus and logind at each call; NotConnected when logind cannot be\n         reached. A session shows the guests of its seat and of none. -->\n    <method name=\"DescribeCaller\">\n      <arg name=\"caller\" type=\"a{sv}\" direction=\"out\"/>\n    </method>\n    <!-- Object paths of every guest libvirt knows, sorted by guest name. -->\n    <method name=\"ListGuests\">\n      <arg name=\"guests\" type=\"ao\" direction=\"out\"/>\n    </method>\n    <!-- A guest by its libvirt name or UUID. -->\n    <method name=\"FindGuest\">\n      <arg name=\"name_or_uuid\" type=\"s\" direction=\"in\"/>\n      <arg name=\"guest\" type=\"o\" direction=\"out\"/>\n    </method>\n    <!-- Pauses every running guest the caller may act on and remembers which ones it paused. -->\n    <method name=\"PauseAll\">\n      <arg name=\"paused\" type=\"ao\" direction=\"out\"/>\n    </method>\n    <!-- Resumes only the guests the last PauseAll paused that are still paused\n         (and that the caller may act on). -->\n    <method name=\"ResumeAll\">\n      <arg name=\"resumed\" type=\"ao\" direction=\"out\"/>\n    </method>\n    <!-- Host USB devices (root hubs left out), sorted by port. -->\n    <method name=\"ListUsbDevices\">\n      <arg name=\"devices\" type=\"ao\" direction=\"out\"/>\n    </method>\n    <!-- The Shell tells which guest has the focus ('/' for the host), for\n         USB rules that follow the focus. Devices move between the guest that\n         had the focus and the new one, so the caller must be allowed to act\n         on both. -->\n    <method name=\"SetFocusedGuest\">\n      <arg name=\"guest\" type=\"o\" direction=\"in\"/>\n    </method>\n    <signal name=\"UsbDeviceAdded\">\n      <arg name=\"device\" type=\"o\"/>\n    </signal>\n    <signal name=\"UsbDeviceRemoved\">\n      <arg name=\"device\" type=\"o\"/>\n    </signal>\n    <!-- A device was plugged in that a guest's 'ask' rule matches: the Shell\n         asks the user, and calls Attach if the answer is yes. -->\n    <signal name=\"UsbAttachRequested\">\n      <arg name=\"device\" type=\"o\"/>\n      <arg name=\"guest\" type=\"o\"/>\n    </signal>\n    <!-- The seats systemd-logind knows, by id. -->\n    <method name=\"ListSeats\">\n      <arg name=\"seats\" type=\"ao\" direction=\"out\"/>\n    </method>\n    <signal name=\"SeatAdded\">\n      <arg name=\"seat\" type=\"o\"/>\n    </signal>\n    <signal name=\"SeatRemoved\">\n      <arg name=\"seat\" type=\"o\"/>\n    </signal>\n    <!-- The OS libosinfo recognises on an installer ISO and how Phyllome's model\n         would make it here. Keys: id (libosinfo id, '' when unknown), name, path,\n         family (linux, windows, other), memory-mib (t), vcpus (u), disk-gib (t) —\n         the defaults —, the same with min- (the OS's minimum) and max- (the host's;\n         max-disk-gib once the default storage pool exists), warnings (as: what\n         the host lacks, e.g. \"This host has no TPM emulator: install swtpm\"), and\n         unsupported (s) when the host cannot make this OS at all. The path is\n         read with the caller's rights only (by a process run as the caller),\n         and path is the ISO as the kernel resolved it for the caller. -->\n    <method name=\"DescribeInstaller\">\n      <arg name=\"path\" type=\"s\" direction=\"in\"/>\n      <arg name=\"description\" type=\"a{sv}\" direction=\"out\"/>\n    </method>\n    <!-- (id, name) of the operating systems libosinfo knows whose name, short id\n         or id contains search (case-insensitive; '' for all), by name: for\n         when DescribeInstaller does not recognise the ISO. -->\n    <method name=\"ListOperatingSystems\">\n      <arg name=\"search\" type=\"s\" direction=\"in\"/>\n      <arg name=\"systems\" type=\"a(ss)\" direction=\"out\"/>\n    </method>\n    <!-- Defines a new guest from Phyllome's model for the OS (os_id; '' = the\n         one DescribeInstaller recognises, else a generic one), off, with\n         installer_path attached as its CD and a new raw, sparse disk in the\n         default storage pool (created if absent), the volume\n         <uuid>-<device>.raw, named as every volume made for a guest\n         (<uuid>-<device>.<format>: from its UUID, never from its name).\n         installer_path (and drivers-iso) are read with the caller's rights\n         only. Where QEMU runs as another user than the caller (the system\n         daemon, qemu:///system), each is copied, as the caller reads it, into\n         a volume of the guest's own (<uuid>-installer.iso, <uuid>-drivers.iso)\n         and that copy is the guest's CD: what it boots is what was checked,\n         and QEMU can read it; on a user's own connection the CD is the file\n         itself.\n         The name of every new guest (here and Clone's): 1 to 63 letters,\n         digits, spaces and . _ + -, first a letter or digit, last not a\n         space. Options: memory-mib, vcpus, disk-gib (unsigned integers, t or u;\n         by default the OS's recommended sizes within the host's; at most 64 TiB\n         of memory and of disk, 4096 vCPUs), drivers-iso (s: Windows' virtio\n         drivers, then attached as a second CD and the guest gets virtio disk\n         and network). Bad input (AlreadyExists, NoSuchFile, UnreadableFile,\n         UnknownOs, InvalidArgument for a name outside the rule, an option of\n         the wrong type, sizes below the OS's minimum or above the host's,\n         MissingHostFeature) leaves nothing behind. -->\n    <method name=\"CreateGuest\">\n      <arg name=\"name\" type=\"s\" direction=\"in\"/>\n      <arg name=\"os_id\" type=\"s\" direction=\"in\"/>\n      <arg name=\"installer_path\" type=\"s\" direction=\"in\"/>\n      <arg name=\"options\" type=\"a{sv}\" direction=\"in\"/>\n      <arg name=\"guest\" type=\"o\" direction=\"out\"/>\n    </method>\n    <signal name=\"GuestAdded\">\n      <arg name=\"guest\" type=\"o\"/>\n    </signal>\n    <signal name=\"GuestRemoved\">\n      <arg name=\"guest\" type=\"o\"/>\n    </signal>\n    <!-- Imports a bundle that Guest.Export wrote (the path of its <name>.phyllome\n         directory) as a guest of this host: checksums verified before anything\n         is defined; the guest made again from Phyllome's model, as CreateGuest\n         makes guests, out of what its definition says it is (name, UUID, size,\n         firmware kind and Secure Boot, OS, disks, network cards and their MAC\n         addresses, display, video, sound and TPM models, title, description,\n         our settings), the firmware left for libvirt to choose; disks into new\n         volumes of libvirt's 'default' pool (made when this host has none),\n         named <uuid>-<device>.<format>, UEFI variables as <uuid>_VARS.fd and\n         TPM state where libvirt keeps it by UUID (no file is ever named from\n         the bundle's guest name); libvirt's autostart flag set again from the\n         manifest. The bundle is read with the caller's rights only. A disk\n         image is raw or qcow2; a qcow2 image that points outside itself (a\n         backing file, an external data file, encryption, an incompatible\n         feature not known here) fails the job, checked on the bytes copied.\n         Returns the job at once; its Completed message says what the host\n         lacks for the guest and what it set itself instead of taking it from\n         the bundle. Refused at once: nothing at that path (NoSuchFile), a\n         bundle the caller may not read (AccessDenied), a bundle that is not\n         complete or not ours, a name outside CreateGuest's rule, or a\n         definition holding what an import does not take — anything in a\n         namespace not libvirt's, host devices, folders, files, sockets or\n         programs, no confinement, what the model has no place for — each\n         named (InvalidArgument), a definition or manifest beyond what a\n         guest needs (over 1 MiB, 20,000 elements, 64 attributes or 16\n         namespace declarations on an element, 64 declarations in all, 64\n         drives, 32 network cards, 256 USB rules, 64 files: InvalidArgument\n         naming the limit), a guest of that name or UUID, or UEFI\n         variables or TPM state of it, already here (AlreadyExists), a host\n         that cannot give the guest its UEFI, Secure Boot or TPM\n         (MissingHostFeature). A failed or cancelled import leaves nothing\n         behind. -->\n    <method name=\"Import\">\n      <arg name=\"bundle\" type=\"s\" direction=\"in\"/>\n      <arg name=\"job\" type=\"o\" direction=\"out\"/>\n    </method>\n    <!-- The jobs running or just finished, by number. -->\n    <method name=\"ListJobs\">\n      <arg name=\"jobs\" type=\"ao\" direction=\"out\"/>\n    </method>\n    <signal name=\"JobAdded\">\n      <arg name=\"job\" type=\"o\"/>\n    </signal>\n    <!-- A finished job's object goes 60 s after its Completed signal. -->\n    <signal name=\"JobRemoved\">\n      <arg name=\"job\" type=\"o\"/>\n    </signal>\n    <!-- The caller wants live figures: while at least one client watches, the\n         service reads every running guest's statistics about once a second\n         (one libvirt call for all of them) and publishes each guest's\n         CpuPercent and MemoryUsedMiB with PropertiesChanged. A client watches\n         once however often it calls; it stops with UnwatchStats or by leaving\n         the bus. With no client watching, nothing is read. -->\n    <method name=\"WatchStats\"/>\n    <!-- The caller no longer wants live figures; nothing if it was not watching.\n         After the last watcher leaves, every guest's figures go back to unknown. -->\n    <method name=\"UnwatchStats\"/>\n    <!-- A guest stopped running (its State left running, paused, suspended,\n         starting or stopping for shutoff or crashed), with why, from the\n         detail of libvirt's Stopped event, or its Crashed event (panicked):\n           shutdown   its OS shut down\n           destroyed  it was forced off\n           crashed    its OS crashed (it may be kept in the crashed state or\n                      restarted, as its on_crash setting says: one stop)\n           failed     its QEMU process ended unexpectedly: killed by the host\n                      (e.g. out of memory) or failed itself\n           saved, migrated, snapshot  saved to a file, moved to another host,\n                      or stopped to restore a snapshot\n         Sent once per stop, after the State change it comes with. An OS that\n         loaded a crash kernel (pvpanic crash loaded) runs on: no stop. -->\n    <signal name=\"GuestStopped\">\n      <arg name=\"guest\" type=\"o\"/>\n      <arg name=\"reason\" type=\"s\"/>\n    </signal>\n  </interface>\n\n  <interface name=\"me.phyllo.Switcher1.Guest\">\n    <property name=\"Name\" type=\"s\" access=\"read\"/>\n    <property name=\"Uuid\" type=\"s\" access=\"read\">\n      <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"const\"/>\n    </property>\n    <!-- running, paused, shutoff, crashed, suspended, starting or stopping. -->\n    <property name=\"State\" type=\"s\" access=\"read\"/>\n    <property name=\"Vcpus\" type=\"u\" access=\"read\"/>\n    <property name=\"MemoryMiB\" type=\"t\" access=\"read\"/>\n    <!-- Whether libvirt starts the guest when the host boots (libvirt's own\n         autostart flag). Writable: Set changes it in libvirt and the new value\n         is announced at once (libvirt sends no event for it); a transient\n         guest cannot have it (Libvirt error). -->\n    <property name=\"Autostart\" type=\"b\" access=\"readwrite\"/>\n    <!-- libosinfo id from the domain's metadata (e.g. http://microsoft.com/win/11), or empty. -->\n    <property name=\"OsId\" type=\"s\" access=\"read\"/>\n    <!-- Connector of the monitor the guest is shown on (DP-1, HDMI-A-1…);\n         empty = wherever the pointer is. Kept in the domain's own metadata.\n         For a guest with several heads, its first head's (Monitors[0]). -->\n    <property name=\"Monitor\" type=\"s\" access=\"read\"/>\n    <!-- The connectors of the monitors the guest's heads are shown on, head 1\n         first (its first is Monitor); '' for a head of none (head 1: wherever\n         the pointer is; the others: beside it, on a monitor no other head\n         has), trailing '' left out. Kept in the domain's own metadata. -->\n    <property name=\"Monitors\" type=\"as\" access=\"read\"/>\n    <!-- Heads of the guest's video device from its next start (libvirt's\n         <model heads>, 1 when its definition says none): one window each,\n         each full-screen on its own monitor. -->\n    <property name=\"Heads\" type=\"u\" access=\"read\"/>\n    <!-- The resolution of each head from the guest's next start (libvirt's\n         <resolution> of its video device), shown scaled to fit its monitor\n         however large; (0, 0): none, the guest follows its viewer's window\n         (its agent resizes it to the window, as before). -->\n    <property name=\"Resolution\" type=\"(uu)\" access=\"read\"/>\n    <!-- 3D acceleration from the guest's next start: virtio-gpu with OpenGL\n         (virgl) through the host's GPU render node, shown by SPICE's own GL\n         (or, with a VNC display, rendered off screen by egl-headless). -->\n    <property name=\"Accel3D\" type=\"b\" access=\"read\"/>\n    <!-- While the guest runs with display settings other than its\n         definition's (a change waits for its next start): those it runs\n         with, each that differs — heads (u), resolution ((uu)), accel3d (b);\n         empty when nothing waits, and when it is not running. -->\n    <property name=\"RunningDisplay\" type=\"a{sv}\" access=\"read\"/>\n    <!-- PID of the guest's viewer process (virt-viewer), 0 when none is open.\n         The Shell finds the viewer's window by it. -->\n    <property name=\"ViewerPid\" type=\"u\" access=\"read\"/>\n    <!-- USB rules kept in the guest's metadata, one dictionary each:\n           mode      always, follow-focus or ask\n           match_by  device or port\n           vendor, product  four lowercase hex digits (device rules)\n           serial    the device's serial exactly as it reports it; absent: any serial (device rules)\n           port      the port path, e.g. 1-1.2 (port rules) -->\n    <property name=\"UsbRules\" type=\"aa{ss}\" access=\"read\"/>\n    <!-- The seat the guest is assigned to (seat0, seat1…), or empty. Kept in its metadata. -->\n    <property name=\"Seat\" type=\"s\" access=\"read\"/>\n    <!-- The display a viewer shows: spice or vnc (libvirt's <graphics> type);\n         '' when the guest has none and shows on a screen of its own (a\n         passed-through GPU drives a monitor): then Show starts it and answers NoDisplay. -->\n    <property name=\"Display\" type=\"s\" access=\"read\"/>\n    <!-- Share of the guest's vCPUs it used over the last second, 0 to 100\n         (100: every vCPU busy), from libvirt's cpu.time; -1 when unknown: no\n         client watches (Manager.WatchStats), the guest is not running, or its\n         first sample is still to come. -->\n    <property name=\"CpuPercent\" type=\"d\" access=\"read\"/>\n    <!-- Memory the guest uses, in MiB, as its OS counts it: its total less what\n         it could still give programs (Linux's MemTotal - MemAvailable; page\n         cache not counted), from its balloon driver's statistics (an older\n         driver: total - free - caches); from a guest that reports none, what\n         its QEMU process holds on the host (RSS); 0 when unknown (as CpuPercent). -->\n    <property name=\"MemoryUsedMiB\" type=\"t\" access=\"read\"/>\n    <method name=\"Start\"/>\n    <!-- Asks the guest to shut down and waits up to timeout_seconds (1..3600).\n         Returns whether it went down in time; never forces it off. -->\n    <method name=\"Shutdown\">\n      <arg name=\"timeout_seconds\" type=\"u\" direction=\"in\"/>\n      <arg name=\"stopped\" type=\"b\" direction=\"out\"/>\n    </method>\n    <method name=\"ForceOff\"/>\n    <method name=\"Reboot\"/>\n    <method name=\"Pause\"/>\n    <method name=\"Resume\"/>\n    <!-- Assigns the guest to a monitor by connector name ('' to unassign):\n         its first head's, the others keeping theirs. -->\n    <method name=\"SetMonitor\">\n      <arg name=\"connector\" type=\"s\" direction=\"in\"/>\n    </method>\n    <!-- Assigns each head a monitor, head 1 first ('' for none): at most 4,\n         each a connector name, no monitor for two heads (InvalidArgument).\n         Heads the list leaves out have none. -->\n    <method name=\"SetMonitors\">\n      <arg name=\"connectors\" type=\"as\" direction=\"in\"/>\n    </method>\n    <!-- What the guest's display may be set to here: video-model (s,\n         libvirt's model type, '' for none), max-heads (u), max-width and\n         max-height (u, 0 when the model takes no resolution), max-pixels (t:\n         of every head together, what its video memory holds), accel3d (s: ''\n         when this host can give this guest 3D, else a sentence saying why\n         not — no GPU render node, no OpenGL in QEMU, a video model other\n         than virtio, no display). Reading is free. -->\n    <method name=\"DescribeDisplay\">\n      <arg name=\"display\" type=\"a{sv}\" direction=\"out\"/>\n    </method>\n    <!-- Changes the guest's display in its libvirt definition, from its next\n         start on (a running guest keeps what it started with: RunningDisplay\n         says so meanwhile). Settings, any of: heads (u, 1 to 4), resolution\n         ((uu) width and height, each head that size; or s 'window': follow\n         the viewer's window), accel3d (b). Checked together against the\n         guest's video model before anything changes: InvalidArgument for 0\n         or more than 4 heads, more heads than the model takes (only virtio\n         and qxl take several) or than its display shows (VNC shows one), a\n         resolution under 640×480 (0×0 too) or over 8192×8192, one on a model\n         that takes none (only virtio, qxl, vga and bochs do), or more pixels\n         than its video memory holds (vga's and bochs' is raised as needed, to\n         256 MiB), an unknown setting or a wrong type; 3D where the guest's\n         model is not virtio (InvalidArgument) or where this host lacks a GPU\n         render node or QEMU's OpenGL (MissingHostFeature); InvalidState for a\n         transient guest (it has no definition for a next start). -->\n    <method name=\"SetDisplay\">\n      <arg name=\"settings\" type=\"a{sv}\" direction=\"in\"/>\n    </method>\n    <!-- Starts the guest if needed (resumes or wakes it), waits until it runs\n         (a guest shutting down is shown as it is), and opens its viewer unless\n         one is open; answers once the viewer shows the guest, or\n         ViewerFailed with the viewer's reason, or NoDisplay. -->\n    <method name=\"Show\"/>\n    <!-- Exports the guest (shut off) to a bundle, the directory\n         <directory>/<name>.phyllome: its definition with our metadata, every\n         disk image (sparse), its UEFI variables and TPM state, and\n         manifest.json with a checksum per file and libvirt's autostart\n         flag. Written under a hidden\n         temporary name and renamed only when complete and on disk. Returns\n         the job at once. Refused at once: the guest not shut off\n         (InvalidState), a directory that does not exist (NoSuchFile), that is\n         not an absolute path to a directory or is on a file system that holds\n         no files, such as /proc (InvalidArgument), that the caller may not\n         write (AccessDenied), a bundle of that name already there\n         (AlreadyExists), too little space there or a disk that cannot travel\n         (a block device, a network disk: InvalidState). The bundle is written\n         with the caller's rights only (by a process run as the caller), and is\n         the caller's. A qcow2 overlay goes flattened: one image with its\n         whole backing chain, marked \"flattened\" in the manifest. -->\n    <method name=\"Export\">\n      <arg name=\"directory\" type=\"s\" direction=\"in\"/>\n      <arg name=\"job\" type=\"o\" direction=\"out\"/>\n    </method>\n    <!-- Copies the guest (shut off) on this host as a new guest named `name`:\n         new UUID, VM generation id and MAC addresses, no SMBIOS serial numbers\n         of the source's, disks copied sparse into new volumes of their pool\n         (the 'default' pool for a disk in none; CD and floppy media shared),\n         UEFI variables and TPM state copied to the new guest's places (a UEFI\n         guest never started gets a store of its own at its first start, never\n         the source's), display ports left to libvirt, no seat, no autostart.\n         The job's Result is the new guest. Its volumes and UEFI variables are\n         named from its UUID, as CreateGuest's (<uuid>-<device>.<format>,\n         <uuid>_VARS.fd). Refused at once: the guest not shut off or a disk\n         that is an overlay on another image, which the clone would share\n         (InvalidState), a name outside CreateGuest's rule for a new guest's\n         name (InvalidArgument) or taken (AlreadyExists). -->\n    <method name=\"Clone\">\n      <arg name=\"name\" type=\"s\" direction=\"in\"/>\n      <arg name=\"job\" type=\"o\" direction=\"out\"/>\n    </method>\n    <!-- Moves the running guest to the libvirt at `uri` (qemu+ssh://host/system,\n         qemu+tcp://…, qemu+unix:///system?socket=…) by libvirt's own live\n         migration: peer to peer, persistent on the target, undefined here once\n         it runs there, its disks copied unless on shared storage. Options:\n         migrate_uri (s), listen_address (s), disks_uri (s) as libvirt's\n         migration parameters; bandwidth (t, MiB/s); shared_storage (b, default\n         false). Refused at once: the guest not running or paused\n         (InvalidState), a URI that is not another QEMU libvirt or an unknown\n         option (InvalidArgument). libvirt's own refusals end the job with\n         libvirt's message; Cancel aborts libvirt's job and the guest runs on here. -->\n    <method name=\"MigrateTo\">\n      <arg name=\"uri\" type=\"s\" direction=\"in\"/>\n      <arg name=\"options\" type=\"a{sv}\" direction=\"in\"/>\n      <arg name=\"job\" type=\"o\" direction=\"out\"/>\n    </method>\n    <!-- For a viewer in the caller's own session, without libvirt rights (the\n         host-wide service, Scope 'host'): starts the guest if needed like Show,\n         and returns the URI of a display socket that only the caller's user\n         can open, e.g. spice+unix:///run/phyllome-switcher/display/1000/<uuid>.sock\n         (for remote-viewer URI). The socket and its folders are the\n         service's, nobody else may write in them, and the caller's user is\n         given passing and connecting by POSIX ACLs; a connection of any other\n         uid is sent away. Each connection to it is the guest's display,\n         handed over by libvirt (OpenGraphicsFD). The socket goes when the\n         guest stops, changes seat or is removed. NoDisplay for a guest with no\n         display, InvalidState for a VNC display (remote-viewer opens SPICE\n         sockets only) or on the per-user service (it shows guests with Show). -->\n    <method name=\"OpenDisplay\">\n      <arg name=\"uri\" type=\"s\" direction=\"out\"/>\n    </method>\n\n    <!-- Sharing with another computer. A share is a TLS listener of its own\n         on an address and port the administrator allowed (the service's\n         --share-listen and --share-ports; none until then), in front of the\n         guest's SPICE display as libvirt hands it over: a standard SPICE\n         client (remote-viewer) on another computer sees and uses the guest\n         at its own resolution with the password and certificate Share\n         returns. It closes with Unshare, when its time is up, after five\n         wrong passwords (each one judged later than the last: 0.5 s, 1 s,\n         2 s, 4 s), and when the guest stops, changes seat or goes. A wrong,\n         an expired and an unreadable password get the same refusal, SPICE's\n         own permission denied. At most 2 shares per user and 8 in all. The\n         guest's display goes to whichever client connected last (SPICE's\n         own rule): a viewer on this host closes while the other computer\n         shows the guest. -->\n    <!-- Whether the guest is shared now; nothing about its credential. -->\n    <property name=\"Shared\" type=\"b\" access=\"read\"/>\n    <!-- When its share ends, in seconds since the epoch (UTC); 0 when not shared. -->\n    <property name=\"SharedUntil\" type=\"t\" access=\"read\"/>\n    <!-- Shares the running (or paused) guest. Options: address (s: one of the\n         addresses allowed; the first by default), port (u: one of the ports\n         allowed; 0 or absent, the first free one), duration (u: seconds, 1 to\n         604800; an hour by default). Returns, to this caller only and never\n         again: address (s), port (u), password (s: made for this share, 16\n         characters in groups of four), expires (t: seconds since the epoch),\n         uri (s: spice://ADDRESS?tls-port=PORT), fingerprint (s: SHA-256 of\n         the host's certificate, AB:CD:…, for the other person to check),\n         certificate (s: the host's certificate, PEM, to trust as the\n         authority), host-subject (s: its subject, e.g. CN=host), and\n         connection-file (s: all of it as a virt-viewer file, for\n         remote-viewer FILE.vv on the other computer). Checked in this\n         order: MissingHostFeature (sharing not allowed on this host, or\n         openssl missing for the certificate), InvalidArgument (an option\n         outside what is allowed), NoDisplay (no display), InvalidState (a\n         VNC display, the guest not running, or already shared), then the\n         caller as for any change of the guest (AccessDenied), then Busy\n         (too many shares, or no port free), ViewerFailed (the share could\n         not be set up). -->\n    <method name=\"Share\">\n      <arg name=\"options\" type=\"a{sv}\" direction=\"in\"/>\n      <arg name=\"share\" type=\"a{sv}\" direction=\"out\"/>\n    </method>\n    <!-- Ends the guest's share at once, its connections with it; nothing when\n         it has none. Checked as any change of the guest (AccessDenied). -->\n    <method name=\"Unshare\"/>\n  </interface>\n\n  <!-- A host USB device, at /me/phyllo/Switcher1/usb/<port with - and . as _>.\n       Its methods act on the device's seat (udev's ID_SEAT, seat0 when\n       untagged) and on the seat of the guest they name or take it from. -->\n  <interface name=\"me.phyllo.Switcher1.UsbDevice\">\n    <!-- Four lowercase hex digits each. -->\n    <property name=\"Vendor\" type=\"s\" access=\"read\"/>\n    <property name=\"Product\" type=\"s\" access=\"read\"/>\n    <!-- Manufacturer and product as the device names itself. -->\n    <property name=\"Name\" type=\"s\" access=\"read\"/>\n    <property name=\"Serial\" type=\"s\" access=\"read\"/>\n    <!-- The port path, e.g. 1-1.2: bus 1, port 1, then port 2 of the hub there. -->\n    <property name=\"Port\" type=\"s\" access=\"read\"/>\n    <!-- keyboard, mouse, hid, storage, audio, video, printer, smartcard, wireless, hub, other. -->\n    <property name=\"Classes\" type=\"as\" access=\"read\"/>\n    <!-- '' when the host has it, else the object path of the guest that has it. -->\n    <property name=\"Owner\" type=\"s\" access=\"read\"/>\n    <!-- Gives the device to a running guest (hot-plug), refusing to take the\n         host's last keyboard or pointer. -->\n    <method name=\"Attach\">\n      <arg name=\"guest\" type=\"o\" direction=\"in\"/>\n    </method>\n    <!-- Attach, even the host's last keyboard or pointer. -->\n    <method name=\"ForceAttach\">\n      <arg name=\"guest\" type=\"o\" direction=\"in\"/>\n    </method>\n    <!-- Gives the device back to the host. -->\n    <method name=\"Detach\"/>\n    <!-- Gives (true) or takes back (false) this keyboard or mouse to a guest as\n         evdev input, from the guest's next start on: on one seat with several\n         monitors, each guest gets its own keyboard and mouse this way. -->\n    <method name=\"PassInput\">\n      <arg name=\"guest\" type=\"o\" direction=\"in\"/>\n      <arg name=\"enable\" type=\"b\" direction=\"in\"/>\n    </method>\n    <!-- Sets the rule a guest has for this device: mode always, follow-focus or\n         ask, or '' to remove it; match_by 'device' (vendor, product and serial)\n         or 'port' (whatever is plugged into this port). -->\n    <method name=\"SetRule\">\n      <arg name=\"guest\" type=\"o\" direction=\"in\"/>\n      <arg name=\"mode\" type=\"s\" direction=\"in\"/>\n      <arg name=\"match_by\" type=\"s\" direction=\"in\"/>\n    </method>\n  </interface>\n\n  <!-- A seat of systemd-logind (a set of screens, keyboards and mice for one\n       person), at /me/phyllo/Switcher1/seat/<id with - as _>. -->\n  <interface name=\"me.phyllo.Switcher1.Seat\">\n    <property name=\"Id\" type=\"s\" access=\"read\"/>\n    <!-- The guest assigned to this seat, or '/'. -->\n    <property name=\"Guest\" type=\"o\" access=\"read\"/>\n    <!-- Host USB devices on this seat (udev's ID_SEAT; seat0 when untagged). -->\n    <property name=\"Devices\" type=\"ao\" access=\"read\"/>\n    <!-- logind's sessions on this seat. -->\n    <property name=\"Sessions\" type=\"ao\" access=\"read\"/>\n    <!-- Assigns a guest to this seat ('/' to clear); one guest per seat. It\n         acts on this seat and on the seat the guest is on now. -->\n    <method name=\"AssignGuest\">\n      <arg name=\"guest\" type=\"o\" direction=\"in\"/>\n    </method>\n    <!-- Moves a host USB device to this seat, through logind. It acts on this\n         seat and on the device's seat now. -->\n    <method name=\"AttachDevice\">\n      <arg name=\"device\" type=\"o\" direction=\"in\"/>\n    </method>\n    <!-- Gives (true) or takes back (false) the seat's keyboards and mice to its\n         guest as evdev input, so input reaches the guest without the host's\n         compositor; Left Ctrl + Right Ctrl toggles the grab. It goes into the\n         guest's definition and takes effect when the guest next starts\n         (libvirt cannot hot-plug evdev input). -->\n    <method name=\"PassInput\">\n      <arg name=\"enable\" type=\"b\" direction=\"in\"/>\n    </method>\n  </interface>\n\n  <!-- A long operation (Export, Import, Clone, MigrateTo), the shape udisks2\n       gives its jobs, at /me/phyllo/Switcher1/job/N (N from 1). It stays 60 s\n       after Completed, then goes (Manager.JobRemoved). -->\n  <interface name=\"me.phyllo.Switcher1.Job\">\n    <!-- export, import, clone or migrate. -->\n    <property name=\"Operation\" type=\"s\" access=\"read\">\n      <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"const\"/>\n    </property>\n    <!-- The guest it works on ('/' for an import until it has defined the guest). -->\n    <property name=\"Guest\" type=\"o\" access=\"read\"/>\n    <!-- 0..1, announced once per percent at most, and at most 4 times a second; 1 once it succeeded. -->\n    <property name=\"Progress\" type=\"d\" access=\"read\"/>\n    <!-- Bytes of data moved and to move (allocated data: holes do not count;\n         for MigrateTo, libvirt's data_processed and data_total). -->\n    <property name=\"BytesDone\" type=\"t\" access=\"read\"/>\n    <property name=\"BytesTotal\" type=\"t\" access=\"read\"/>\n    <!-- running, succeeded, failed or cancelled. -->\n    <property name=\"State\" type=\"s\" access=\"read\"/>\n    <!-- Once it succeeded: the bundle's name in the folder Export was given\n         (export), the new guest's object path (import, clone), '' (migrate);\n         '' before. Anybody may read it, so it names nothing the caller named:\n         the folder and the host are in Completed, which the caller alone gets. -->\n    <property name=\"Result\" type=\"s\" access=\"read\"/>\n    <!-- The uid of the user who started the job (udisks2's StartedByUID), as\n         the bus told it. -->\n    <property name=\"StartedByUid\" type=\"u\" access=\"read\">\n      <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"const\"/>\n    </property>\n    <!-- The seat that user sat at when they started it ('' for none, or where\n         seats are not told apart). -->\n    <property name=\"StartedFromSeat\" type=\"s\" access=\"read\">\n      <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"const\"/>\n    </property>\n    <!-- Stops the job and undoes its work: no bundle, no clone, no imported\n         guest, the moving guest still running here. Only the user who started\n         it may, or whom polkit allows\n         me.phyllo.switcher.cancel-job-other-user (an administrator), asked\n         with user interaction allowed when the call carries\n         ALLOW_INTERACTIVE_AUTHORIZATION; otherwise AccessDenied and the job\n         goes on. The job's guest and its seat do not enter into it.\n         InvalidState once it has finished. -->\n    <method name=\"Cancel\"/>\n    <!-- Once, when it ends: whether it succeeded, and a sentence saying what\n         happened (or why not), which may name the caller's folders and hosts.\n         Sent to the connection that started the job alone (a unicast signal,\n         as xdg-desktop-portal sends a Request's Response); anybody else sees\n         the end in State. -->\n    <signal name=\"Completed\">\n      <arg name=\"success\" type=\"b\"/>\n      <arg name=\"message\" type=\"s\"/>\n    </signal>\n  </interface>\n</node>\n";
