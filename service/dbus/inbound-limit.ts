// A bound on what a caller's message may cost before anything of ours sees
// it. dbus-next decodes each message whole as it arrives, on the service's
// one thread: a 30 MB array of options (the bus takes messages up to 32 MB)
// held every caller for half a minute and 1.4 GB of memory. Here the
// connection's byte stream is read in step with dbus-next's reader, one
// message at a time from its 16-byte fixed header: a method call or signal
// larger than the limit is skipped unread, and its caller answered
// org.freedesktop.DBus.Error.LimitsExceeded. Replies to our own calls are
// not limited (libvirt-dbus's answers can be large, and only come when asked).

import type { Readable } from 'node:stream';

const FIXED_HEADER = 16;
const METHOD_CALL = 1;
const SIGNAL = 4;
const NO_REPLY_EXPECTED = 0x1;
const LITTLE_ENDIAN = 0x6c; // 'l'
/** The header field that names the sender (the bus daemon sets it). */
const SENDER_FIELD = 7;
/** Header fields we read to find the sender of a message we refuse: past this, it is skipped unanswered. */
const MAX_FIELDS_BYTES = 4096;

/** A message that was not read: who sent it and how large it was. */
export interface RefusedMessage {
  type: number;
  serial: number;
  /** Its sender's unique name, '' when its header did not say. */
  sender: string;
  bytes: number;
  /** Whether the sender waits for an answer. */
  wantsReply: boolean;
}

interface FixedHeader {
  littleEndian: boolean;
  type: number;
  flags: number;
  serial: number;
  fieldsBytes: number;
  /** The header fields, padded to 8, then the body: what follows the fixed header. */
  rest: number;
}

function fixedHeader(bytes: Buffer): FixedHeader {
  const littleEndian = bytes[0] === LITTLE_ENDIAN;
  const u32 = (offset: number): number => (littleEndian ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset));
  const fieldsBytes = u32(12);
  return {
    littleEndian,
    type: bytes[1] ?? 0,
    flags: bytes[2] ?? 0,
    serial: u32(8),
    fieldsBytes,
    rest: Math.ceil(fieldsBytes / 8) * 8 + u32(4),
  };
}

/**
 * The sender named in a message's header fields (an array of (byte code,
 * variant), each entry at a multiple of 8 from the message's start, which
 * lies 16 bytes, a multiple of 8, before these bytes); '' if none.
 */
export function senderOf(fields: Buffer, littleEndian: boolean): string {
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
      if (value + 4 > fields.length) return '';
      const length = u32(value);
      if (code === SENDER_FIELD) return fields.toString('utf8', value + 4, Math.min(value + 4 + length, fields.length));
      end = value + 4 + length + 1;
    } else if (signature === 'g') {
      end = value + 1 + (fields[value] ?? 0) + 1;
    } else if (signature === 'u') {
      end = align(value, 4) + 4;
    } else {
      return ''; // not a header field the specification knows
    }
    offset = align(end, 8);
  }
  return '';
}

/**
 * Makes `stream` (a bus connection's, once authenticated, before the first
 * message is read) hand its reader only method calls and signals of at most
 * `maxBytes`; each larger one is skipped as it streams in and told to
 * `refused`. The reader must read as dbus-next's does: 16 bytes, then the
 * rest of that message.
 */
export function limitInbound(stream: Readable, maxBytes: number, refused: (message: RefusedMessage) => void): void {
  const read = stream.read.bind(stream) as (size?: number) => Buffer | null;
  /** The reader took a header we let through: its next read is that message's rest. */
  let passing = false;
  /** A refused message whose header fields we wait for, to know its sender. */
  let waitingFields: (FixedHeader & { bytes: number }) | undefined;
  /** Bytes of a refused message still to drop. */
  let skipping = 0;

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
      if (waitingFields) {
        const header = waitingFields;
        const padded = Math.ceil(header.fieldsBytes / 8) * 8;
        const fields = read(padded);
        if (fields === null) return null;
        waitingFields = undefined;
        skipping = header.rest - padded;
        refused(refusal(header, senderOf(fields.subarray(0, header.fieldsBytes), header.littleEndian)));
        continue;
      }
      const bytes = read(FIXED_HEADER);
      if (bytes === null) return null;
      const header = fixedHeader(bytes);
      const total = FIXED_HEADER + header.rest;
      if (total <= maxBytes || (header.type !== METHOD_CALL && header.type !== SIGNAL)) {
        passing = true;
        return bytes;
      }
      if (header.fieldsBytes <= MAX_FIELDS_BYTES) {
        waitingFields = { ...header, bytes: total };
      } else {
        skipping = header.rest;
        refused(refusal({ ...header, bytes: total }, ''));
      }
    }
  };
  stream.read = filtered as typeof stream.read;
}

function refusal(header: FixedHeader & { bytes: number }, sender: string): RefusedMessage {
  return {
    type: header.type,
    serial: header.serial,
    sender,
    bytes: header.bytes,
    wantsReply: header.type === METHOD_CALL && (header.flags & NO_REPLY_EXPECTED) === 0,
  };
}
