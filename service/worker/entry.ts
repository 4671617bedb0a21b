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

// stdout is a socket, written asynchronously: exiting at once can cut off a long answer (a bundle's
// 1 MiB definition). An empty write's callback runs once everything before it went out, or failed.
const exitAfterOutput = (code: number): void => {
  process.stdout.write('', () => process.exit(code));
};

void runWorker().then(exitAfterOutput, (error: unknown) => {
  log.error(`worker: ${errorMessage(error)}`);
  exitAfterOutput(1);
});
