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
const OPEN_TIMEOUT_MS = 10_000;
const SPLICE =
  Gio.IOStreamSpliceFlags.CLOSE_STREAM1 | Gio.IOStreamSpliceFlags.CLOSE_STREAM2 | Gio.IOStreamSpliceFlags.WAIT_FOR_BOTH;

interface Listener {
  service: Gio.SocketService;
  uid: number;
  domain: string;
  /** Cancelled on close: ends the splices of its connections. */
  cancellable: Gio.Cancellable;
}

const listeners = new Map<string, Listener>();
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
          resolve(Gio.Socket.new_from_fd(fds.get(index)).connection_factory_create_connection());
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
  try {
    const display = await openDisplay(listener.domain, listener.cancellable);
    say({ ev: 'connected', path, pid, uid });
    viewer.splice_async(display, SPLICE, GLib.PRIORITY_DEFAULT, listener.cancellable, (source, result) => {
      try {
        Gio.IOStream.splice_finish(result);
      } catch {
        // Cancelled (the socket was closed), or a side hung up: both streams are closed either way.
      }
      viewer.close(null);
      display.close(null);
    });
  } catch (error) {
    say({ ev: 'error', path, message: error instanceof Error ? error.message : String(error) });
    viewer.close(null);
  }
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
