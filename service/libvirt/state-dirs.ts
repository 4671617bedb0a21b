// Where libvirt's QEMU driver keeps a guest's UEFI variables and TPM state,
// as its virQEMUDriverConfigNew sets them (src/qemu/qemu_conf.c): a
// privileged daemon (qemu:///system) under /var/lib/libvirt, a user's own
// (qemu:///session) under $XDG_CONFIG_HOME/libvirt. libvirt has no API that
// says so, and no API that reads or writes these files.

import { homedir } from 'node:os';
import { join } from 'node:path';

export interface LibvirtStateDirs {
  /** UEFI variable stores: <nvramDir>/<guest name>_VARS.fd unless the domain names one. */
  nvramDir: string;
  /** TPM emulator state: <swtpmDir>/<guest UUID>/tpm2 (or tpm1.2). */
  swtpmDir: string;
}

/**
 * Whether a URI reaches the privileged daemon. A client running as root
 * that asks for qemu:///session is sent to the system daemon too (seen on
 * libvirt 9: root's session URI opens the system socket).
 */
export function isPrivilegedUri(uri: string, uid: number): boolean {
  const match = /^qemu(\+[a-z]+)?:\/\/[^/]*\/(system|session)\b/.exec(uri);
  return match?.[2] === 'system' || (match?.[2] === 'session' && uid === 0);
}

export function libvirtStateDirs(privileged: boolean, env: NodeJS.ProcessEnv = process.env): LibvirtStateDirs {
  if (privileged) return { nvramDir: '/var/lib/libvirt/qemu/nvram', swtpmDir: '/var/lib/libvirt/swtpm' };
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  const base = join(config, 'libvirt');
  return { nvramDir: join(base, 'qemu', 'nvram'), swtpmDir: join(base, 'qemu', 'swtpm') };
}

/**
 * The variable store of a guest we define (Import, Clone): named from its
 * UUID alone, never from a name a bundle or caller chose, and never another
 * guest's. Written into the definition, so libvirt uses it (and makes it from
 * the firmware's template at the first start when no store travelled).
 */
export function nvramPathFor(dirs: LibvirtStateDirs, uuid: string): string {
  return join(dirs.nvramDir, `${uuid.toLowerCase()}_VARS.fd`);
}

/** libvirt's default variable store for a guest of this name (qemuDomainNVRAMPathFormat). */
export function defaultNvramPath(dirs: LibvirtStateDirs, guestName: string): string {
  return join(dirs.nvramDir, `${guestName}_VARS.fd`);
}

/** The directory holding one guest's TPM state (its tpm2/ or tpm1.2/ inside). */
export function tpmStateDir(dirs: LibvirtStateDirs, uuid: string): string {
  return join(dirs.swtpmDir, uuid.toLowerCase());
}
