// libosinfo's database (the osinfo-db package, /usr/share/osinfo) read with
// fast-xml-parser: every OS's id, name, family, resources and devices, with
// what an OS inherits from the one it derives from or clones. Loaded once,
// on first use, off the files the package keeps up to date.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asList, asNode, asNodes, attribute, child, readXml, text as elementText, type Node } from '../xml/plain.js';
import type { TemplateFamily } from './template.js';

export const DEFAULT_OSINFO_DIRS = ['/usr/share/osinfo', '/etc/osinfo'];

export interface Resources {
  ramMiB?: number;
  nCpus?: number;
  storageGiB?: number;
}

interface RawOs {
  id: string;
  shortIds: string[];
  name: string;
  family: string;
  distro: string;
  version: string;
  parents: string[];
  minimum: Resources;
  recommended: Resources;
  devices: Map<string, boolean>;
  firmware: Map<string, boolean>;
}

/** What the service needs to know about one OS, with inheritance resolved. */
export interface OsProfile {
  id: string;
  name: string;
  /** libosinfo's family (linux, winnt, freebsd…). */
  family: string;
  /** The template our model uses for it. */
  template: TemplateFamily;
  minimum: Resources;
  recommended: Resources;
  /** Which virtio devices the OS drives out of the box. */
  virtio: { block: boolean; net: boolean; gpu: boolean; input: boolean };
  /** Firmware it boots from: UEFI unless libosinfo says it cannot. */
  efi: boolean;
  /** Whether BIOS is ruled out (libosinfo: firmware bios supported='false'). */
  efiOnly: boolean;
  /** Whether the OS or one it derives from is `id` (e.g. Windows 11). */
  derivesFrom: (id: string) => boolean;
}

// PCI ids (vendor 1af4) of virtio devices, legacy and modern.
const VIRTIO = {
  block: ['http://pcisig.com/pci/1af4/1001', 'http://pcisig.com/pci/1af4/1042'],
  net: ['http://pcisig.com/pci/1af4/1000', 'http://pcisig.com/pci/1af4/1041'],
  gpu: ['http://pcisig.com/pci/1af4/1050'],
  input: ['http://pcisig.com/pci/1af4/1052'],
};

/** An element's text as libosinfo means it: its ids and names are never padded. */
const text = (value: unknown): string => elementText(value).trim();

function resources(n: Node): Resources {
  const out: Resources = {};
  const ram = Number(text(n.ram));
  if (ram > 0) out.ramMiB = Math.ceil(ram / 2 ** 20);
  const cpus = Number(text(n['n-cpus']));
  if (cpus > 0) out.nCpus = cpus;
  const storage = Number(text(n.storage));
  if (storage > 0) out.storageGiB = Math.ceil(storage / 2 ** 30);
  return out;
}

function parseOs(node: Node): RawOs {
  // The name in no language of its own (the others are translations).
  const names = asList(node.name).filter((n) => attribute(asNode(n), 'xml:lang') === '');
  const minimum: Resources = {};
  const recommended: Resources = {};
  // x86_64 first, then 'all': the first value found wins.
  const sets = asNodes(node.resources);
  const ordered = [
    ...sets.filter((r) => attribute(r, 'arch') === 'x86_64'),
    ...sets.filter((r) => attribute(r, 'arch') === 'all' || attribute(r, 'arch') === ''),
  ];
  for (const set of ordered) {
    Object.assign(minimum, { ...resources(child(set, 'minimum')), ...minimum });
    Object.assign(recommended, { ...resources(child(set, 'recommended')), ...recommended });
  }
  const devices = new Map<string, boolean>();
  for (const group of asNodes(node.devices)) {
    for (const device of asNodes(group.device)) {
      const id = attribute(device, 'id');
      if (id) devices.set(id, attribute(device, 'supported') !== 'false');
    }
  }
  const firmware = new Map<string, boolean>();
  for (const fw of asNodes(node.firmware)) {
    const arch = attribute(fw, 'arch');
    if (arch !== 'x86_64' && arch !== '') continue;
    const type = attribute(fw, 'type');
    if (type) firmware.set(type, attribute(fw, 'supported') !== 'false');
  }
  const parents = [...asNodes(node['derives-from']), ...asNodes(node.clones)]
    .map((p) => attribute(p, 'id'))
    .filter(Boolean);
  return {
    id: attribute(node, 'id'),
    shortIds: asList(node['short-id']).map(text),
    name: text(names[0]),
    family: text(node.family),
    distro: text(node.distro),
    version: text(node.version),
    parents,
    minimum,
    recommended,
    devices,
    firmware,
  };
}

