// The first words of a SPICE connection (spice-protocol's protocol.h), as a
// share reads and rewrites them between the other computer's client and the
// guest's SPICE server: the client's link message, the server's link reply
// (its public key, which the client encrypts the password with), the
// client's authentication mechanism and encrypted password, and the result.
// Everything after the result is the guest's own stream, never looked at.
// Pure: bytes in, bytes or a reason out. All integers are little-endian.

/** "REDQ", protocol 2 (every SPICE client and server since 2010). */
const MAGIC = 0x51444552;
const MAJOR = 2;
export const HEADER_BYTES = 16;
/** SpiceLinkMess without capabilities: connection id, channel type and id, two counts, the caps offset. */
const MESS_BYTES = 18;
/** SPICE_TICKET_PUBKEY_BYTES: a 1024-bit RSA key as DER SubjectPublicKeyInfo. */
export const PUBLIC_KEY_BYTES = 162;
/** SpiceLinkReply without capabilities: error, public key, two counts, the caps offset. */
const REPLY_BYTES = 4 + PUBLIC_KEY_BYTES + 12;
/** SpiceLinkEncryptedTicket: RSA-1024 output. */
export const TICKET_BYTES = 128;
/** What a link message or reply may take, capabilities included: far more than any client or server sends. */
export const MAX_BODY_BYTES = 4096;

// SPICE_COMMON_CAP_*: bits of the first common capability word.
const CAP_AUTH_SELECTION = 1 << 0;
const CAP_AUTH_SASL = 1 << 2;
/** SpiceLinkAuthMechanism's value for SPICE's own password (SPICE_COMMON_CAP_AUTH_SPICE). */
export const AUTH_SPICE = 1;

/** SpiceLinkErr values a share sends or reads. */
export const LINK_OK = 0;
export const LINK_PERMISSION_DENIED = 7;

/** A channel's type in a link message (SPICE_CHANNEL_*). */
export const MAIN_CHANNEL = 1;

/** A complete piece read off a stream, and what came after it. */
export interface Read<T> {
  value: T;
  rest: Buffer;
}

/** Not enough bytes yet. */
export const MORE = 'more';

/** Bytes that are not SPICE (or not a SPICE this share speaks): the connection ends. */
export class LinkRefused extends Error {}

export interface LinkMessage {
  /** Header and body, as sent on to the guest's server unchanged. */
  bytes: Buffer;
  channelType: number;
  /** The client offers to name its authentication mechanism (and so will, before its password). */
  authSelection: boolean;
}

export interface LinkReply {
  /** Header and body, as the guest's server sent it. */
  bytes: Buffer;
  error: number;
  /** The server's public key (DER), which the password forwarded to it is encrypted with. */
  publicKey: Buffer;
  /** The server will read an authentication mechanism before the password. */
  authSelection: boolean;
}

export interface Authentication {
  mechanism: number;
  /** The password, encrypted with the key the client was given. */
  ticket: Buffer;
}

/** The header and body of a link message or reply, once all there; MORE until then. */
function readFrame(buffer: Buffer, minimum: number): Read<Buffer> | typeof MORE {
  if (buffer.length < HEADER_BYTES) return MORE;
  if (buffer.readUInt32LE(0) !== MAGIC) throw new LinkRefused('not a SPICE connection');
  if (buffer.readUInt32LE(4) !== MAJOR) throw new LinkRefused(`SPICE protocol ${buffer.readUInt32LE(4)}, not ${MAJOR}`);
  const size = buffer.readUInt32LE(12);
  if (size < minimum || size > MAX_BODY_BYTES) throw new LinkRefused(`a link of ${size} bytes`);
  if (buffer.length < HEADER_BYTES + size) return MORE;
  return { value: Buffer.from(buffer.subarray(0, HEADER_BYTES + size)), rest: buffer.subarray(HEADER_BYTES + size) };
}

/**
 * The first common capability word of a body whose counts and offset sit
 * at `countsAt`: 0 when it has none. LinkRefused when the capabilities it
 * claims lie outside it.
 */
function firstCommonCaps(body: Buffer, countsAt: number): number {
  const common = body.readUInt32LE(countsAt);
  const channel = body.readUInt32LE(countsAt + 4);
  const offset = body.readUInt32LE(countsAt + 8);
  if (common + channel > MAX_BODY_BYTES / 4 || offset < countsAt + 12 || offset + 4 * (common + channel) > body.length)
    throw new LinkRefused('capabilities outside the link');
  return common > 0 ? body.readUInt32LE(offset) : 0;
}

