// Replies whose body is marshalled once and sent many times. dbus-next
// marshals every reply from JS values; for ListGuests with a thousand paths
// that alone costs more than a millisecond, so its body is kept ready-made
// and only a small header is built per call.

import type { Message, MessageBus } from '@jellybrick/dbus-next';
import { align, encodeMessage } from './wire-writer.js';

/** A reply body already in D-Bus wire format (little endian, starting 8-aligned). */
export class EncodedBody {
  constructor(
    readonly signature: string,
    readonly bytes: Buffer,
  ) {}
}

/** Marshals an 'ao' (or 'as') body. */
export function encodeStringArray(signature: 'ao' | 'as', values: readonly string[]): EncodedBody {
  const encoded = values.map((v) => Buffer.from(v, 'utf8'));
  let length = 0;
  for (const e of encoded) length = align(length, 4) + 4 + e.length + 1;
  const bytes = Buffer.alloc(4 + length);
  bytes.writeUInt32LE(length, 0);
  let offset = 4;
  for (const e of encoded) {
    offset = align(offset, 4);
    bytes.writeUInt32LE(e.length, offset);
    e.copy(bytes, offset + 4);
    offset += 4 + e.length + 1; // NUL already zero
  }
  return new EncodedBody(signature, bytes);
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
