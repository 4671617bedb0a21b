// A bare D-Bus client for timing a service: it sends pre-built method calls
// and finds where each reply ends without decoding its body, so the figures
// are the service's and the bus's, not a client library's unmarshalling.

import { createConnection, type Socket } from 'node:net';

const align = (n: number, a: number): number => (n + a - 1) & ~(a - 1);

class Writer {
  private readonly parts: number[] = [];
  get length(): number {
    return this.parts.length;
  }
  pad(a: number): void {
    while (this.parts.length % a !== 0) this.parts.push(0);
  }
  byte(v: number): void {
    this.parts.push(v & 0xff);
  }
  u32(v: number): void {
    this.pad(4);
    this.parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u32(bytes.length);
    this.parts.push(...bytes, 0);
  }
  sig(s: string): void {
    this.byte(s.length);
    this.parts.push(...Buffer.from(s, 'ascii'), 0);
  }
  buffer(): Buffer {
    return Buffer.from(this.parts);
  }
}

/** A METHOD_CALL with string arguments only (enough for benchmarks). */
export function methodCall(
  serial: number,
  dest: string,
  path: string,
  iface: string,
  member: string,
  args: string[] = [],
): Buffer {
  const body = new Writer();
  for (const a of args) body.str(a);
  const bodyBuf = body.buffer();
  const w = new Writer();
  w.byte(0x6c); // little endian
  w.byte(1); // METHOD_CALL
  w.byte(0);
  w.byte(1);
  w.u32(bodyBuf.length);
  w.u32(serial);
  const fields = new Writer();
  // Header fields are written at offset 16 of the message: keep alignment relative to the whole message.
  const field = (code: number, sig: string, write: () => void): void => {
    fields.pad(8);
    fields.byte(code);
    fields.sig(sig);
    write();
  };
  field(1, 'o', () => fields.str(path));
  field(2, 's', () => fields.str(iface));
  field(3, 's', () => fields.str(member));
  field(6, 's', () => fields.str(dest));
  if (args.length > 0) field(8, 'g', () => fields.sig('s'.repeat(args.length)));
  const fieldsBuf = fields.buffer();
  w.u32(fieldsBuf.length);
  const header = Buffer.concat([w.buffer(), fieldsBuf]);
  const padded = Buffer.concat([header, Buffer.alloc(align(header.length, 8) - header.length)]);
  return Buffer.concat([padded, bodyBuf]);
}

export class RawClient {
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: ((type: number) => void) | undefined;
  private serial = 1;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (data: Buffer) => this.onData(data));
  }

  static async connect(address: string): Promise<RawClient> {
    const path = /unix:path=([^,]+)/.exec(address)?.[1];
    if (!path) throw new Error(`only unix:path= addresses: ${address}`);
    const socket = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const uid = Buffer.from(String(process.getuid?.() ?? 0)).toString('hex');
    socket.write(`\0AUTH EXTERNAL ${uid}\r\n`);
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write('BEGIN\r\n');
    const client = new RawClient(socket);
    await client.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'Hello');
    return client;
  }

  /** Sends one call and resolves with the reply's message type (2 return, 3 error). */
  call(dest: string, path: string, iface: string, member: string, args: string[] = []): Promise<number> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(methodCall(this.serial++, dest, path, iface, member, args));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(data: Buffer): void {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    for (;;) {
      if (this.buffer.length < 16) return;
      const bodyLength = this.buffer.readUInt32LE(4);
      const fieldsLength = this.buffer.readUInt32LE(12);
      const total = align(16 + fieldsLength, 8) + bodyLength;
      if (this.buffer.length < total) return;
      const type = this.buffer[1] as number;
      this.buffer = this.buffer.subarray(total);
      // Signals (NameAcquired…) are skipped; calls here are one at a time.
      if ((type === 2 || type === 3) && this.waiting) {
        const resolve = this.waiting;
        this.waiting = undefined;
        resolve(type);
      }
    }
  }
}
