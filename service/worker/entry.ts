// phyllome-switcher-worker: the program the guest-files helper starts as a
// caller for one task (service/worker/main.ts). A program of its own, small,
// so that the process each job adds starts quickly: it loads nothing of
// D-Bus or libvirt. It speaks on stdout, so its log lines go to stderr.

import { errorMessage } from '../errors.js';
import { log, logToStderr } from '../log.js';
import { runWorker } from './main.js';

logToStderr();
// The helper may be gone (killed): what cannot be said is not waited on.
process.stdout.on('error', () => undefined);

void runWorker().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log.error(`worker: ${errorMessage(error)}`);
    process.exit(1);
  },
);
