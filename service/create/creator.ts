// New guests from Phyllome's model: DescribeInstaller, ListOperatingSystems
// and CreateGuest behind the Manager. Every check that bad input can fail
// runs before anything is made; what is made (the volume) is removed again
// if a later step fails, so a refused CreateGuest leaves nothing behind.

import { randomUUID } from 'node:crypto';
import { Variant, type MessageBus } from '../dbus/bus.js';
import { alreadyExists, errorMessage, invalidArgument, notConnected, SwitcherError, unknownOs } from '../errors.js';
import { callerPath } from '../access/caller-files.js';
import { filesCallerFor, selfCaller } from '../access/worker-caller.js';
import type { FilesClient } from '../guest-files/client.js';
import { guestVolumeName, type Caller, type MediaFound, type MediaRef } from '../guest-files/protocol.js';
import type { GuestRegistry } from '../guests/registry.js';
import type { Journal } from '../jobs/journal.js';
import type { LibvirtClient } from '../libvirt/client.js';
import { domainByName } from '../libvirt/domain.js';
import { poolSpace } from '../libvirt/storage-pool.js';
import {
  createRawVolume,
  deleteVolume,
  volumeByName,
  volumeFilePath,
  type VolumeCapacity,
} from '../libvirt/storage-vol.js';
import { log } from '../log.js';
import type { GuestModel } from './guest-model.js';
import { validateGuestName } from './guest-name.js';
import type { OsinfoDb, OsProfile } from './osinfo.js';
import { modelDefinition } from './model-definition.js';
import { offer, planGuest, SIZE_LIMITS, UNKNOWN_OS_ID, type PlannedDisk, type Placement } from './plan.js';
import { count } from '../readable.js';

/** What the creator works with, by name. */
export interface CreatorParts {
  client: LibvirtClient;
  registry: GuestRegistry;
  serviceBus: MessageBus;
  files: FilesClient;
  journal: Journal;
  /** Phyllome's model on this host, shared with Import. */
  model: GuestModel;
  /**
   * Whether QEMU runs as another user than the caller (the system daemon): installers are then copied
   * into a volume of the guest's, which QEMU can read and nobody can swap.
   */
  copyMedia: boolean;
}

export interface CreateOptions {
  memoryMiB?: number;
  vcpus?: number;
  diskGiB?: number;
  drivers?: string;
}

const MAX_SEARCH = 256;
/** An installer's copy into its volume: at the disk's pace, bounded all the same. */
const COPY_MEDIA_DEADLINE_MS = 15 * 60_000;

/** The D-Bus integer types an option of ours takes; t and u are what the contract's clients send. */
const INTEGER_TYPES = new Set(['y', 'n', 'q', 'i', 'u', 'x', 't']);
const TYPE_NAMES: Record<string, string> = { s: 'a string', o: 'an object path', b: 'a boolean', d: 'a double' };

/** CreateGuest's options (a{sv}) as numbers and strings, refusing a wrong type or size with what it takes. */
export function parseCreateOptions(options: Record<string, unknown>): CreateOptions {
  const out: CreateOptions = {};
  const integer = (key: string, variant: Variant, limit: number, unit: string): number => {
    const { signature, value } = variant;
    if (!INTEGER_TYPES.has(signature)) {
      const shown = typeof value === 'string' ? `: '${value}'` : typeof value === 'number' ? `: ${value}` : '';
      throw invalidArgument(
        `Option ${key} takes an unsigned integer (D-Bus type t or u), not ${TYPE_NAMES[signature] ?? 'a value'} (${signature})${shown}`,
      );
    }
    const n = BigInt(value as number | bigint);
    if (n <= 0n) throw invalidArgument(`Option ${key} takes a positive integer, not ${n}`);
    if (n > BigInt(limit)) throw invalidArgument(`Option ${key} is at most ${limit} (${unit}), not ${n}`);
    return Number(n);
  };
  for (const [key, raw] of Object.entries(options ?? {})) {
    const variant = raw instanceof Variant ? raw : new Variant('', (raw as { value?: unknown })?.value);
    switch (key) {
      case 'memory-mib':
        out.memoryMiB = integer(key, variant, SIZE_LIMITS.memoryMiB, 'MiB');
        break;
      case 'vcpus':
        out.vcpus = integer(key, variant, SIZE_LIMITS.vcpus, 'vCPUs');
        break;
      case 'disk-gib':
        out.diskGiB = integer(key, variant, SIZE_LIMITS.diskGiB, 'GiB');
        break;
      case 'drivers-iso':
        if (typeof variant.value !== 'string')
          throw invalidArgument(`Option drivers-iso takes a path, a string (s), not ${variant.signature || 'that'}`);
        if (variant.value) out.drivers = variant.value;
        break;
      default:
        throw invalidArgument(
          `Unknown option '${key.slice(0, 64)}'; CreateGuest takes memory-mib, vcpus, disk-gib, drivers-iso`,
        );
    }
  }
  return out;
}

