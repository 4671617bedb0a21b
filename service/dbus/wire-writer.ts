// Little-endian D-Bus wire format: message headers, and bodies of any
// signature from the values dbus-next uses (strings, numbers, bigints for
// 64-bit integers, arrays, objects for dicts, tuples for structs, Variants).
// Bodies we send often (ListGuests, GetManagedObjects) are marshalled here
// once and reused, which dbus-next cannot do.

import { splitSignature } from './signature.mjs';

export const align = (n: number, a: number): number => (n + a - 1) & ~(a - 1);

/** A variant's value as dbus-next represents it. */
export interface VariantLike {
  signature: string;
  value: unknown;
}

const ALIGNMENT: Record<string, number> = {
  y: 1,
  b: 4,
  n: 2,
  q: 2,
  i: 4,
  u: 4,
  x: 8,
  t: 8,
  d: 8,
  h: 4,
  s: 4,
  o: 4,
  g: 1,
  v: 1,
  a: 4,
  '(': 8,
  '{': 8,
};

export class WireWriter {
  private buffer: Buffer;
  private used = 0;

  constructor(initialSize = 256) {
    this.buffer = Buffer.alloc(initialSize);
  }

  get length(): number {
    return this.used;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buffer.length) return;
    const next = Buffer.alloc(Math.max(this.buffer.length * 2, this.used + bytes));
    this.buffer.copy(next, 0, 0, this.used);
    this.buffer = next;
  }

  pad(a: number): void {
    const target = align(this.used, a);
    this.reserve(target - this.used);
    this.buffer.fill(0, this.used, target);
    this.used = target;
  }

  byte(v: number): void {
    this.reserve(1);
    this.buffer.writeUInt8(v & 0xff, this.used);
    this.used += 1;
  }

  u32(v: number): void {
    this.pad(4);
    this.reserve(4);
    this.buffer.writeUInt32LE(v >>> 0, this.used);
    this.used += 4;
  }

  /** Writes a u32 at an earlier offset (an array's length, once known). */
  patchU32(offset: number, v: number): void {
    this.buffer.writeUInt32LE(v >>> 0, offset);
  }

  bytes(data: Buffer): void {
    this.reserve(data.length);
    data.copy(this.buffer, this.used);
    this.used += data.length;
  }

  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u32(b.length);
    this.bytes(b);
    this.byte(0);
  }

  signature(s: string): void {
    this.byte(s.length);
    this.bytes(Buffer.from(s, 'ascii'));
    this.byte(0);
  }

  /** One value of a single complete type. */
  value(type: string, value: unknown): void {
    const head = type[0] as string;
    switch (head) {
      case 'y':
        this.byte(Number(value));
        return;
      case 'b':
        this.u32(value ? 1 : 0);
        return;
      case 'n':
      case 'q':
        this.pad(2);
        this.reserve(2);
        if (head === 'n') this.buffer.writeInt16LE(Number(value), this.used);
        else this.buffer.writeUInt16LE(Number(value), this.used);
        this.used += 2;
        return;
      case 'i':
        this.pad(4);
        this.reserve(4);
        this.buffer.writeInt32LE(Number(value), this.used);
        this.used += 4;
        return;
      case 'u':
      case 'h':
        this.u32(Number(value));
        return;
      case 'x':
      case 't':
      case 'd':
        this.pad(8);
        this.reserve(8);
        if (head === 'd') this.buffer.writeDoubleLE(Number(value), this.used);
        else if (head === 'x') this.buffer.writeBigInt64LE(BigInt(value as bigint), this.used);
        else this.buffer.writeBigUInt64LE(BigInt(value as bigint), this.used);
        this.used += 8;
        return;
      case 's':
      case 'o':
        this.string(String(value));
        return;
      case 'g':
        this.signature(String(value));
        return;
      case 'v': {
        const variant = value as VariantLike;
        this.signature(variant.signature);
        this.value(variant.signature, variant.value);
        return;
      }
      case '(': {
        this.pad(8);
        const fields = splitSignature(type.slice(1, -1));
        const values = value as unknown[];
        fields.forEach((field, i) => this.value(field, values[i]));
        return;
      }
      case 'a':
        this.array(type.slice(1), value);
        return;
      default:
        throw new Error(`cannot marshal D-Bus type '${type}'`);
    }
  }

  /** Whole values of a signature, in order. */
  values(signature: string, values: readonly unknown[]): void {
    splitSignature(signature).forEach((type, i) => this.value(type, values[i]));
  }

  private array(element: string, value: unknown): void {
    this.u32(0);
    const lengthAt = this.used - 4;
    this.pad(ALIGNMENT[element[0] as string] ?? 1);
    const start = this.used;
    if (element[0] === '{') {
      const [keyType, valueType] = splitSignature(element.slice(1, -1)) as [string, string];
      const entries = value instanceof Map ? [...value.entries()] : Object.entries(value as object);
      for (const [key, entry] of entries) {
        this.pad(8);
        this.value(keyType, key);
        this.value(valueType, entry);
      }
    } else if (element === 'y' && Buffer.isBuffer(value)) {
      this.bytes(value);
    } else {
      for (const item of value as unknown[]) this.value(element, item);
    }
    this.patchU32(lengthAt, this.used - start);
  }

  /** One (yv) entry of the header field array. */
  field(code: number, type: 'o' | 'u' | 's' | 'g', write: () => void): void {
    this.pad(8);
    this.byte(code);
    this.signature(type);
    write();
  }

  toBuffer(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.used));
  }
}

/** Marshals values of a signature into a body (starting 8-aligned, as every body does). */
export function marshal(signature: string, values: readonly unknown[]): Buffer {
  const writer = new WireWriter();
  writer.values(signature, values);
  return writer.toBuffer();
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
  w.patchU32(12, w.length - fieldsStart);
  w.pad(8);
  return Buffer.concat([w.toBuffer(), body]);
}
