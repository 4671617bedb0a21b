// The shape of a call's body, read from its bytes before dbus-next decodes
// it: how many values it holds, and what its variants hold. dbus-next builds
// an object for every value, so what a body costs is the number of its
// values, not its size: 64 KiB of one-byte variants inside the one variant
// Properties.Set takes are 16 000 objects. No call of the contract needs
// more than a few dozen values, nor a variant holding more than one value or
// a struct of them (an option's number, string, boolean, or (uu)), nor a
// dict key '__proto__' (dbus-next would set a prototype with it): a body
// beyond that is refused unread. Pure: bytes in, a verdict out; a body this
// walk cannot follow (the bus daemon checks every body, so none should come)
// is left to the reader.

/** What one call's body may hold. */
export interface BodyLimits {
  /** Values in all: each basic value, each container and each variant counts one. */
  maxValues: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { maxValues: 1024 };

export type BodyVerdict = { ok: true; values: number } | { ok: false; text: string };

interface TypeNode {
  code: string;
  children: TypeNode[];
}

const FIXED: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, h: 4 };
const BASIC = new Set([...Object.keys(FIXED), 's', 'o', 'g']);

class Unreadable extends Error {}

class Refused extends Error {}

/** The complete types of a signature, or Unreadable. */
function parseSignature(signature: string): TypeNode[] {
  let at = 0;
  const one = (): TypeNode => {
    const code = signature[at++];
    if (code === undefined) throw new Unreadable();
    if (code === 'a') return { code, children: [one()] };
    if (code === '(' || code === '{') {
      const close = code === '(' ? ')' : '}';
      const children: TypeNode[] = [];
      while (signature[at] !== close) {
        if (at >= signature.length) throw new Unreadable();
        children.push(one());
      }
      at++;
      return { code, children };
    }
    if (code !== 'v' && !BASIC.has(code)) throw new Unreadable();
    return { code, children: [] };
  };
  const types: TypeNode[] = [];
  while (at < signature.length) types.push(one());
  return types;
}

/** A single value or a struct of them: what an option or a property holds. */
function isShallow(node: TypeNode): boolean {
  if (BASIC.has(node.code)) return true;
  return node.code === '(' && node.children.every((child) => BASIC.has(child.code));
}

function alignmentOf(node: TypeNode): number {
  if (node.code in FIXED) return FIXED[node.code] as number;
  if (node.code === 's' || node.code === 'o' || node.code === 'a') return 4;
  if (node.code === '(' || node.code === '{') return 8;
  return 1; // g, v
}

const PROTO = Buffer.from('__proto__');

/** Whether the string at `at` (its length, then its bytes) is '__proto__'. */
function isProtoKey(body: Buffer, at: number, littleEndian: boolean): boolean {
  if (at + 4 + PROTO.length > body.length) return false;
  const length = littleEndian ? body.readUInt32LE(at) : body.readUInt32BE(at);
  return length === PROTO.length && body.subarray(at + 4, at + 4 + length).equals(PROTO);
}

/**
 * Walks `body` (its signature's values, from the start of the body, which
 * lies at a multiple of 8 from the message's start) counting its values.
 */
export function judgeBody(body: Buffer, signature: string, littleEndian: boolean, limits: BodyLimits): BodyVerdict {
  let at = 0;
  let values = 0;
  const u32 = (): number => {
    if (at + 4 > body.length) throw new Unreadable();
    const value = littleEndian ? body.readUInt32LE(at) : body.readUInt32BE(at);
    at += 4;
    return value;
  };
  const align = (to: number): void => {
    at = Math.ceil(at / to) * to;
  };
  const count = (): void => {
    if (++values > limits.maxValues) {
      throw new Refused(`A call to this service holds at most ${limits.maxValues} values; this one holds more`);
    }
  };
  const walk = (node: TypeNode): void => {
    count();
    align(alignmentOf(node));
    switch (node.code) {
      case 's':
      case 'o': {
        const length = u32(); // read first: `at += u32()` would add to the offset from before the length
        at += length + 1;
        break;
      }
      case 'g':
        at += (body[at] ?? 0) + 2;
        break;
      case 'a': {
        const length = u32();
        const element = node.children[0] as TypeNode;
        align(alignmentOf(element));
        const end = at + length;
        if (end > body.length) throw new Unreadable();
        while (at < end) walk(element);
        break;
      }
      case '{':
        // dbus-next makes a dict a plain object: this key would set the object's prototype, not an entry.
        if (node.children[0]?.code === 's' && isProtoKey(body, at, littleEndian)) {
          throw new Refused("A call to this service may not use '__proto__' as a key");
        }
        for (const child of node.children) walk(child);
        break;
      case '(':
        for (const child of node.children) walk(child);
        break;
      case 'v': {
        const length = body[at] ?? 0;
        const inner = body.toString('latin1', at + 1, at + 1 + length);
        at += length + 2;
        const types = parseSignature(inner);
        const [type] = types;
        if (types.length !== 1 || !type) throw new Unreadable();
        if (!isShallow(type)) {
          throw new Refused(
            `A variant in a call to this service holds one value or a struct of them, not type '${inner.slice(0, 32)}'`,
          );
        }
        walk(type);
        break;
      }
      default:
        at += FIXED[node.code] as number;
    }
    if (at > body.length) throw new Unreadable();
  };
  try {
    for (const node of parseSignature(signature)) walk(node);
  } catch (error) {
    if (error instanceof Refused) return { ok: false, text: error.message };
    if (error instanceof Unreadable) return { ok: true, values };
    throw error;
  }
  return { ok: true, values };
}
