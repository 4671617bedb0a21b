// The display relay of the host-wide service, a gjs program of its own
// (Node cannot receive file descriptors over D-Bus; GLib can). It listens on
// the unix sockets the service asks for (relay-protocol.ts, on stdin), one
// per user and guest, each in a folder of the service's that nobody else may
// write in. The socket and its folder stay the service's: the user is given
// the right to pass the folder and connect to the socket, and nothing more,
// by POSIX ACLs the relay sets on the service's own files (no privilege
// needed, and no file a caller could have put or swapped is touched). Each
// connection a viewer makes is answered with the guest's display, as
// libvirt hands it over (org.libvirt.Domain.OpenGraphicsFD through
// libvirt-dbus, a socket QEMU already serves), and the two are spliced
// together. A peer of any other uid is sent away, whatever let it connect.
// It ends when its stdin does (the service is gone).
//
//   gjs -m display-relay.js BUS      BUS: libvirt-dbus's bus: system, session or an address

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import { accessAcl, gioEscaped, READ, SEARCH, WRITE } from '../posix-acl.js';
import { line, parseCommand, type RelayEvent } from '../relay-protocol.js';

// virDomainOpenGraphicsFlags: the service has authorized the user already.
const SKIPAUTH = 1;
const ACL_ATTRIBUTE = 'xattr-sys::system.posix_acl_access';
/** A connection's deadline, from its accept to its display (OpenGraphicsFD answered). */
const OPEN_TIMEOUT_MS = 10_000;
// Not WAIT_FOR_BOTH: when either side ends, both are closed. A viewer that hangs up mid-link would
// otherwise leave QEMU's side open for good, waiting for the rest of its link (attack finding 3).
const SPLICE = Gio.IOStreamSpliceFlags.CLOSE_STREAM1 | Gio.IOStreamSpliceFlags.CLOSE_STREAM2;
/**
 * One bus connection carries every user's OpenGraphicsFD, and the bus lets a
 * connection wait for at most 128 replies (dbus-daemon's system default):
 * each uid may have this many connections waiting for their display, below
 * that with room for several users, a viewer's channels (about six, opened at
 * once) and a share's (its own uid, at most 8 unjudged) included.
 */
const LINKING_PER_UID = 16;
/** All uids together: half the bus's 128, so no sum of users reaches its limit. */
const LINKING_IN_ALL = 64;
/** Connections of one uid at once, linked or not: each holds two of the relay's descriptors. */
const CONNECTIONS_PER_UID = 64;

interface Listener {
  service: Gio.SocketService;
  uid: number;
  domain: string;
  /** Cancelled on close: ends the splices of its connections. */
  cancellable: Gio.Cancellable;
}

const listeners = new Map<string, Listener>();

/** What each uid holds of the relay now. */
interface Held {
  linking: number;
  connections: number;
}
const held = new Map<number, Held>();
let linkingInAll = 0;

/** Takes a place for a connection of `uid`, or says why there is none (it is then closed at once, never queued). */
function admit(uid: number): Held | string {
  const mine = held.get(uid) ?? { linking: 0, connections: 0 };
  if (mine.connections >= CONNECTIONS_PER_UID) return `uid ${uid} has ${CONNECTIONS_PER_UID} display connections open`;
  if (mine.linking >= LINKING_PER_UID) return `uid ${uid} has ${LINKING_PER_UID} display connections being linked`;
  if (linkingInAll >= LINKING_IN_ALL) return `${LINKING_IN_ALL} display connections are being linked`;
  mine.linking++;
  mine.connections++;
  linkingInAll++;
  held.set(uid, mine);
  return mine;
}

function linked(mine: Held): void {
  mine.linking--;
  linkingInAll--;
}

function released(uid: number, mine: Held): void {
  mine.connections--;
  if (mine.connections === 0 && mine.linking === 0) held.delete(uid);
}
const loop = new GLib.MainLoop(null, false);

function say(event: RelayEvent): void {
  // print() writes one line to stdout and flushes it.
  print(line(event).trimEnd());
}

function libvirtBus(choice: string): Gio.DBusConnection {
  if (choice === 'system') return Gio.bus_get_sync(Gio.BusType.SYSTEM, null);
  if (choice === 'session') return Gio.bus_get_sync(Gio.BusType.SESSION, null);
  return Gio.DBusConnection.new_for_address_sync(
    choice,
    Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
    null,
    null,
  );
}

const bus = libvirtBus(ARGV[0] ?? 'system');

