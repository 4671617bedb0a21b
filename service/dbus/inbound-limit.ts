// A bound on what a caller's message may cost before anything of ours sees
// it. dbus-next decodes each message whole as it arrives, on the service's
// one thread: a 30 MB array of options (the bus takes messages up to 32 MB)
// held every caller for half a minute and 1.4 GB of memory. Here the
// connection's byte stream is read in step with dbus-next's reader, one
// message at a time from its 16-byte fixed header: a method call or signal
// larger than the limit is skipped unread, and its caller answered
// org.freedesktop.DBus.Error.LimitsExceeded. A call within it is judged
// from its header (its signature), then its body's shape (body-shape.ts: how
// many values, what its variants hold), then its sender's budget
// (inbound-budget.ts: what one caller may have decoded over time). Replies
// to our own calls are not limited (libvirt-dbus's answers can be large, and
// only come when asked).

import type { Readable } from 'node:stream';
import { DEFAULT_BODY_LIMITS, judgeBody, type BodyLimits } from './body-shape.js';

const FIXED_HEADER = 16;
const METHOD_CALL = 1;
const SIGNAL = 4;
const NO_REPLY_EXPECTED = 0x1;
const LITTLE_ENDIAN = 0x6c; // 'l'
/** Header fields we read to find the sender of a message we refuse: past this, it is skipped unanswered. */
const MAX_FIELDS_BYTES = 4096;
const INVALID_ARGS = 'org.freedesktop.DBus.Error.InvalidArgs';
const LIMITS_EXCEEDED = 'org.freedesktop.DBus.Error.LimitsExceeded';

interface FixedHeader {
  /** The 16 bytes as they came, handed to the reader when the message passes. */
  raw: Buffer;
  littleEndian: boolean;
  type: number;
  flags: number;
  serial: number;
  fieldsBytes: number;
  /** The header fields, padded to 8, then the body: what follows the fixed header. */
  rest: number;
  /** The whole message's size. */
  bytes: number;
}

function fixedHeader(bytes: Buffer): FixedHeader {
  const littleEndian = bytes[0] === LITTLE_ENDIAN;
  const u32 = (offset: number): number => (littleEndian ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset));
  const fieldsBytes = u32(12);
  const rest = Math.ceil(fieldsBytes / 8) * 8 + u32(4);
  return {
    raw: bytes,
    littleEndian,
    type: bytes[1] ?? 0,
    flags: bytes[2] ?? 0,
    serial: u32(8),
    fieldsBytes,
    rest,
    bytes: FIXED_HEADER + rest,
  };
}

/** What a message's header fields say of it ('' for a field it lacks). */
export interface HeaderFields {
  interface: string;
  member: string;
  destination: string;
  sender: string;
  signature: string;
}

const FIELD_NAMES: Record<number, keyof HeaderFields> = { 2: 'interface', 3: 'member', 6: 'destination', 7: 'sender' };
const SIGNATURE_FIELD = 8;

/**
 * A message's header fields (an array of (byte code, variant), each entry at
 * a multiple of 8 from the message's start, which lies 16 bytes, a multiple
 * of 8, before these bytes). Read without dbus-next: a field it cannot read
 * ends the reading, what was read so far is returned.
 */
