// POSIX access ACLs as the kernel takes them (the system.posix_acl_access
// extended attribute: a version, then tag, permissions and id per entry,
// little-endian, sorted by tag then id), for the display relay to give one
// user the use of a file the service owns — its owner may set an ACL on
// its own file without any privilege. Pure; the relay writes the bytes
// through GIO (gjs/display-relay.ts).

export const READ = 4;
export const WRITE = 2;
export const SEARCH = 1;

const VERSION = 2;
const USER_OBJ = 0x01;
const USER = 0x02;
const GROUP_OBJ = 0x04;
const MASK = 0x10;
const OTHER = 0x20;
const UNDEFINED_ID = 0xffffffff;

/**
 * The ACL giving `owner` (the file's owner, the service) its permissions
 * and `uid` its own, and nobody else anything: no group, no others. Setting
 * it sets the mode too (owner, mask as the group bits, nothing for others).
 */
export function accessAcl(owner: number, uid: number, perms: number): Uint8Array {
  const entries: [tag: number, perm: number, id: number][] = [
    [USER_OBJ, owner, UNDEFINED_ID],
    [USER, perms, uid],
    [GROUP_OBJ, 0, UNDEFINED_ID],
    [MASK, perms, UNDEFINED_ID],
    [OTHER, 0, UNDEFINED_ID],
  ];
  const bytes = new Uint8Array(4 + entries.length * 8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, VERSION, true);
  entries.forEach(([tag, perm, id], i) => {
    view.setUint16(4 + i * 8, tag, true);
    view.setUint16(6 + i * 8, perm, true);
    view.setUint32(8 + i * 8, id, true);
  });
  return bytes;
}

/** Bytes as a GIO attribute string takes them for xattr-sys:: (every byte as \xNN). */
export function gioEscaped(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('');
}