/** The display of `domain` from libvirt, as a connection of its own. */
function openDisplay(domain: string, cancellable: Gio.Cancellable): Promise<Gio.SocketConnection> {
  return new Promise((resolve, reject) => {
    bus.call_with_unix_fd_list(
      'org.libvirt',
      domain,
      'org.libvirt.Domain',
      'OpenGraphicsFD',
      new GLib.Variant('(uu)', [0, SKIPAUTH]),
      new GLib.VariantType('(h)'),
      Gio.DBusCallFlags.NONE,
      OPEN_TIMEOUT_MS,
      null,
      cancellable,
      (connection, result) => {
        try {
          const [reply, fds] = (connection as Gio.DBusConnection).call_with_unix_fd_list_finish(result);
          const [index] = reply.deepUnpack() as [number];
          if (!fds) throw new Error('libvirt-dbus sent no file descriptor');
          // Taken from the list, not copied (get() dups): a copy left in the list stays open until the list
          // is collected, holding QEMU's side of a connection both ends have closed.
          const taken = fds.steal_fds();
          for (const [i, fd] of taken.entries()) if (i !== index) GLib.close(fd);
          const fd = taken[index];
          if (fd === undefined) throw new Error('libvirt-dbus sent no file descriptor');
          resolve(Gio.Socket.new_from_fd(fd).connection_factory_create_connection());
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      },
    );
  });
}

async function serve(path: string, listener: Listener, viewer: Gio.SocketConnection): Promise<void> {
  let uid = -1;
  let pid = -1;
  try {
    const credentials = viewer.get_socket().get_credentials();
    uid = credentials.get_unix_user();
    pid = credentials.get_unix_pid();
  } catch {
    // No credentials: treated as a stranger below.
  }
  // Only the folder's ACL lets anyone else this far (root, past every permission): still not theirs.
  if (uid !== listener.uid) {
    say({ ev: 'refused', path, pid, uid });
    viewer.close(null);
    return;
  }
  const mine = admit(uid);
  if (typeof mine === 'string') {
    // Not said: a flood would write a line for each try.
    viewer.close(null);
    return;
  }
  let display: Gio.SocketConnection;
  try {
    display = await openDisplay(listener.domain, listener.cancellable);
  } catch (error) {
    linked(mine);
    released(uid, mine);
    say({ ev: 'error', path, message: error instanceof Error ? error.message : String(error) });
    viewer.close(null);
    return;
  }
  linked(mine);
  say({ ev: 'connected', path, pid, uid });
  viewer.splice_async(display, SPLICE, GLib.PRIORITY_DEFAULT, listener.cancellable, (_source, result) => {
    try {
      Gio.IOStream.splice_finish(result);
    } catch {
      // Cancelled (the socket was closed), or a side hung up: both streams are closed either way.
    }
    viewer.close(null);
    display.close(null);
    released(uid, mine);
  });
}

/** Gives `uid` `perms` on a file of ours, and nobody else anything (the owner keeps `owner`). */
function grant(path: string, owner: number, uid: number, perms: number): void {
  Gio.File.new_for_path(path).set_attribute_string(
    ACL_ATTRIBUTE,
    gioEscaped(accessAcl(owner, uid, perms)),
    Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS,
    null,
  );
}

function listen(path: string, uid: number, domain: string, grantUser: boolean): void {
  if (listeners.has(path)) {
    say({ ev: 'listening', path });
    return;
  }
  const service = new Gio.SocketService();
  try {
    // Bound in the service's folder, which only the service may enter until the grant below.
    service.add_address(Gio.UnixSocketAddress.new(path), Gio.SocketType.STREAM, Gio.SocketProtocol.DEFAULT, null);
    // Connecting takes write permission on the socket; reaching it, search permission on its folder.
    // Without a grant the socket is the service's own (a share's local side): only its uid gets through.
    if (grantUser) {
      grant(path, READ | WRITE, uid, READ | WRITE);
      grant(GLib.path_get_dirname(path), READ | WRITE | SEARCH, uid, SEARCH);
    }
  } catch (error) {
    service.close();
    try {
      Gio.File.new_for_path(path).delete(null);
    } catch {
      // Never bound.
    }
    say({ ev: 'failed', path, message: error instanceof Error ? error.message : String(error) });
    return;
  }
  const listener: Listener = { service, uid, domain, cancellable: new Gio.Cancellable() };
  service.connect('incoming', (_service: Gio.SocketService, connection: Gio.SocketConnection) => {
    void serve(path, listener, connection);
    return true;
  });
  service.start();
  listeners.set(path, listener);
  say({ ev: 'listening', path });
}

function close(path: string): void {
  const listener = listeners.get(path);
  if (!listener) return;
  listeners.delete(path);
  listener.service.stop();
  listener.service.close();
  listener.cancellable.cancel();
}

/** Reads commands from stdin as they come; its end (the service is gone) ends the relay. */
function readCommands(): void {
  const input = GLib.IOChannel.unix_new(0);
  GLib.io_add_watch(input, GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP, () => {
    let status: GLib.IOStatus;
    let text = '';
    try {
      [status, text] = input.read_line();
    } catch {
      status = GLib.IOStatus.ERROR;
    }
    if (status === GLib.IOStatus.NORMAL) {
      const command = parseCommand(text);
      if (command?.op === 'listen') listen(command.path, command.uid, command.domain, command.grant);
      else if (command?.op === 'close') close(command.path);
      return true;
    }
    if (status === GLib.IOStatus.AGAIN) return true;
    for (const path of [...listeners.keys()]) close(path);
    loop.quit();
    return false;
  });
}

readCommands();
loop.run();
