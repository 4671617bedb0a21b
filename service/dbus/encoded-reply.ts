// Replies whose body is marshalled once and sent many times. dbus-next
// marshals every reply from JS values; for ListGuests with a thousand paths
// that alone costs more than a millisecond, so its body is kept ready-made
// and only a small header is built per call.

import type { Message, MessageBus } from '@jellybrick/dbus-next';

const align = (n: number, a: number): number => (n + a - 1) & ~(a - 1);

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

class HeaderWriter {
  private readonly bytes: number[] = [];
  get length(): number {
    return this.bytes.length;
  }
  pad(a: number): void {
    while (this.bytes.length % a !== 0) this.bytes.push(0);
  }
  byte(v: number): void {
    this.bytes.push(v & 0xff);
  }
  u32(v: number): void {
    this.pad(4);
    this.bytes.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u32(b.length);
    for (const x of b) this.bytes.push(x);
    this.bytes.push(0);
  }
  signature(s: string): void {
    this.byte(s.length);
    for (const x of Buffer.from(s, 'ascii')) this.bytes.push(x);
    this.bytes.push(0);
  }
  field(code: number, type: 'u' | 's' | 'g', write: () => void): void {
    this.pad(8);
    this.byte(code);
    this.signature(type);
    write();
  }
  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/** Sends a METHOD_RETURN to `call` carrying a ready-made body. Throws if the connection is closed. */
export function sendEncodedReply(bus: MessageBus, call: Message, body: EncodedBody): void {
  const stream = (bus as unknown as { _connection: { stream?: StreamLike } })._connection.stream;
  const callSerial = call.serial;
  if (!stream?.writable || callSerial === null) throw new Error('Cannot send message, stream is closed');
  const header = new HeaderWriter();
  header.byte(0x6c); // 'l': little endian
  header.byte(2); // METHOD_RETURN
  header.byte(0); // flags
  header.byte(1); // protocol version
  header.u32(body.bytes.length);
  header.u32(bus.newSerial());
  // The fields array's length is patched in after the fields are written.
  header.u32(0);
  const fieldsStart = header.length;
  header.field(5, 'u', () => header.u32(callSerial));
  if (call.sender) header.field(6, 's', () => header.string(call.sender));
  header.field(8, 'g', () => header.signature(body.signature));
  const fieldsLength = header.length - fieldsStart;
  header.pad(8);
  const head = header.toBuffer();
  head.writeUInt32LE(fieldsLength, 12);
  const data = Buffer.concat([head, body.bytes]);
  stream.write(stream.supportsUnixFd ? { data, fds: [] } : data);
}