/** The client's link message (SpiceLinkHeader, SpiceLinkMess, capabilities). */
export function readLinkMessage(buffer: Buffer): Read<LinkMessage> | typeof MORE {
  const frame = readFrame(buffer, MESS_BYTES);
  if (frame === MORE) return MORE;
  const body = frame.value.subarray(HEADER_BYTES);
  const caps = firstCommonCaps(body, 6);
  return {
    value: { bytes: frame.value, channelType: body.readUInt8(4), authSelection: (caps & CAP_AUTH_SELECTION) !== 0 },
    rest: frame.rest,
  };
}

/** The server's link reply (SpiceLinkHeader, SpiceLinkReply, capabilities). */
export function readLinkReply(buffer: Buffer): Read<LinkReply> | typeof MORE {
  const frame = readFrame(buffer, 4);
  if (frame === MORE) return MORE;
  const body = frame.value.subarray(HEADER_BYTES);
  const error = body.readUInt32LE(0);
  // A refusal is the error alone; anything else carries the key and capabilities.
  if (error !== LINK_OK)
    return { value: { bytes: frame.value, error, publicKey: Buffer.alloc(0), authSelection: false }, rest: frame.rest };
  if (body.length < REPLY_BYTES) throw new LinkRefused(`a link reply of ${body.length} bytes`);
  const caps = firstCommonCaps(body, 4 + PUBLIC_KEY_BYTES);
  return {
    value: {
      bytes: frame.value,
      error,
      publicKey: Buffer.from(body.subarray(4, 4 + PUBLIC_KEY_BYTES)),
      authSelection: (caps & CAP_AUTH_SELECTION) !== 0,
    },
    rest: frame.rest,
  };
}

/**
 * The reply as the client gets it: the share's public key instead of the
 * server's (so the password is encrypted for the share, which checks it),
 * and SASL not offered (the share takes SPICE's password only).
 */
export function replyForClient(reply: LinkReply, publicKey: Buffer): Buffer {
  if (publicKey.length !== PUBLIC_KEY_BYTES) throw new Error(`a SPICE public key is ${PUBLIC_KEY_BYTES} bytes`);
  const bytes = Buffer.from(reply.bytes);
  const body = bytes.subarray(HEADER_BYTES);
  publicKey.copy(body, 4);
  const countsAt = 4 + PUBLIC_KEY_BYTES;
  if (body.readUInt32LE(countsAt) > 0) {
    const offset = body.readUInt32LE(countsAt + 8);
    body.writeUInt32LE((body.readUInt32LE(offset) & ~CAP_AUTH_SASL) >>> 0, offset);
  }
  return bytes;
}

/** The client's mechanism (when both ends select one) and its encrypted password. */
export function readAuthentication(buffer: Buffer, authSelection: boolean): Read<Authentication> | typeof MORE {
  const mechanismBytes = authSelection ? 4 : 0;
  if (buffer.length < mechanismBytes + TICKET_BYTES) return MORE;
  return {
    value: {
      mechanism: authSelection ? buffer.readUInt32LE(0) : AUTH_SPICE,
      ticket: Buffer.from(buffer.subarray(mechanismBytes, mechanismBytes + TICKET_BYTES)),
    },
    rest: buffer.subarray(mechanismBytes + TICKET_BYTES),
  };
}

/** What the server reads after its reply: the mechanism (when selected) and a password encrypted for it. */
export function authenticationBytes(authSelection: boolean, ticket: Buffer): Buffer {
  if (!authSelection) return Buffer.from(ticket);
  const mechanism = Buffer.alloc(4);
  mechanism.writeUInt32LE(AUTH_SPICE);
  return Buffer.concat([mechanism, ticket]);
}

/** The server's result of the link (SpiceLinkErr), as its 4 bytes. */
export function readLinkResult(buffer: Buffer): Read<Buffer> | typeof MORE {
  if (buffer.length < 4) return MORE;
  return { value: Buffer.from(buffer.subarray(0, 4)), rest: buffer.subarray(4) };
}

/** The link's result, as the server sends it (SpiceLinkErr). */
export function linkResult(code: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(code);
  return bytes;
}
