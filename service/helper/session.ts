// What every request of the guest-files helper works with: libvirt's view
// of the guests, the way to start workers, its journal and staging folder,
// and its line back to the service (progress, a pause for 'go', a cancel).

import type { Journal } from '../jobs/journal.js';
import type { GuestLocator } from './guest-locator.js';
import type { WorkerLauncher } from './worker-launcher.js';

export interface HelperParts {
  locator: GuestLocator;
  launcher: WorkerLauncher;
  journal: Journal;
  /** A folder of the helper's own, root's alone: flattened images wait there for a worker. */
  stagingDir: string;
}

export interface Session {
  /** Unique among this helper's requests (its journal's file name). */
  readonly id: string;
  /** Aborted by the service's cancel, or when the service's connection goes. */
  readonly signal: AbortSignal;
  /** Tells the service what is ready and waits for its 'go'; rejects on a cancel. */
  ready(data: Record<string, unknown>): Promise<void>;
  total(bytes: number): void;
  progress(bytes: number): void;
}