export function headerFields(fields: Buffer, littleEndian: boolean): HeaderFields {
  const found: HeaderFields = { interface: '', member: '', destination: '', sender: '', signature: '' };
  const u32 = (offset: number): number => (littleEndian ? fields.readUInt32LE(offset) : fields.readUInt32BE(offset));
  const align = (offset: number, to: number): number => Math.ceil(offset / to) * to;
  let offset = 0;
  while (offset + 4 <= fields.length) {
    const code = fields[offset] ?? 0;
    const signatureLength = fields[offset + 1] ?? 0;
    const signature = fields.toString('latin1', offset + 2, offset + 2 + signatureLength);
    let value = offset + 2 + signatureLength + 1;
    let end: number;
    if (signature === 's' || signature === 'o') {
      value = align(value, 4);
      if (value + 4 > fields.length) break;
      const length = u32(value);
      const name = FIELD_NAMES[code];
      if (name) found[name] = fields.toString('utf8', value + 4, Math.min(value + 4 + length, fields.length));
      end = value + 4 + length + 1;
    } else if (signature === 'g') {
      const length = fields[value] ?? 0;
      if (code === SIGNATURE_FIELD) found.signature = fields.toString('latin1', value + 1, value + 1 + length);
      end = value + 1 + length + 1;
    } else if (signature === 'u') {
      end = align(value, 4) + 4;
    } else {
      break; // not a header field the specification knows
    }
    offset = align(end, 8);
  }
  return found;
}

/**
 * Judges a method call from its header alone, before its body is read: an
 * error to answer it with (and skip its body unread), or undefined to let
 * it be read.
 */
export type CallCheck = (call: HeaderFields) => { name: string; text: string } | undefined;

/** Where a message that was not read came from, what it was, and the error its sender was answered. */
export interface RefusedMessage {
  type: number;
  serial: number;
  /** Its sender's unique name, '' when its header did not say. */
  sender: string;
  bytes: number;
  /** Whether the sender waits for an answer. */
  wantsReply: boolean;
  /** Why: too large, a signal sent to us alone by a client, what the call check said, or its sender's budget. */
  reason: 'too large' | 'unicast signal' | 'refused call' | 'over budget';
  /** The error to answer with (a D-Bus error name and its words). */
  error: { name: string; text: string };
}

export interface InboundLimits {
  maxBytes: number;
  /** Judges each method call within the size from its header: see CallCheck. */
  check?: CallCheck;
  /** What a call's body may hold (body-shape.ts); DEFAULT_BODY_LIMITS when not said. */
  body?: BodyLimits;
  /**
   * Takes a call the check let through from its sender's budget of bytes to
   * decode (inbound-budget.ts); false: the sender has sent too much lately.
   */
  budget?: (sender: string, bytes: number) => boolean;
}

/**
 * The bus daemon's own name: the sender it puts on its signals, which no
 * client can, and the one sender of a signal sent to us alone that we read.
 */
export const BUS_DAEMON = 'org.freedesktop.DBus';

/**
 * Makes `stream` (a bus connection's, once authenticated, before the first
 * message is read) hand its reader only what the service must read: replies
 * to its own calls; broadcast signals (its match rules chose their senders)
 * and the bus daemon's own; method calls within `maxBytes` that `check`
 * lets through, whose body's shape is within `body` and that their sender's
 * `budget` pays for. The rest is skipped unread as it streams in, and told
 * to `refused`: calls larger than the limit, that the check refuses (the
 * contract's signatures, so a body of the wrong type is never decoded), of
 * a body too many or too deep, or past the budget; and signals a client sent
 * to us alone (anybody may, with any body).
 * The reader must read as dbus-next's does: 16 bytes, then the rest.
 */
