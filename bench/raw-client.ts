// A bare D-Bus client for timing a service: it sends pre-built method calls
// and finds where each reply ends without decoding its body, so the figures
// are the service's and the bus's, not a client library's unmarshalling.

import { createConnection, type Socket } from 'node:net';
import { align, encodeMessage, WireWriter } from '../service/dbus/wire-writer.js';

export type RawArg = string | { u: number };

/** A METHOD_CALL with string and uint32 arguments (enough for benchmarks). */
export function methodCall(
  serial: number,
  dest: string,
  path: string,
  iface: string,
  member: string,
  args: RawArg[],
): Buffer {
  const body = new WireWriter();
  for (const a of args) {
    if (typeof a === 'string') body.string(a);
    else body.u32(a.u);
  }
  return encodeMessage(1, serial, body.toBuffer(), (w) => {
    w.field(1, 'o', () => w.string(path));
    w.field(2, 's', () => w.string(iface));
    w.field(3, 's', () => w.string(member));
    w.field(6, 's', () => w.string(dest));
    if (args.length > 0)
      w.field(8, 'g', () => w.signature(args.map((a) => (typeof a === 'string' ? 's' : 'u')).join('')));
  });
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
  call(dest: string, path: string, iface: string, member: string, args: RawArg[] = []): Promise<number> {
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
