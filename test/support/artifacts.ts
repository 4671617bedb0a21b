// Where tests keep what a person reads after a run (screenshots, the logs of
// the daemons they started): .cache/artifacts, or the folder a runner gives
// (PHYLLOME_ARTIFACTS), so that runs side by side — the e2e suite in several
// GNOME Shells, the service tests on two libvirts — keep theirs apart.

import { join } from 'node:path';
import { ROOT } from './root.js';

export const ARTIFACTS = process.env.PHYLLOME_ARTIFACTS || join(ROOT, '.cache/artifacts');