export class GuestCreator {
  /** Names being created now, so two calls cannot race to one name. */
  private readonly pending = new Set<string>();

  constructor(private readonly parts: CreatorParts) {}

  /** libosinfo's database, read once, on first use. */
  osinfo(): Promise<OsinfoDb> {
    return this.parts.model.osinfo();
  }

  async listOperatingSystems(search: string): Promise<[string, string][]> {
    if (search.length > MAX_SEARCH) throw invalidArgument(`A search is at most ${MAX_SEARCH} characters`);
    return (await this.osinfo()).search(search);
  }

  /** Who a worker reads a caller's installers as: the caller, as the bus vouches for it. */
  private async caller(sender: string | undefined): Promise<Caller> {
    return (await filesCallerFor(this.parts.serviceBus, sender)) ?? selfCaller();
  }

  /** Installers read by a worker run as the caller (and the OS libosinfo sees on each, when `detect`). */
  private async inspect(caller: Caller, media: MediaRef[], detect: boolean): Promise<MediaFound[]> {
    const { media: found } = await this.parts.files.ask({ op: 'inspect-media', caller, media, detect });
    return found;
  }

  /** The OS on an installer ISO, its sizes on this host, and what the host lacks for it. */
  async describeInstaller(path: string, sender: string | undefined): Promise<Record<string, Variant>> {
    // What the string is (absolute, not too long) is told at once; what is there, by the caller's worker.
    callerPath(path, 'The installer path');
    const [found] = await this.inspect(await this.caller(sender), [{ path, what: 'installer' }], true);
    const file = (found as MediaFound).path;
    const db = await this.osinfo();
    const name = (found as MediaFound).osName;
    const id = name ? db.idByName(name) : '';
    const profile = db.profile(id || UNKNOWN_OS_ID) as OsProfile;
    const result: Record<string, Variant> = {
      id: new Variant('s', id),
      name: new Variant('s', id ? profile.name : ''),
      path: new Variant('s', file),
    };
    try {
      this.requireConnected();
      const host = await this.parts.model.capabilities();
      const described = offer(profile, host, await this.placement());
      const sizes = (prefix: string, s: { memoryMiB: number; vcpus: number; diskGiB?: number }): void => {
        result[`${prefix}memory-mib`] = new Variant('t', BigInt(s.memoryMiB));
        result[`${prefix}vcpus`] = new Variant('u', s.vcpus);
        if (s.diskGiB !== undefined) result[`${prefix}disk-gib`] = new Variant('t', BigInt(Math.floor(s.diskGiB)));
      };
      result.family = new Variant('s', described.family);
      sizes('', described.defaults);
      sizes('min-', described.minimum);
      sizes('max-', described.maximum);
      result.warnings = new Variant('as', described.warnings);
    } catch (error) {
      // What the host cannot do for this OS is part of the description, not a failure to describe.
      if (!(error instanceof SwitcherError) || error.kind === 'NotConnected' || error.kind === 'Timeout') throw error;
      result.family = new Variant('s', profile.template);
      result.warnings = new Variant('as', [error.message]);
      result.unsupported = new Variant('s', error.message);
    }
    return result;
  }

  /** Defines a new guest, off, with its installer attached; returns our object path for it. */
  async createGuest(
    name: string,
    osId: string,
    installerPath: string,
    rawOptions: Record<string, unknown>,
    sender: string | undefined,
    /** Whether the caller may create: asked once the input is checked, before anything is made. */
    authorize: () => Promise<void> = () => Promise.resolve(),
  ): Promise<string> {
    const options = parseCreateOptions(rawOptions);
    validateGuestName(name);
    this.requireConnected();
    if (this.pending.has(name)) throw alreadyExists(`A guest named '${name}' is being created`);
    this.pending.add(name);
    try {
      return await this.create(name, osId, installerPath, options, sender, authorize);
    } finally {
      this.pending.delete(name);
    }
  }

