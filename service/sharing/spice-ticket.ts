// SPICE's password ("ticket") as it travels: encrypted by the client with
// the RSA key of the link reply (1024 bits, OAEP with SHA-1, the password's
// bytes and a NUL), decrypted by whoever holds the private key. A share
// holds a key pair of its own, so the password reaches the share — which
// checks it — and never the guest's SPICE server, which the share then
// hands a password encrypted for it (ignored: the display socket the share
// opens is one libvirt authorized already).

import {
  constants,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  createPublicKey,
  type KeyObject,
} from 'node:crypto';
import { PUBLIC_KEY_BYTES } from './spice-link.js';

const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' } as const;

export class TicketKey {
  private readonly privateKey: KeyObject;
  /** The public key as the link reply carries it (DER SubjectPublicKeyInfo, 162 bytes). */
  readonly publicDer: Buffer;

  constructor() {
    const pair = generateKeyPairSync('rsa', { modulusLength: 1024, publicExponent: 0x10001 });
    this.privateKey = pair.privateKey;
    this.publicDer = pair.publicKey.export({ type: 'spki', format: 'der' });
    if (this.publicDer.length !== PUBLIC_KEY_BYTES) throw new Error('SPICE takes a 1024-bit RSA key');
  }

  /** The password a client sent, up to its NUL; undefined when it was not encrypted with this key. */
  decrypt(ticket: Buffer): Buffer | undefined {
    let plain: Buffer;
    try {
      plain = privateDecrypt({ key: this.privateKey, ...OAEP }, ticket);
    } catch {
      return undefined;
    }
    const end = plain.indexOf(0);
    return end < 0 ? plain : plain.subarray(0, end);
  }
}

/** `password` (and its NUL) encrypted with a link reply's public key, as a SPICE client sends it. */
export function encryptTicket(publicDer: Buffer, password: Buffer): Buffer {
  const key = createPublicKey({ key: publicDer, format: 'der', type: 'spki' });
  return publicEncrypt({ key, ...OAEP }, Buffer.concat([password, Buffer.from([0])]));
}
