// Export, Clone, Import and Move to: which a guest offers in its state, and
// how a job's progress reads. Pure, so it is tested without the Shell. The
// service has the last word on what is allowed.

export type TransferAction = 'Export' | 'Clone' | 'MigrateTo';
export type JobOperation = 'export' | 'import' | 'clone' | 'migrate';

const OFF = ['shutoff', 'crashed'];
const LIVE = ['running', 'paused'];

/** The transfers that make sense for a guest in this state, in menu order. */
export function transfersFor(state: string): TransferAction[] {
  if (OFF.includes(state)) return ['Export', 'Clone'];
  if (LIVE.includes(state)) return ['MigrateTo'];
  return [];
}

/** Bytes as a person reads them: 1.2 GB, 340 MB, 12 kB (decimal units, like Files). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} ${units[0]}`;
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** '42 % — 1.2 GB of 2.8 GB', or just the percentage when the total is not known yet. */
export function progressText(progress: number, done: number, total: number): string {
  const percent = `${Math.floor(Math.min(1, Math.max(0, progress)) * 100)} %`;
  return total > 0 ? `${percent} — ${formatBytes(done)} of ${formatBytes(total)}` : percent;
}

/** A name for a clone that no guest has yet: '<name> copy', then '<name> copy 2'… */
export function cloneName(name: string, taken: Iterable<string>): string {
  const names = new Set(taken);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? `${name} copy` : `${name} copy ${n}`;
    if (!names.has(candidate)) return candidate;
  }
}

/** Whether a path a person typed can be sent as is: absolute, after '~/' is expanded. */
export function expandPath(path: string, home: string): string {
  const trimmed = path.trim();
  if (trimmed === '~') return home;
  if (trimmed.startsWith('~/')) return `${home.replace(/\/$/, '')}/${trimmed.slice(2)}`;
  return trimmed;
}
