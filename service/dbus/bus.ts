// Opening a bus connection and the few things dbus-next leaves out: a
// deadline on every call, notice of the connection closing, and a bound on
// the size of what callers send (inbound-limit.ts). This is the only module
// that touches dbus-next internals.

import type { Readable } from 'node:stream';
import { DBusError, Message, MessageBus, MessageType, Variant, sessionBus, systemBus } from '@jellybrick/dbus-next';
import { BUS_DAEMON, limitInbound, type CallCheck, type InboundLimits, type RefusedMessage } from './inbound-limit.js';

export { BUS_DAEMON, DBusError, Message, MessageBus, Variant };

/** 'session', 'system' or a D-Bus address such as unix:path=/run/x. */
export type BusChoice = string;

export class CallTimeoutError extends Error {
  constructor(
    readonly destination: string,
    readonly member: string,
    readonly timeoutMs: number,
  ) {
    super(`${destination} did not answer ${member} within ${timeoutMs} ms`);
    this.name = 'CallTimeoutError';
  }
}

interface BusInternals {
  _methodReturnHandlers: Record<number, unknown>;
  _connection: NodeJS.EventEmitter & { stream?: Readable };
}

/** Method calls and signals larger than this are refused unread (the bus itself takes up to 32 MB). */
export const MAX_INBOUND_BYTES = 64 * 1024;

/**
 * A connection to the bus. What callers send it is judged before it is
 * decoded (inbound-limit.ts): method calls of more than `maxInbound` bytes,
 * that `check` refuses or that their sender's `budget` cannot pay for, and
 * signals a client sends to us alone are skipped unread; a caller waiting
 * for an answer gets the error, and each is told to `onRefused`.
 */
export function openBus(
  choice: BusChoice,
  { maxInbound = MAX_INBOUND_BYTES, check, budget, onRefused = () => undefined }: InboundOptions = {},
): MessageBus {
  const bus =
    choice === 'session' ? sessionBus() : choice === 'system' ? systemBus() : sessionBus({ busAddress: choice });
  const connection = (bus as unknown as BusInternals)._connection;
  // Authenticated, and the reader not yet started: dbus-next starts it right after this event.
  connection.once('connect', () => {
    if (!connection.stream) return;
    limitInbound(connection.stream, { maxBytes: maxInbound, check, budget }, (refused) => {
      if (refused.wantsReply && refused.sender) {
        const error = new Message({
          type: MessageType.ERROR,
          errorName: refused.error.name,
          replySerial: refused.serial,
          destination: refused.sender,
          signature: 's',
          body: [refused.error.text],
        });
        sendQuietly(bus, error);
      }
      onRefused(refused);
    });
  });
  return bus;
}

export interface InboundOptions {
  maxInbound?: number;
  check?: CallCheck;
  budget?: InboundLimits['budget'];
  onRefused?: (refused: RefusedMessage) => void;
}

/** Resolves once the bus has said Hello, rejects on a connection error. */
export function whenConnected(bus: MessageBus, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (bus.name) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no answer from the bus within ${timeoutMs} ms`));
    }, timeoutMs);
    const onConnect = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: unknown): void => {
      cleanup();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const emitter = bus as unknown as NodeJS.EventEmitter;
    const cleanup = (): void => {
      clearTimeout(timer);
      emitter.off('connect', onConnect);
      emitter.off('error', onError);
    };
    emitter.on('connect', onConnect);
    emitter.on('error', onError);
  });
}

/** dbus-next emits 'error' (undeclared in its types) for connection failures. */
export function onBusError(bus: MessageBus, fn: (error: unknown) => void): void {
  (bus as unknown as NodeJS.EventEmitter).on('error', fn);
}

/**
 * Calls fn once when the connection to the bus ends: the bus hung up (end),
 * or the socket closed on an error first (a write to a bus that stopped
 * cleanly fails with EPIPE, and then no end comes).
 */
export function onBusClosed(bus: MessageBus, fn: () => void): void {
  const connection = (bus as unknown as BusInternals)._connection;
  let told = false;
  const once = (): void => {
    if (told) return;
    told = true;
    fn();
  };
  connection.once('end', once);
  connection.stream?.once('close', once);
}

/**
 * Sends a method call and waits at most timeoutMs for its reply. dbus-next
 * has no deadline of its own, so on time-out the pending reply handler is
 * dropped too (a late reply is then ignored, nothing leaks).
 */
export async function callWithDeadline(bus: MessageBus, message: Message, timeoutMs: number): Promise<Message> {
  let timer: NodeJS.Timeout | undefined;
  const pending = bus.call(message);
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const serial = message.serial;
      if (serial !== null) Reflect.deleteProperty((bus as unknown as BusInternals)._methodReturnHandlers, serial);
      reject(new CallTimeoutError(message.destination, message.member, timeoutMs));
    }, timeoutMs);
  });
  try {
    const reply = await Promise.race([pending, deadline]);
    if (reply === null) throw new Error(`no reply to ${message.member}`);
    return reply;
  } finally {
    clearTimeout(timer);
  }
}

/** The bus daemon's own path (its name, BUS_DAEMON, is the sender it puts on its signals). */
export const BUS_DAEMON_PATH = '/org/freedesktop/DBus';

/**
 * Whether `message` is the bus daemon's signal `member`. Path, interface and
 * member are not enough: any client may send any signal to our unique name,
 * with the daemon's path and interface; only the sender, which the daemon
 * writes itself, tells the daemon's own from a forgery.
 */
export function isBusDaemonSignal(message: Message, member: string): boolean {
  return (
    message.type === MessageType.SIGNAL &&
    message.sender === BUS_DAEMON &&
    message.path === BUS_DAEMON_PATH &&
    message.interface === BUS_DAEMON &&
    message.member === member
  );
}

/** Calls a method of the bus daemon itself (AddMatch, GetNameOwner…), with a deadline. */
export function callBusDaemon(
  bus: MessageBus,
  member: string,
  signature: string,
  body: unknown[],
  timeoutMs: number,
): Promise<Message> {
  const message = new Message({
    destination: BUS_DAEMON,
    path: BUS_DAEMON_PATH,
    interface: BUS_DAEMON,
    member,
    signature,
    body,
  });
  return callWithDeadline(bus, message, timeoutMs);
}

/** Sends without waiting; a closed connection is reported, not thrown. */
export function sendQuietly(bus: MessageBus, message: Message): boolean {
  try {
    bus.send(message);
    return true;
  } catch {
    return false;
  }
}

/** What the bus daemon vouches for about a connection: its uid, PID, and its groups where the daemon tells them. */
export interface BusCredentials {
  uid: number;
  pid: number;
  gids: number[] | undefined;
}

/** GetConnectionCredentials of `sender`, with a deadline; throws when the bus does not tell a uid and PID. */
export async function connectionCredentials(
  bus: MessageBus,
  sender: string,
  timeoutMs: number,
): Promise<BusCredentials> {
  const reply = await callBusDaemon(bus, 'GetConnectionCredentials', 's', [sender], timeoutMs);
  const [credentials] = reply.body as [Record<string, { value?: unknown }>];
  const uid = credentials.UnixUserID?.value;
  const pid = credentials.ProcessID?.value;
  if (typeof uid !== 'number' || typeof pid !== 'number') throw new Error(`the bus did not tell who ${sender} is`);
  const gids = credentials.UnixGroupIDs?.value;
  return { uid, pid, gids: Array.isArray(gids) ? gids.map(Number) : undefined };
}
