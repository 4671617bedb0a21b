// Where a guest's files are, as the guest-files helper finds them itself:
// from libvirt's own definition of a UUID (the disks it names, resolving
// volumes through libvirt's storage API; the UEFI variables it names or
// libvirt's default for it; the TPM state libvirt keeps by UUID), and where
// the files of a guest the helper makes go — named from the UUID alone.
// The service says which UUID; libvirt says the rest.

import { join } from 'node:path';
import { alreadyExists, invalidState, noSuchGuest, SwitcherError } from '../errors.js';
import type { LibvirtClient } from '../libvirt/client.js';
import { domainByUuid, inactiveXml } from '../libvirt/domain.js';
import { poolByName } from '../libvirt/storage-pool.js';
import { volumeByName, volumeFilePath } from '../libvirt/storage-vol.js';
import { readDefinition, type GuestDefinition, type GuestDisk } from '../bundle/guest-definition.js';
import { defaultNvramPath, tpmStateDir, type LibvirtStateDirs } from '../libvirt/state-dirs.js';
import type { VolumeRef } from '../guest-files/protocol.js';

// virDomainState
const SHUTOFF = 5;
const CRASHED = 6;

export interface LocatedGuest {
  domain: string;
  xml: string;
  definition: GuestDefinition;
}

export class GuestLocator {
  constructor(
    readonly client: LibvirtClient,
    readonly dirs: LibvirtStateDirs,
  ) {}

  /** libvirt's definition of the guest with this UUID (as it would start next); NoSuchGuest when there is none. */
  async guest(uuid: string): Promise<LocatedGuest> {
    const domain = await domainByUuid(this.client, uuid);
    if (!domain) throw noSuchGuest(`with UUID ${uuid}`);
    const xml = await inactiveXml(this.client, domain);
    const definition = readDefinition(xml);
    if (definition.uuid !== uuid)
      throw new SwitcherError('Internal', `libvirt answered UUID ${uuid} with another guest`);
    return { domain, xml, definition };
  }

  /** Whether libvirt has a guest of this UUID (whose files then are its own). */
  async isDefined(uuid: string): Promise<boolean> {
    return (await domainByUuid(this.client, uuid)) !== undefined;
  }

  /** Refuses a UUID libvirt has: the files made for it would be another guest's. */
  async requireUndefined(uuid: string): Promise<void> {
    if (await this.isDefined(uuid)) throw alreadyExists(`A guest with UUID ${uuid} already exists here`);
  }

  /** Whether the guest is off (shut off or crashed), as libvirt says now. */
  async isOff(domain: string): Promise<boolean> {
    const [state] = await this.client.domainState(domain);
    return state === SHUTOFF || state === CRASHED;
  }

  /** The file a disk is: its path, or its volume's file, through libvirt. */
  async diskFile(disk: GuestDisk): Promise<string> {
    if ('file' in disk.source) return disk.source.file;
    const file = await this.volumeFile({ pool: disk.source.pool, volume: disk.source.volume });
    if (!file) {
      throw invalidState(
        `Disk ${disk.target}: libvirt has no volume ${disk.source.volume} in pool ${disk.source.pool}`,
      );
    }
    return file;
  }

  /** A volume's file, as libvirt's pool has it; undefined when the pool or the volume is not there. */
  async volumeFile(ref: VolumeRef): Promise<string | undefined> {
    const pool = await poolByName(this.client, ref.pool);
    const volume = pool && (await volumeByName(this.client, pool.path, ref.volume));
    return volume ? volumeFilePath(this.client, volume) : undefined;
  }

  /** The guest's variable store on this host as libvirt names it (or its default), if UEFI. */
  nvramPath(definition: GuestDefinition): string | undefined {
    return definition.nvramPath ?? (definition.uefi ? defaultNvramPath(this.dirs, definition.name) : undefined);
  }

  /** The variable store the helper makes for a guest: named by UUID, never by a name. */
  newNvram(uuid: string): { folder: string; name: string; path: string } {
    const name = `${uuid}_VARS.fd`;
    return { folder: this.dirs.nvramDir, name, path: join(this.dirs.nvramDir, name) };
  }

  /** The guest's TPM state folder, libvirt's by UUID. */
  tpmDir(uuid: string): string {
    return tpmStateDir(this.dirs, uuid);
  }
}