async function xmlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory()
        ? xmlFiles(join(dir, e.name))
        : Promise.resolve(e.name.endsWith('.xml') ? [join(dir, e.name)] : []),
    ),
  );
  return nested.flat();
}

export function templateFor(family: string): TemplateFamily {
  if (family === 'linux') return 'linux';
  if (family === 'winnt') return 'windows';
  return 'other';
}

export class OsinfoDb {
  /**
   * Every OS in the order a list shows them (by name, numbers as numbers),
   * with what a search looks in, lower-cased: made once, as a search is asked
   * by anybody on the bus and must cost little.
   */
  private readonly listed: { id: string; name: string; haystack: string[] }[];

  private constructor(private readonly all: Map<string, RawOs>) {
    this.listed = [...all.values()]
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
      .map((os) => ({
        id: os.id,
        name: os.name,
        haystack: [os.name, os.id, ...os.shortIds].map((s) => s.toLowerCase()),
      }));
  }

  /** Reads every OS of the database under `dirs` (their os/ folders). */
  static async load(dirs: readonly string[] = DEFAULT_OSINFO_DIRS): Promise<OsinfoDb> {
    const all = new Map<string, RawOs>();
    for (const dir of dirs) {
      const files = await xmlFiles(join(dir, 'os'));
      for (const file of files) {
        const doc = readXml(await readFile(file, 'utf8'));
        for (const os of asNodes(child(doc, 'libosinfo').os)) {
          const parsed = parseOs(os);
          if (parsed.id && parsed.name) all.set(parsed.id, parsed);
        }
      }
    }
    return new OsinfoDb(all);
  }

  get size(): number {
    return this.all.size;
  }

  has(id: string): boolean {
    return this.all.has(id);
  }

  /** (id, name) of every OS whose name, short id or id contains `search` (case-insensitive), by name. */
  search(search: string): [id: string, name: string][] {
    const needle = search.trim().toLowerCase();
    return this.listed
      .filter((os) => !needle || os.haystack.some((s) => s.includes(needle)))
      .map((os) => [os.id, os.name]);
  }

  /** The id of the OS with this exact name (as osinfo-detect names it), or ''. */
  idByName(name: string): string {
    for (const os of this.all.values()) if (os.name === name) return os.id;
    return '';
  }

  /** The OS with what it inherits resolved, or undefined for an id the database lacks. */
  profile(id: string): OsProfile | undefined {
    const os = this.all.get(id);
    if (!os) return undefined;
    const chain = this.chain(os);
    const minimum: Resources = {};
    const recommended: Resources = {};
    const devices = new Map<string, boolean>();
    const firmware = new Map<string, boolean>();
    for (const link of chain) {
      Object.assign(minimum, { ...link.minimum, ...minimum });
      Object.assign(recommended, { ...link.recommended, ...recommended });
      for (const [device, supported] of link.devices) if (!devices.has(device)) devices.set(device, supported);
      for (const [type, supported] of link.firmware) if (!firmware.has(type)) firmware.set(type, supported);
    }
    const has = (ids: string[]): boolean => ids.some((d) => devices.get(d) === true);
    const family = chain.map((l) => l.family).find(Boolean) ?? '';
    const ids = new Set(chain.map((l) => l.id));
    return {
      id: os.id,
      name: os.name,
      family,
      template: templateFor(family),
      minimum,
      recommended,
      virtio: { block: has(VIRTIO.block), net: has(VIRTIO.net), gpu: has(VIRTIO.gpu), input: has(VIRTIO.input) },
      efi: firmware.get('efi') !== false,
      efiOnly: firmware.get('bios') === false,
      derivesFrom: (other) => ids.has(other),
    };
  }

  /** The OS and those it derives from or clones, nearest first, each once. */
  private chain(os: RawOs): RawOs[] {
    const out: RawOs[] = [];
    const seen = new Set<string>();
    const queue = [os];
    while (queue.length > 0) {
      const next = queue.shift() as RawOs;
      if (seen.has(next.id)) continue;
      seen.add(next.id);
      out.push(next);
      for (const parent of next.parents) {
        const found = this.all.get(parent);
        if (found) queue.push(found);
      }
    }
    return out;
  }
}
