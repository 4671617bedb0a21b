// What a qcow2 image's header says it reaches beyond itself, read from its
// first cluster. A small pure parser of docs/interop/qcow2.txt in QEMU rather
// than `qemu-img info`: run as root on an imported image, qemu-img would open
// whatever file the header names (its backing file, its external data file);
// run as the caller, it could not read root's copy, and the caller's own copy
// may still change. So the helper reads the bytes it holds and this decides.

/** Only these two versions exist; qcow (version 1) is another driver. */
const VERSIONS = new Set([2, 3]);
const MAGIC = 0x514649fb; // "QFI\xfb"
const V2_HEADER_LENGTH = 72;
const MIN_CLUSTER_BITS = 9;
/** QEMU opens no image with larger clusters (2 MiB). */
const MAX_CLUSTER_BITS = 21;

// Header extension types.
const END_OF_EXTENSIONS = 0x00000000;
const BACKING_FORMAT = 0xe2792aca;
const ENCRYPTION_HEADER = 0x0537be77;
const DATA_FILE_NAME = 0x44415441;

// Incompatible feature bits.
const DIRTY = 1n << 0n;
const CORRUPT = 1n << 1n;
const EXTERNAL_DATA = 1n << 2n;
const COMPRESSION_TYPE = 1n << 3n;
const EXTENDED_L2 = 1n << 4n;
const KNOWN_INCOMPATIBLE = DIRTY | CORRUPT | EXTERNAL_DATA | COMPRESSION_TYPE | EXTENDED_L2;

const CRYPT_METHODS: Record<number, string> = { 1: 'AES', 2: 'LUKS' };

/** How many bytes from the start of an image this needs at most: QEMU's largest cluster. */
export const QCOW2_HEADER_BYTES = 1 << MAX_CLUSTER_BITS;

export interface Qcow2Header {
  version: number;
  clusterBits: number;
  /** The disk's size as the guest sees it. */
  virtualSize: bigint;
  backingFile: string | undefined;
  cryptMethod: number;
  incompatibleFeatures: bigint;
  /** Header extension types found, in order (without the end marker). */
  extensions: number[];
}

/** Whether the bytes start like a qcow2 image of any version (the magic alone). */
export function hasQcow2Magic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && Buffer.from(bytes.buffer, bytes.byteOffset, 4).readUInt32BE(0) === MAGIC;
}

/**
 * Parses the header and its extensions from the first bytes of an image (at
 * least its first cluster, or the whole file if shorter). Throws an Error
 * saying what is wrong when it is not a qcow2 header this can read.
 */
export function parseQcow2Header(bytes: Uint8Array): Qcow2Header {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!hasQcow2Magic(data)) throw new Error('it is not a qcow2 image (no QFI\\xfb at its start)');
  if (data.length < V2_HEADER_LENGTH) throw new Error('its qcow2 header is cut short');
  const version = data.readUInt32BE(4);
  if (!VERSIONS.has(version)) throw new Error(`it is qcow2 version ${version}, which QEMU does not open as qcow2`);
  const backingOffset = data.readBigUInt64BE(8);
  const backingSize = data.readUInt32BE(16);
  const clusterBits = data.readUInt32BE(20);
  if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
    throw new Error(`its clusters are 2^${clusterBits} bytes, which QEMU does not open`);
  }
  const clusterSize = 1 << clusterBits;
  const virtualSize = data.readBigUInt64BE(24);
  const cryptMethod = data.readUInt32BE(32);
  let incompatibleFeatures = 0n;
  let headerLength = V2_HEADER_LENGTH;
  if (version >= 3) {
    if (data.length < 104) throw new Error('its qcow2 version 3 header is cut short');
    incompatibleFeatures = data.readBigUInt64BE(72);
    headerLength = data.readUInt32BE(100);
    if (headerLength < 104 || headerLength % 8 !== 0 || headerLength > clusterSize) {
      throw new Error(`its header length ${headerLength} is not one qcow2 allows`);
    }
  }
  // Header extensions follow the header, within the first cluster.
  const extensions: number[] = [];
  const area = Math.min(clusterSize, data.length);
  let offset = headerLength;
  for (;;) {
    if (offset + 8 > area) throw new Error('its header extensions run past its first cluster');
    const type = data.readUInt32BE(offset);
    const length = data.readUInt32BE(offset + 4);
    if (type === END_OF_EXTENSIONS) break;
    const padded = Math.ceil(length / 8) * 8;
    if (offset + 8 + padded > area) throw new Error('a header extension runs past its first cluster');
    extensions.push(type);
    offset += 8 + padded;
  }
  let backingFile: string | undefined;
  if (backingOffset !== 0n) {
    const start = Number(backingOffset);
    if (!Number.isSafeInteger(start) || start + backingSize > data.length) {
      backingFile = '(a name outside its first cluster)';
    } else {
      backingFile = data.subarray(start, start + Math.min(backingSize, 1023)).toString('latin1');
    }
  }
  return {
    version,
    clusterBits,
    virtualSize,
    backingFile,
    cryptMethod,
    incompatibleFeatures,
    extensions,
  };
}

/** Control characters of a name shown escaped: it comes from the image, not from us. */
const shown = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).slice(0, 200);

/**
 * What makes an image more than its own data, each as a phrase ("a backing
 * file …"), or nothing: a backing file (named in the header or by its format
 * extension), an external data file (the feature bit or its name
 * extension), encryption (its keys do not travel), an image marked corrupt,
 * and any incompatible feature this does not know.
 */
export function qcow2Problems(header: Qcow2Header): string[] {
  const problems: string[] = [];
  if (header.backingFile !== undefined) problems.push(`a backing file (${shown(header.backingFile)})`);
  else if (header.extensions.includes(BACKING_FORMAT)) problems.push('a backing file format');
  if ((header.incompatibleFeatures & EXTERNAL_DATA) !== 0n || header.extensions.includes(DATA_FILE_NAME)) {
    problems.push('an external data file');
  }
  if (header.cryptMethod !== 0 || header.extensions.includes(ENCRYPTION_HEADER)) {
    problems.push(`${CRYPT_METHODS[header.cryptMethod] ?? 'an unknown'} encryption, whose keys do not travel`);
  }
  if ((header.incompatibleFeatures & CORRUPT) !== 0n) problems.push('the mark of a corrupt image');
  const unknown = header.incompatibleFeatures & ~KNOWN_INCOMPATIBLE;
  if (unknown !== 0n) problems.push(`incompatible features unknown here (0x${unknown.toString(16)})`);
  return problems;
}

/**
 * Why an image of `format` in these first bytes may not be taken as data, or
 * undefined when it may. Raw images have no header to check: libvirt is
 * always told their format, so QEMU reads them as bytes. Other formats are
 * not taken at all.
 */
export function imageRefusal(format: string, firstBytes: Uint8Array): string | undefined {
  if (format === 'raw') return undefined;
  if (format !== 'qcow2') return `it is a ${format} image; only raw and qcow2 images are taken`;
  let header: Qcow2Header;
  try {
    header = parseQcow2Header(firstBytes);
  } catch (error) {
    return (error as Error).message;
  }
  const problems = qcow2Problems(header);
  return problems.length > 0 ? `it is a qcow2 image with ${problems.join(', ')}` : undefined;
}
