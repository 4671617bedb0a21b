// Replies whose body is marshalled ahead and sent many times. dbus-next
// marshals every reply from JS values; for ListGuests or GetManagedObjects
// with a thousand objects that alone costs milliseconds, so their bodies
// are kept ready-made (per object, for GetManagedObjects) and only a small
// header is built per call.

import type { Message, MessageBus } from '@jellybrick/dbus-next';
import { encodeMessage, marshal, WireWriter } from './wire-writer.js';

/** A reply body already in D-Bus wire format (little endian, starting 8-aligned). */
export class EncodedBody {
  constructor(
    readonly signature: string,
    readonly bytes: Buffer,
  ) {}
}

/** Marshals a body of one value of `signature`, at a fraction of what dbus-next's marshalling costs. */
export function encodeBody(signature: string, value: unknown): EncodedBody {
  return new EncodedBody(signature, marshal(signature, [value]));
}

/** Marshals an 'ao' (or 'as') body. */
export function encodeStringArray(signature: 'ao' | 'as', values: readonly string[]): EncodedBody {
  return encodeBody(signature, values);
}

/**
 * One object's entry of GetManagedObjects' a{oa{sa{sv}}}: the dict entry
 * (o, a{sa{sv}}) marshalled on its own from offset 0, which is where every
 * dict entry starts modulo 8, so that entries can be concatenated as they are.
 */
export function encodeManagedObject(path: string, interfaces: Record<string, Record<string, unknown>>): Buffer {
  const writer = new WireWriter(512);
  writer.value('o', path);
  writer.value('a{sa{sv}}', interfaces);
  return writer.toBuffer();
}

/** GetManagedObjects' reply from entries made by encodeManagedObject. */
export function encodeManagedObjects(entries: Iterable<Buffer>): EncodedBody {
  const writer = new WireWriter(4096);
  writer.u32(0);
  writer.pad(8);
  const start = writer.length;
  for (const entry of entries) {
    writer.pad(8);
    writer.bytes(entry);
  }
  writer.patchU32(0, writer.length - start);
  return new EncodedBody('a{oa{sa{sv}}}', writer.toBuffer());
}

interface StreamLike {
  writable: boolean;
  supportsUnixFd?: boolean;
  write(chunk: unknown): boolean;
}

/** Sends a METHOD_RETURN to `call` carrying a ready-made body. Throws if the connection is closed. */
export function sendEncodedReply(bus: MessageBus, call: Message, body: EncodedBody): void {
  const stream = (bus as unknown as { _connection: { stream?: StreamLike } })._connection.stream;
  const callSerial = call.serial;
  if (!stream?.writable || callSerial === null) throw new Error('Cannot send message, stream is closed');
  const data = encodeMessage(2, bus.newSerial(), body.bytes, (w) => {
    w.field(5, 'u', () => w.u32(callSerial)); // REPLY_SERIAL
    if (call.sender) w.field(6, 's', () => w.string(call.sender)); // DESTINATION
    w.field(8, 'g', () => w.signature(body.signature)); // SIGNATURE
  });
  stream.write(stream.supportsUnixFd ? { data, fds: [] } : data);
}
