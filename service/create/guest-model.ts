// Phyllome's model on this host: what a definition from the model needs to
// know here, asked of libvirt and read from the host once per use —
// libosinfo's database, the host's domain capabilities, where guests' disks
// go (the 'default' pool, made when missing) and their network cards
// (libvirt's 'default' network, or user-mode networking), and the templates.
// CreateGuest and Import both ask it, so a guest is made one way whichever
// made it.

import type { LibvirtClient } from '../libvirt/client.js';
import { networkState } from '../libvirt/network.js';
import {
  DEFAULT_POOL,
  defaultPoolPath,
  ensurePool,
  poolByName,
  poolSpace,
  type PoolInfo,
} from '../libvirt/storage-pool.js';
import { log } from '../log.js';
import { count } from '../readable.js';
import { SwitcherError } from '../errors.js';
import { HostProbe, type HostCapabilities } from '../libvirt/host.js';
import { DEFAULT_OSINFO_DIRS, OsinfoDb, type OsProfile } from './osinfo.js';
import { UNKNOWN_OS_ID, type Placement } from './plan.js';
import { readTemplate, type TemplateFamily } from './template.js';

export interface GuestModelOptions {
  uri: string;
  /** libosinfo's database folders (default: osinfo-db's). */
  osinfoDirs?: readonly string[];
  /** Where the default pool goes when it must be created (default: libvirt's place for the URI). */
  poolPath?: string;
  /** Where the templates are (default: data/domain-templates, found like the contract). */
  templateDir?: string;
  /** qemu: software emulation even where the host has KVM. */
  virtType?: 'kvm' | 'qemu';
}

/** Vendors of Linux distributions in libosinfo's ids, for an id this host's database is too old to know. */
const LINUX_VENDORS =
  /^https?:\/\/([a-z0-9-]+\.)*(fedoraproject|redhat|centos|rockylinux|almalinux|debian|ubuntu|opensuse|suse|archlinux|gentoo|mageia|alpinelinux|linuxmint|kali|nixos|voidlinux|slackware|manjaro|elementary|endlessos|pop-os|oracle\.com\/ol)\b/;

/**
 * The OS of a guest made elsewhere: libosinfo's profile of its id, or for an
 * id this database lacks (a newer OS, or none given) the generic one under
 * that id, its family guessed from the id, and a warning saying so. Pure.
 */
export function profileOf(db: OsinfoDb, id: string): { profile: OsProfile; warning?: string } {
  const known = id ? db.profile(id) : undefined;
  if (known) return { profile: known };
  const generic = db.profile(UNKNOWN_OS_ID) as OsProfile;
  const template = /^https?:\/\/microsoft\.com\/win/.test(id) ? 'windows' : LINUX_VENDORS.test(id) ? 'linux' : 'other';
  return {
    profile: { ...generic, id: id || generic.id, template },
    ...(id
      ? { warning: `libosinfo on this host does not know ${id}: the guest gets the ${template} model's devices` }
      : {}),
  };
}

export class GuestModel {
  private db: Promise<OsinfoDb> | undefined;
  private readonly host: HostProbe;
  private readonly poolPath: string;

  constructor(
    private readonly client: LibvirtClient,
    private readonly options: GuestModelOptions,
  ) {
    this.host = new HostProbe(client, options.virtType);
    this.poolPath = options.poolPath ?? defaultPoolPath(options.uri);
  }

  /** libosinfo's database, read once, on first use. */
  osinfo(): Promise<OsinfoDb> {
    this.db ??= OsinfoDb.load(this.options.osinfoDirs ?? DEFAULT_OSINFO_DIRS).then((db) => {
      if (db.size === 0) {
        this.db = undefined;
        throw new SwitcherError('MissingHostFeature', "libosinfo's database is not installed: install osinfo-db");
      }
      log.info(`libosinfo: ${count(db.size, 'operating system')}`);
      return db;
    });
    return this.db;
  }

  /** What the host offers a guest (libvirt's domain capabilities, memory, CPUs). */
  capabilities(): Promise<HostCapabilities> {
    return this.host.capabilities();
  }

  template(family: TemplateFamily): string {
    return readTemplate(family, this.options.templateDir);
  }

  /** libvirt's 'default' pool, active: made and started when it is not (a fresh host). */
  ensurePool(): Promise<PoolInfo> {
    return ensurePool(this.client, DEFAULT_POOL, this.poolPath);
  }

  /** User-mode networking on a session connection, or where the system has no active 'default' network. */
  async placement(): Promise<Placement> {
    const pool = await poolByName(this.client, DEFAULT_POOL);
    const info = pool ? await poolSpace(this.client, pool) : undefined;
    // An inactive pool tells no size; the pool is started at creation and checked then.
    const poolCapacityGiB = info?.running ? info.capacityGiB : undefined;
    const base = poolCapacityGiB !== undefined ? { poolCapacityGiB } : {};
    if (this.options.uri !== 'qemu:///system') return { userNetworking: true, network: '', ...base };
    // Whatever keeps libvirt from telling (a network gone meanwhile) is no network.
    const state = await networkState(this.client, 'default').catch(() => undefined);
    if (state === 'active') return { userNetworking: false, network: 'default', ...base };
    return {
      userNetworking: true,
      network: '',
      networkWarning:
        state === 'inactive'
          ? "libvirt's 'default' network is not active: user-mode networking"
          : "libvirt has no 'default' network: user-mode networking",
      ...base,
    };
  }
}
