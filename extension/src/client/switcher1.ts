// Generated from data/me.phyllo.Switcher1.xml by tools/contract-types.mjs: do not edit.
// Values as GJS's recursiveUnpack() gives them.

export const MANAGER_INTERFACE = 'me.phyllo.Switcher1.Manager';

export interface ManagerProperties {
  readonly Connection: string;
  readonly Connected: boolean;
}

export interface ManagerMethods {
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
  readonly ViewerPid: number;
  readonly UsbRules: (Record<string, string>)[];
  readonly Seat: string;
  readonly Display: string;
  readonly CpuPercent: number;
  readonly MemoryUsedMiB: number;
}

export interface GuestMethods {
  Start: { in: []; out: [] };
  Shutdown: { in: [timeout_seconds: number]; out: [stopped: boolean] };
  ForceOff: { in: []; out: [] };
  Reboot: { in: []; out: [] };
  Pause: { in: []; out: [] };
  Resume: { in: []; out: [] };
  SetMonitor: { in: [connector: string]; out: [] };
  Show: { in: []; out: [] };
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

/** Every interface of the contract, by name. */
export interface Switcher1 {
  'me.phyllo.Switcher1.Manager': { properties: ManagerProperties; methods: ManagerMethods; signals: ManagerSignals };
  'me.phyllo.Switcher1.Guest': { properties: GuestProperties; methods: GuestMethods; signals: GuestSignals };
  'me.phyllo.Switcher1.UsbDevice': { properties: UsbDeviceProperties; methods: UsbDeviceMethods; signals: UsbDeviceSignals };
  'me.phyllo.Switcher1.Seat': { properties: SeatProperties; methods: SeatMethods; signals: SeatSignals };
}

export type InterfaceName = keyof Switcher1;

/** The contract itself, for Gio.DBusNodeInfo. */
export const INTERFACE_XML = "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n\"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n<!--\n  The contract between the Phyllome Switcher service and its clients.\n  The service exports exactly this; its tests check what it exports against\n  this file, and the Shell extension builds its proxies from it.\n\n  Errors (D-Bus error names):\n    me.phyllo.Switcher1.Error.NoSuchGuest      the guest is not (or no longer) known\n    me.phyllo.Switcher1.Error.InvalidArgument  an argument is malformed or out of range\n    me.phyllo.Switcher1.Error.InvalidState     the action makes no sense in the guest's state\n    me.phyllo.Switcher1.Error.NotConnected     libvirt cannot be reached right now\n    me.phyllo.Switcher1.Error.Libvirt          libvirt refused; the message is libvirt's\n    me.phyllo.Switcher1.Error.Timeout          libvirt did not answer in time\n    me.phyllo.Switcher1.Error.ViewerFailed     the guest's viewer could not show it; the message says why\n    me.phyllo.Switcher1.Error.NoDisplay        the guest has no display for a viewer: it shows on a screen of its own\n    me.phyllo.Switcher1.Error.NoSuchDevice     the USB device is not (or no longer) plugged in\n    me.phyllo.Switcher1.Error.LastInputDevice  the host's last keyboard or pointer would leave it; ForceAttach does it anyway\n    me.phyllo.Switcher1.Error.AccessDenied     the guest or device belongs to another seat and polkit did not allow it\n    me.phyllo.Switcher1.Error.AlreadyExists    a guest (or its disk volume) of that name exists already\n    me.phyllo.Switcher1.Error.NoSuchFile       no file at the path given (or not a regular file)\n    me.phyllo.Switcher1.Error.UnreadableFile   the caller, or the service, cannot read the file; or it is no ISO 9660 image\n    me.phyllo.Switcher1.Error.UnknownOs        libosinfo knows no OS of that id\n    me.phyllo.Switcher1.Error.MissingHostFeature  the host lacks what the OS needs (the message says what to install)\n    me.phyllo.Switcher1.Error.Internal         a bug of ours; the details are in the service's log\n\n  Calls to what is not here get the standard errors every D-Bus service\n  gives: org.freedesktop.DBus.Error.UnknownObject, UnknownInterface,\n  UnknownMethod, UnknownProperty, InvalidArgs (a signature that does not\n  fit), PropertyReadOnly.\n\n  /me/phyllo/Switcher1 also implements the standard\n  org.freedesktop.DBus.ObjectManager: GetManagedObjects returns every guest,\n  USB device and seat below it with all their properties in one reply, and\n  InterfacesAdded (carrying the properties) / InterfacesRemoved announce\n  objects as they come and go, before the Manager's own *Added/*Removed.\n-->\n<node>\n  <interface name=\"me.phyllo.Switcher1.Manager\">\n    <!-- The libvirt URI this service manages, e.g. qemu:///system. -->\n    <property name=\"Connection\" type=\"s\" access=\"read\"/>\n    <!-- Whether libvirt is reachable now; what is known stays readable while false. -->\n    <property name=\"Connected\" type=\"b\" access=\"read\"/>\n    <!-- Object paths of every guest libvirt knows, sorted by guest name. -->\n    <method name=\"ListGuests\">\n      <arg name=\"guests\" type=\"ao\" direction=\"out\"/>\n    </method>\n    <!-- A guest by its libvirt name or UUID. -->\n    <method name=\"FindGuest\">\n      <arg name=\"name_or_uuid\" type=\"s\" direction=\"in\"/>\n      <arg name=\"guest\" type=\"o\" direction=\"out\"/>\n    </method>\n    <!-- Pauses every running guest and remembers which ones it paused. -->\n    <method name=\"PauseAll\">\n      <arg name=\"paused\" type=\"ao\" direction=\"out\"/>\n    </method>\n    <!-- Resumes only the guests the last PauseAll paused that are still paused. -->\n    <method name=\"ResumeAll\">\n      <arg name=\"resumed\" type=\"ao\" direction=\"out\"/>\n    </method>\n    <!-- Host USB devices (root hubs left out), sorted by port. -->\n    <method name=\"ListUsbDevices\">\n      <arg name=\"devices\" type=\"ao\" direction=\"out\"/>\n    </method>\n    <!-- The Shell tells which guest has the focus ('/' for the host), for\n         USB rules that follow the focus. -->\n    <method name=\"SetFocusedGuest\">\n      <arg name=\"guest\" type=\"o\" direction=\"in\"/>\n    </method>\n    <signal name=\"UsbDeviceAdded\">\n      <arg name=\"device\" type=\"o\"/>\n    </signal>\n    <signal name=\"UsbDeviceRemoved\">\n      <arg name=\"device\" type=\"o\"/>\n    </signal>\n    <!-- A device was plugged in that a guest's 'ask' rule matches: the Shell\n         asks the user, and calls Attach if the answer is yes. -->\n    <signal name=\"UsbAttachRequested\">\n      <arg name=\"device\" type=\"o\"/>\n      <arg name=\"guest\" type=\"o\"/>\n    </signal>\n    <!-- The seats systemd-logind knows, by id. -->\n    <method name=\"ListSeats\">\n      <arg name=\"seats\" type=\"ao\" direction=\"out\"/>\n    </method>\n    <signal name=\"SeatAdded\">\n      <arg name=\"seat\" type=\"o\"/>\n    </signal>\n    <signal name=\"SeatRemoved\">\n      <arg name=\"seat\" type=\"o\"/>\n    </signal>\n    <!-- The OS libosinfo recognises on an installer ISO and how Phyllome's model\n         would make it here. Keys: id (libosinfo id, '' when unknown), name, path,\n         family (linux, windows, other), memory-mib (t), vcpus (u), disk-gib (t) —\n         the defaults —, the same with min- (the OS's minimum) and max- (the host's;\n         max-disk-gib once the default storage pool exists), warnings (as: what\n         the host lacks, e.g. \"This host has no TPM emulator: install swtpm\"), and\n         unsupported (s) when the host cannot make this OS at all. The path is\n         read with the caller's rights. -->\n    <method name=\"DescribeInstaller\">\n      <arg name=\"path\" type=\"s\" direction=\"in\"/>\n      <arg name=\"description\" type=\"a{sv}\" direction=\"out\"/>\n    </method>\n    <!-- (id, name) of the operating systems libosinfo knows whose name, short id\n         or id contains search (case-insensitive; '' for all), by name: for\n         when DescribeInstaller does not recognise the ISO. -->\n    <method name=\"ListOperatingSystems\">\n      <arg name=\"search\" type=\"s\" direction=\"in\"/>\n      <arg name=\"systems\" type=\"a(ss)\" direction=\"out\"/>\n    </method>\n    <!-- Defines a new guest from Phyllome's model for the OS (os_id; '' = the\n         one DescribeInstaller recognises, else a generic one), off, with\n         installer_path attached as its CD and a new raw, sparse disk in the\n         default storage pool (created if absent). Options: memory-mib, vcpus,\n         disk-gib (integers; by default the OS's recommended sizes within the\n         host's), drivers-iso (s: Windows' virtio drivers, then attached as a\n         second CD and the guest gets virtio disk and network). Bad input\n         (AlreadyExists, NoSuchFile, UnreadableFile, UnknownOs, InvalidArgument\n         for sizes below the OS's minimum or above the host's,\n         MissingHostFeature) leaves nothing behind. -->\n    <method name=\"CreateGuest\">\n      <arg name=\"name\" type=\"s\" direction=\"in\"/>\n      <arg name=\"os_id\" type=\"s\" direction=\"in\"/>\n      <arg name=\"installer_path\" type=\"s\" direction=\"in\"/>\n      <arg name=\"options\" type=\"a{sv}\" direction=\"in\"/>\n      <arg name=\"guest\" type=\"o\" direction=\"out\"/>\n    </method>\n    <signal name=\"GuestAdded\">\n      <arg name=\"guest\" type=\"o\"/>\n    </signal>\n    <signal name=\"GuestRemoved\">\n      <arg name=\"guest\" type=\"o\"/>\n    </signal>\n    <!-- The caller wants live figures: while at least one client watches, the\n         service reads every running guest's statistics about once a second\n         (one libvirt call for all of them) and publishes each guest's\n         CpuPercent and MemoryUsedMiB with PropertiesChanged. A client watches\n         once however often it calls; it stops with UnwatchStats or by leaving\n         the bus. With no client watching, nothing is read. -->\n    <method name=\"WatchStats\"/>\n    <!-- The caller no longer wants live figures; nothing if it was not watching.\n         After the last watcher leaves, every guest's figures go back to unknown. -->\n    <method name=\"UnwatchStats\"/>\n    <!-- A guest stopped running, with why, from libvirt's lifecycle events:\n           shutdown   its OS shut down\n           destroyed  it was forced off\n           crashed    its OS crashed (it may be kept in the crashed state or\n                      restarted, as its on_crash setting says)\n           failed     its QEMU process ended unexpectedly: killed by the host\n                      (e.g. out of memory) or failed itself\n           saved, migrated, snapshot  saved to a file, moved to another host,\n                      or stopped to restore a snapshot\n         Sent once per stop, after the State change it comes with. -->\n    <signal name=\"GuestStopped\">\n      <arg name=\"guest\" type=\"o\"/>\n      <arg name=\"reason\" type=\"s\"/>\n    </signal>\n  </interface>\n\n  <interface name=\"me.phyllo.Switcher1.Guest\">\n    <property name=\"Name\" type=\"s\" access=\"read\"/>\n    <property name=\"Uuid\" type=\"s\" access=\"read\">\n      <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"const\"/>\n    </property>\n    <!-- running, paused, shutoff, crashed, suspended, starting or stopping. -->\n    <property name=\"State\" type=\"s\" access=\"read\"/>\n    <property name=\"Vcpus\" type=\"u\" access=\"read\"/>\n    <property name=\"MemoryMiB\" type=\"t\" access=\"read\"/>\n    <!-- Whether libvirt starts the guest when the host boots (libvirt's own\n         autostart flag). Writable: Set changes it in libvirt and the new value\n         is announced at once (libvirt sends no event for it); a transient\n         guest cannot have it (Libvirt error). -->\n    <property name=\"Autostart\" type=\"b\" access=\"readwrite\"/>\n    <!-- libosinfo id from the domain's metadata (e.g. http://microsoft.com/win/11), or empty. -->\n    <property name=\"OsId\" type=\"s\" access=\"read\"/>\n    <!-- Connector of the monitor the guest is shown on (DP-1, HDMI-A-1…);\n         empty = wherever the pointer is. Kept in the domain's own metadata. -->\n    <property name=\"Monitor\" type=\"s\" access=\"read\"/>\n    <!-- PID of the guest's viewer process (virt-viewer), 0 when none is open.\n         The Shell finds the viewer's window by it. -->\n    <property name=\"ViewerPid\" type=\"u\" access=\"read\"/>\n    <!-- USB rules kept in the guest's metadata, one dictionary each:\n           mode      always, follow-focus or ask\n           match_by  device or port\n           vendor, product  four lowercase hex digits (device rules)\n           serial    the device's serial exactly as it reports it; absent: any serial (device rules)\n           port      the port path, e.g. 1-1.2 (port rules) -->\n    <property name=\"UsbRules\" type=\"aa{ss}\" access=\"read\"/>\n    <!-- The seat the guest is assigned to (seat0, seat1…), or empty. Kept in its metadata. -->\n    <property name=\"Seat\" type=\"s\" access=\"read\"/>\n    <!-- The display a viewer shows: spice or vnc (libvirt's <graphics> type);\n         '' when the guest has none and shows on a screen of its own (a\n         passed-through GPU drives a monitor): then Show starts it and answers NoDisplay. -->\n    <property name=\"Display\" type=\"s\" access=\"read\"/>\n    <!-- Share of the guest's vCPUs it used over the last second, 0 to 100\n         (100: every vCPU busy), from libvirt's cpu.time; -1 when unknown: no\n         client watches (Manager.WatchStats), the guest is not running, or its\n         first sample is still to come. -->\n    <property name=\"CpuPercent\" type=\"d\" access=\"read\"/>\n    <!-- Memory the guest uses, in MiB: what its OS reports in use through the\n         balloon driver (available minus unused) when it reports it, else what\n         its QEMU process holds on the host (RSS); 0 when unknown (as CpuPercent). -->\n    <property name=\"MemoryUsedMiB\" type=\"t\" access=\"read\"/>\n    <method name=\"Start\"/>\n    <!-- Asks the guest to shut down and waits up to timeout_seconds (1..3600).\n         Returns whether it went down in time; never forces it off. -->\n    <method name=\"Shutdown\">\n      <arg name=\"timeout_seconds\" type=\"u\" direction=\"in\"/>\n      <arg name=\"stopped\" type=\"b\" direction=\"out\"/>\n    </method>\n    <method name=\"ForceOff\"/>\n    <method name=\"Reboot\"/>\n    <method name=\"Pause\"/>\n    <method name=\"Resume\"/>\n    <!-- Assigns the guest to a monitor by connector name ('' to unassign). -->\n    <method name=\"SetMonitor\">\n      <arg name=\"connector\" type=\"s\" direction=\"in\"/>\n    </method>\n    <!-- Starts the guest if needed (resumes or wakes it), waits until it runs\n         (a guest shutting down is shown as it is), and opens its viewer unless\n         one is open; answers once the viewer shows the guest, or\n         ViewerFailed with the viewer's reason, or NoDisplay. -->\n    <method name=\"Show\"/>\n  </interface>\n\n  <!-- A host USB device, at /me/phyllo/Switcher1/usb/<port with - and . as _>. -->\n  <interface name=\"me.phyllo.Switcher1.UsbDevice\">\n    <!-- Four lowercase hex digits each. -->\n    <property name=\"Vendor\" type=\"s\" access=\"read\"/>\n    <property name=\"Product\" type=\"s\" access=\"read\"/>\n    <!-- Manufacturer and product as the device names itself. -->\n    <property name=\"Name\" type=\"s\" access=\"read\"/>\n    <property name=\"Serial\" type=\"s\" access=\"read\"/>\n    <!-- The port path, e.g. 1-1.2: bus 1, port 1, then port 2 of the hub there. -->\n    <property name=\"Port\" type=\"s\" access=\"read\"/>\n    <!-- keyboard, mouse, hid, storage, audio, video, printer, smartcard, wireless, hub, other. -->\n    <property name=\"Classes\" type=\"as\" access=\"read\"/>\n    <!-- '' when the host has it, else the object path of the guest that has it. -->\n    <property name=\"Owner\" type=\"s\" access=\"read\"/>\n    <!-- Gives the device to a running guest (hot-plug), refusing to take the\n         host's last keyboard or pointer. -->\n    <method name=\"Attach\">\n      <arg name=\"guest\" type=\"o\" direction=\"in\"/>\n    </method>\n    <!-- Attach, even the host's last keyboard or pointer. -->\n    <method name=\"ForceAttach\">\n      <arg name=\"guest\" type=\"o\" direction=\"in\"/>\n    </method>\n    <!-- Gives the device back to the host. -->\n    <method name=\"Detach\"/>\n    <!-- Gives (true) or takes back (false) this keyboard or mouse to a guest as\n         evdev input, from the guest's next start on: on one seat with several\n         monitors, each guest gets its own keyboard and mouse this way. -->\n    <method name=\"PassInput\">\n      <arg name=\"guest\" type=\"o\" direction=\"in\"/>\n      <arg name=\"enable\" type=\"b\" direction=\"in\"/>\n    </method>\n    <!-- Sets the rule a guest has for this device: mode always, follow-focus or\n         ask, or '' to remove it; match_by 'device' (vendor, product and serial)\n         or 'port' (whatever is plugged into this port). -->\n    <method name=\"SetRule\">\n      <arg name=\"guest\" type=\"o\" direction=\"in\"/>\n      <arg name=\"mode\" type=\"s\" direction=\"in\"/>\n      <arg name=\"match_by\" type=\"s\" direction=\"in\"/>\n    </method>\n  </interface>\n\n  <!-- A seat of systemd-logind (a set of screens, keyboards and mice for one\n       person), at /me/phyllo/Switcher1/seat/<id with - as _>. -->\n  <interface name=\"me.phyllo.Switcher1.Seat\">\n    <property name=\"Id\" type=\"s\" access=\"read\"/>\n    <!-- The guest assigned to this seat, or '/'. -->\n    <property name=\"Guest\" type=\"o\" access=\"read\"/>\n    <!-- Host USB devices on this seat (udev's ID_SEAT; seat0 when untagged). -->\n    <property name=\"Devices\" type=\"ao\" access=\"read\"/>\n    <!-- logind's sessions on this seat. -->\n    <property name=\"Sessions\" type=\"ao\" access=\"read\"/>\n    <!-- Assigns a guest to this seat ('/' to clear); one guest per seat. -->\n    <method name=\"AssignGuest\">\n      <arg name=\"guest\" type=\"o\" direction=\"in\"/>\n    </method>\n    <!-- Moves a host USB device to this seat, through logind. -->\n    <method name=\"AttachDevice\">\n      <arg name=\"device\" type=\"o\" direction=\"in\"/>\n    </method>\n    <!-- Gives (true) or takes back (false) the seat's keyboards and mice to its\n         guest as evdev input, so input reaches the guest without the host's\n         compositor; Left Ctrl + Right Ctrl toggles the grab. It goes into the\n         guest's definition and takes effect when the guest next starts\n         (libvirt cannot hot-plug evdev input). -->\n    <method name=\"PassInput\">\n      <arg name=\"enable\" type=\"b\" direction=\"in\"/>\n    </method>\n  </interface>\n</node>\n";