  private async create(
    name: string,
    osId: string,
    installerPath: string,
    options: CreateOptions,
    sender: string | undefined,
    authorize: () => Promise<void>,
  ): Promise<string> {
    const started = Date.now();
    callerPath(installerPath, 'The installer path');
    if (options.drivers) callerPath(options.drivers, 'The drivers-iso path');
    await this.requireFreeName(name);
    const caller = await this.caller(sender);
    const media: MediaRef[] = [
      { path: installerPath, what: 'installer' },
      ...(options.drivers ? [{ path: options.drivers, what: 'drivers-iso' as const }] : []),
    ];
    const [installerFound, driversFound] = (await this.inspect(caller, media, !osId)) as [
      MediaFound,
      MediaFound | undefined,
    ];
    const installer = installerFound.path;
    const drivers = driversFound?.path;
    const db = await this.osinfo();
    let id = osId;
    if (id && !db.has(id)) throw unknownOs(`libosinfo knows no OS '${id}'; ListOperatingSystems lists those it knows`);
    if (!id) id = (installerFound.osName && db.idByName(installerFound.osName)) || UNKNOWN_OS_ID;
    const profile = db.profile(id) as OsProfile;
    const host = await this.parts.model.capabilities();
    const placement = await this.placement();
    const request = {
      name,
      uuid: randomUUID(),
      installer,
      ...(drivers ? { drivers } : {}),
      ...(options.memoryMiB !== undefined ? { memoryMiB: options.memoryMiB } : {}),
      ...(options.vcpus !== undefined ? { vcpus: options.vcpus } : {}),
      ...(options.diskGiB !== undefined ? { diskGiB: options.diskGiB } : {}),
    };
    // Everything the input can fail on, before anything is made.
    planGuest(profile, host, placement, request);
    const template = this.parts.model.template(profile.template);
    await authorize();

    const pool = await this.parts.model.ensurePool();
    const info = await poolSpace(this.parts.client, pool);
    let plan = planGuest(profile, host, { ...placement, poolCapacityGiB: info.capacityGiB }, request);
    // Every volume named from the UUID, never from the name (so the helper can tell they are this guest's).
    const [planned] = plan.disks as [PlannedDisk];
    const disk = guestVolumeName(request.uuid, planned.dev, planned.format);
    const isos = this.parts.copyMedia
      ? [installerFound, ...(driversFound ? [driversFound] : [])].map((found, i) => ({
          found,
          what: (media[i] as MediaRef).what,
          name: guestVolumeName(request.uuid, i === 0 ? 'installer' : 'drivers', 'iso'),
        }))
      : [];
    for (const volumeName of [disk, ...isos.map((iso) => iso.name)]) {
      if (await volumeByName(this.parts.client, pool.path, volumeName)) {
        throw alreadyExists(`The storage pool already has a volume ${volumeName}; it is left as it is`);
      }
    }
    const key = `create-${Date.now().toString(36)}-${process.pid}`;
    const journal = await this.parts.journal.begin(key, { op: 'create', uuid: request.uuid });
    const made: { volume: string; name: string }[] = [];
    /** A volume recorded in the journal before it is made; its file. */
    const makeVolume = async (volumeName: string, capacity: VolumeCapacity): Promise<string> => {
      await journal.record({ made: 'volume', pool: pool.name, volume: volumeName });
      const volume = await createRawVolume(this.parts.client, pool, volumeName, capacity);
      made.push({ volume, name: volumeName });
      return volumeFilePath(this.parts.client, volume);
    };
    let libvirtPath: string;
    try {
      const diskFile = await makeVolume(disk, { gib: plan.sizes.diskGiB });
      if (isos.length > 0) {
        // What the guest boots is the installer as the caller read it when it was copied, in a volume of its own.
        const copies: string[] = [];
        for (const iso of isos) copies.push(await makeVolume(iso.name, { bytes: iso.found.size }));
        const call = await this.parts.files.request(
          {
            op: 'copy-media',
            job: key,
            caller,
            uuid: request.uuid,
            media: isos.map((iso) => ({ path: iso.found.path, what: iso.what, pool: pool.name, volume: iso.name })),
          },
          {},
          COPY_MEDIA_DEADLINE_MS,
        );
        await call.result();
        request.installer = copies[0] as string;
        if (copies[1]) request.drivers = copies[1];
        plan = planGuest(profile, host, { ...placement, poolCapacityGiB: info.capacityGiB }, request);
      }
      const xml = modelDefinition(template, plan, new Map([[planned.dev, diskFile]]));
      libvirtPath = await this.parts.client.defineXml(xml);
    } catch (error) {
      for (const volume of made.reverse()) {
        await deleteVolume(this.parts.client, volume.volume).catch((e: unknown) => {
          log.error(`CreateGuest ${name}: could not remove the volume ${volume.name} again: ${errorMessage(e)}`);
        });
      }
      await journal.finish();
      throw error;
    }
    await journal.finish();
    for (const warning of plan.warnings) log.warning(`CreateGuest ${name}: ${warning}`);
    const guest = this.parts.registry.get(libvirtPath) ?? (await this.parts.registry.refresh(libvirtPath));
    log.info(
      `CreateGuest ${name}: ${profile.name} from the ${plan.family} model, ${plan.sizes.memoryMiB} MiB, ${count(plan.sizes.vcpus, 'vCPU')}, ${plan.sizes.diskGiB} GiB in ${Date.now() - started} ms`,
    );
    if (!guest) throw new SwitcherError('Libvirt', `libvirt defined ${name} but does not show it`);
    return guest.path;
  }

  private async requireFreeName(name: string): Promise<void> {
    if (this.parts.registry.find(name)) throw alreadyExists(`A guest named '${name}' exists already`);
    if (await domainByName(this.parts.client, name)) throw alreadyExists(`A guest named '${name}' exists already`);
  }

  private placement(): Promise<Placement> {
    return this.parts.model.placement();
  }

  private requireConnected(): void {
    if (!this.parts.registry.connected) throw notConnected('libvirt is not reachable right now');
  }
}
