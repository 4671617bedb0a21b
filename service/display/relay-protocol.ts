// What the service and its display relay (gjs/display-relay.ts, a gjs
// process of its own) say to each other: one JSON object per line, commands
// on the relay's stdin, events on its stdout. Pure; used by both sides.

/** Service → relay. */
export type RelayCommand =
  /**
   * Listen on `path`, in a folder of the service's only it may enter or write
   * in, and, with `grant`, give `uid` alone the use of both (ACLs); each
   * connection of `uid` gets the display of libvirt-dbus's `domain`. Without
   * `grant`, `uid` is the service's own and nobody else is let near it (a
   * share's local side).
   */
  | { op: 'listen'; path: string; domain: string; uid: number; grant: boolean }
  /** Stop listening on `path` and end its connections. */
  | { op: 'close'; path: string };

/** Relay → service. */
export type RelayEvent =
  | { ev: 'listening'; path: string }
  /** Listening on `path` failed. */
  | { ev: 'failed'; path: string; message: string }
  /** A viewer of `uid` connected and got the display. */
  | { ev: 'connected'; path: string; pid: number; uid: number }
  /** A process of another user connected (only root could, past the folder's ACL): sent away. */
  | { ev: 'refused'; path: string; pid: number; uid: number }
  /** A connection got no display (libvirt refused OpenGraphicsFD, or the guest went). */
  | { ev: 'error'; path: string; message: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isId = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

function parse(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A command line as the relay reads it; undefined for anything malformed. */
export function parseCommand(line: string): RelayCommand | undefined {
  const value = parse(line);
  if (!value || !isText(value.path)) return undefined;
  if (value.op === 'close') return { op: 'close', path: value.path };
  if (value.op === 'listen' && isText(value.domain) && isId(value.uid) && typeof value.grant === 'boolean') {
    return { op: 'listen', path: value.path, domain: value.domain, uid: value.uid, grant: value.grant };
  }
  return undefined;
}

/** An event line as the service reads it; undefined for anything malformed. */
export function parseEvent(line: string): RelayEvent | undefined {
  const value = parse(line);
  if (!value || !isText(value.path)) return undefined;
  const path = value.path;
  switch (value.ev) {
    case 'listening':
      return { ev: 'listening', path };
    case 'failed':
    case 'error':
      return { ev: value.ev, path, message: String(value.message ?? '') };
    case 'connected':
    case 'refused':
      return isId(value.pid) && isId(value.uid) ? { ev: value.ev, path, pid: value.pid, uid: value.uid } : undefined;
    default:
      return undefined;
  }
}

/** A line of the protocol. */
export const line = (message: RelayCommand | RelayEvent): string => `${JSON.stringify(message)}\n`;
