// Where a file keeps its data: the extents lseek(2)'s SEEK_DATA/SEEK_HOLE
// report, so a copy reads and writes only those and a sparse disk stays
// sparse. Node has no lseek, so perl-base (essential on Debian) asks the
// kernel, on the very file descriptor we opened. Where that fails, the whole
// file counts as data and the copy still skips blocks of zeros (cp
// --sparse=always's way), only slower: never a byte lost.

import { spawnOwned } from '../owned-process.js';
import { log } from '../log.js';
import { errorMessage } from '../errors.js';

export interface Extent {
  /** Bytes from the start of the file. */
  offset: number;
  length: number;
}

// Prints "offset length" per data extent of standard input. ENXIO from
// SEEK_DATA means no data after that point; any other failure is an error
// (exit 3), never "no data".
const SEEK_SCRIPT = `
my $size = -s STDIN; my $o = 0;
while ($o < $size) {
  my $d = sysseek(STDIN, $o, 3);
  if (!defined $d) { last if $!{ENXIO}; print STDERR "SEEK_DATA: $!\\n"; exit 3; }
  $d += 0;
  my $h = sysseek(STDIN, $d, 4);
  if (!defined $h) { print STDERR "SEEK_HOLE: $!\\n"; exit 3; }
  $h += 0;
  print "$d ", $h - $d, "\\n";
  $o = $h;
}
`;

const MAP_TIMEOUT_MS = 30_000;
let warnedFallback = false;

/** The whole file as one extent. */
export function wholeFile(size: number): Extent[] {
  return size > 0 ? [{ offset: 0, length: size }] : [];
}

/**
 * Parses "offset length" lines into extents, which must be in order, apart
 * and inside the file; anything else is an error.
 */
export function parseDataMap(text: string, size: number): Extent[] {
  const extents: Extent[] = [];
  let end = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const match = /^(\d+) (\d+)$/.exec(line.trim());
    if (!match) throw new Error(`unexpected data map line '${line.slice(0, 80)}'`);
    const offset = Number(match[1]);
    const length = Number(match[2]);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || length <= 0 || offset < end) {
      throw new Error(`data map extent ${offset}+${length} out of order`);
    }
    if (offset + length > size) throw new Error(`data map extent ${offset}+${length} past the end (${size})`);
    extents.push({ offset, length });
    end = offset + length;
  }
  return extents;
}

export function dataBytes(extents: readonly Extent[]): number {
  return extents.reduce((sum, e) => sum + e.length, 0);
}

/** The data extents of an open regular file of `size` bytes (its descriptor, ours or inherited). */
export async function dataMap(file: { fd: number }, size: number): Promise<Extent[]> {
  try {
    const text = await runSeekScript(file);
    return parseDataMap(text, size);
  } catch (error) {
    if (!warnedFallback) {
      warnedFallback = true;
      log.warning(`no SEEK_DATA map (${errorMessage(error)}); copying whole files, skipping zeros`);
    }
    return wholeFile(size);
  }
}

function runSeekScript(file: { fd: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnOwned('perl', ['-e', SEEK_SCRIPT], { stdio: [file.fd, 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), MAP_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new Error(`perl ${signal ?? `exited ${code}`}: ${Buffer.concat(err).toString().trim()}`));
    });
  });
}