export function limitInbound(
  stream: Readable,
  limits: InboundLimits,
  refused: (message: RefusedMessage) => void,
): void {
  const read = stream.read.bind(stream) as (size?: number) => Buffer | null;
  /** The reader took a header we let through: its next read is that message's rest. */
  let passing = false;
  /** A message whose header fields we wait for, to judge it. */
  let waiting: FixedHeader | undefined;
  /** Bytes of a refused message still to drop. */
  let skipping = 0;

  const refuse = (
    header: FixedHeader,
    sender: string,
    why: RefusedMessage['reason'],
    error: RefusedMessage['error'],
  ): void => {
    refused({
      type: header.type,
      serial: header.serial,
      sender,
      bytes: header.bytes,
      wantsReply: header.type === METHOD_CALL && (header.flags & NO_REPLY_EXPECTED) === 0,
      reason: why,
      error,
    });
  };

  const filtered = (size?: number): Buffer | null => {
    if (passing || size !== FIXED_HEADER) {
      const chunk = read(size);
      if (chunk !== null) passing = false;
      return chunk;
    }
    for (;;) {
      if (skipping > 0) {
        const available = Math.min(skipping, stream.readableLength);
        if (available === 0) return null;
        const dropped = read(available);
        if (dropped === null) return null;
        skipping -= dropped.length;
        continue;
      }
      if (waiting) {
        const header = waiting;
        const padded = Math.ceil(header.fieldsBytes / 8) * 8;
        // A call within the size is judged whole (its body's shape too); of anything else, the fields tell enough.
        const whole = header.type === METHOD_CALL && header.bytes <= limits.maxBytes;
        const bytes = read(whole ? header.rest : padded);
        if (bytes === null) return null;
        waiting = undefined;
        const fields = headerFields(bytes.subarray(0, header.fieldsBytes), header.littleEndian);
        const verdict = judge(header, fields, limits, whole ? bytes.subarray(padded) : undefined);
        if (!verdict) {
          // Read as it came: the fields (and body) go back, for the reader's next read.
          stream.unshift(bytes);
          passing = true;
          return header.raw;
        }
        skipping = header.rest - bytes.length;
        refuse(header, fields.sender, verdict.reason, verdict.error);
        continue;
      }
      const bytes = read(FIXED_HEADER);
      if (bytes === null) return null;
      const header = fixedHeader(bytes);
      // Replies to our own calls, and whatever has no fields to judge it by (the reader refuses it), pass.
      if ((header.type !== METHOD_CALL && header.type !== SIGNAL) || header.fieldsBytes === 0) {
        passing = true;
        return bytes;
      }
      if (header.fieldsBytes > MAX_FIELDS_BYTES) {
        skipping = header.rest;
        refuse(header, '', 'too large', tooLarge(header.bytes, limits.maxBytes));
        continue;
      }
      waiting = header;
    }
  };
  stream.read = filtered as typeof stream.read;
}

function tooLarge(bytes: number, maxBytes: number): RefusedMessage['error'] {
  return {
    name: LIMITS_EXCEEDED,
    text: `The message is too large: ${bytes} bytes, where at most ${maxBytes} are read`,
  };
}

/**
 * Why a message is not to be read, from its fixed header, fields and (a
 * call's) body; undefined: it is.
 */
function judge(
  header: FixedHeader,
  fields: HeaderFields,
  limits: InboundLimits,
  body: Buffer | undefined,
): { reason: RefusedMessage['reason']; error: RefusedMessage['error'] } | undefined {
  if (header.bytes > limits.maxBytes) return { reason: 'too large', error: tooLarge(header.bytes, limits.maxBytes) };
  if (header.type === SIGNAL) {
    if (fields.destination === '' || fields.sender === BUS_DAEMON) return undefined;
    return { reason: 'unicast signal', error: { name: '', text: '' } };
  }
  const error = limits.check?.(fields);
  if (error) return { reason: 'refused call', error };
  const shape = body
    ? judgeBody(body, fields.signature, header.littleEndian, limits.body ?? DEFAULT_BODY_LIMITS)
    : undefined;
  if (shape && !shape.ok) return { reason: 'refused call', error: { name: INVALID_ARGS, text: shape.text } };
  // What decoding it costs: its size, or its values for one whose values are many and small.
  const cost = Math.max(header.bytes, (shape?.values ?? 0) * BYTES_PER_VALUE);
  if (limits.budget && !limits.budget(fields.sender, cost)) return { reason: 'over budget', error: OVER_BUDGET };
  return undefined;
}

/** A value counts as this many bytes against a budget: dbus-next builds an object for each. */
const BYTES_PER_VALUE = 64;

const OVER_BUDGET = {
  name: LIMITS_EXCEEDED,
  text: 'You have sent the service too much in too short a time; wait a moment, then try again',
};
