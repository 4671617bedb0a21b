// What the New Guest window proposes, from what DescribeInstaller said.
// Pure, so it is tested on its own.

/** A guest name for an OS: its name with spaces as dashes, made unique among `taken`. */
export function proposeGuestName(osName: string, taken: readonly string[]): string {
  const base =
    osName
      .replace(/^Microsoft\s+/, '')
      .replace(/[^A-Za-z0-9._+-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+|-+$/g, '')
      .slice(0, 50) || 'guest';
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) if (!taken.includes(`${base}-${i}`)) return `${base}-${i}`;
}

export interface InstallerDescription {
  id: string;
  name: string;
  family: string;
  memoryMiB: number;
  vcpus: number;
  diskGiB: number;
  min: { memoryMiB: number; vcpus: number; diskGiB: number };
  max: { memoryMiB: number; vcpus: number; diskGiB: number };
  warnings: string[];
  unsupported: string;
}

const DISK_LIMIT_GIB = 64 * 1024;

/** DescribeInstaller's a{sv}, unpacked, with the limits a spin button needs. */
export function readDescription(d: Record<string, unknown>): InstallerDescription {
  const n = (key: string, fallback: number): number => {
    const value = d[key];
    return typeof value === 'number' || typeof value === 'bigint' ? Number(value) : fallback;
  };
  const s = (key: string): string => (typeof d[key] === 'string' ? (d[key] as string) : '');
  const min = { memoryMiB: n('min-memory-mib', 128), vcpus: n('min-vcpus', 1), diskGiB: n('min-disk-gib', 1) };
  const max = {
    memoryMiB: Math.max(min.memoryMiB, n('max-memory-mib', 1024 * 1024)),
    vcpus: Math.max(min.vcpus, n('max-vcpus', 64)),
    diskGiB: Math.max(min.diskGiB, n('max-disk-gib', DISK_LIMIT_GIB)),
  };
  return {
    id: s('id'),
    name: s('name'),
    family: s('family'),
    memoryMiB: n('memory-mib', min.memoryMiB),
    vcpus: n('vcpus', min.vcpus),
    diskGiB: n('disk-gib', Math.max(min.diskGiB, 32)),
    min,
    max,
    warnings: Array.isArray(d.warnings) ? (d.warnings as unknown[]).map(String) : [],
    unsupported: s('unsupported'),
  };
}
