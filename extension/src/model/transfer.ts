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

/** A job's progress (0..1, as the service says it) in whole percent, never beyond 0..100. */
export function progressPercent(progress: number): number {
  return Math.floor(Math.min(1, Math.max(0, progress)) * 100);
}

/** A name for a clone that no guest has yet: '<name> copy', then '<name> copy 2'… */
export function cloneName(name: string, taken: Iterable<string>): string {
  const names = new Set(taken);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? `${name} copy` : `${name} copy ${n}`;
    if (!names.has(candidate)) return candidate;
  }
}
