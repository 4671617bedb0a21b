// Little-endian D-Bus wire format, just enough for message headers and
// string-array bodies.

export const align = (n: number, a: number): number => (n + a - 1) & ~(a - 1);

export class WireWriter {
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

  /** One (yv) entry of the header field array. */
  field(code: number, type: 'o' | 'u' | 's' | 'g', write: () => void): void {
    this.pad(8);
    this.byte(code);
    this.signature(type);
    write();
  }

  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/**
 * A whole message: fixed header, the fields `writeFields` adds, padding, body.
 * Type 1 is METHOD_CALL, 2 METHOD_RETURN.
 */
export function encodeMessage(
  type: number,
  serial: number,
  body: Buffer,
  writeFields: (w: WireWriter) => void,
): Buffer {
  const w = new WireWriter();
  w.byte(0x6c); // 'l': little endian
  w.byte(type);
  w.byte(0); // flags
  w.byte(1); // protocol version
  w.u32(body.length);
  w.u32(serial);
  w.u32(0); // the field array's length, patched below
  const fieldsStart = w.length;
  writeFields(w);
  const fieldsLength = w.length - fieldsStart;
  w.pad(8);
  const head = w.toBuffer();
  head.writeUInt32LE(fieldsLength, 12);
  return Buffer.concat([head, body]);
}
