// The service's entry point: options in, daemon up, clean exit on signals.
// Its exit status is what systemd's Restart=on-failure reads: 0 only for a
// stop that was asked for (SIGTERM, SIGINT, --help), 2 for a command line it
// cannot take, 1 for every other failure.

import { errorMessage } from './errors.js';
import { parseArgs, USAGE } from './cli.js';
import { Daemon } from './daemon.js';
import { log } from './log.js';

const JOB_UNDO_TIMEOUT_MS = 10_000;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

async function main(): Promise<number> {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`error: ${errorMessage(error)}\nRun with --help to see every option.\n`);
    return EXIT_USAGE;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  // A stop asked for while starting (systemd stopping a unit that is still coming up) is a stop
  // asked for too: heard from the first moment, acted on once the daemon can stop cleanly.
  const stopAsked = new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({
      uri: options.uri,
      bus: options.bus,
      libvirtBus: options.libvirtBus,
      viewerCommand: options.viewer,
      viewerUri: options.viewerUri,
      libvirtSocket: options.libvirtSocket,
      sysfsRoot: options.sysfsRoot,
      udevDataRoot: options.udevData,
      systemBus: options.systemBus,
      virtType: options.virtType,
      seats: options.seats,
      hostWide: options.hostWide,
      displayDir: options.displayDir,
      displayRelay: options.displayRelay,
      stateDir: options.stateDir,
      filesSocket: options.filesSocket,
      filesHelper: options.filesHelper,
      sharing: options.sharing,
    });
  } catch (error) {
    log.error(`cannot start: ${errorMessage(error)}`);
    return EXIT_FAILURE;
  }
  return new Promise<number>((resolve) => {
    let finishing = false;
    const finish = (code: number): void => {
      if (finishing) return;
      finishing = true;
      // A running export, import or clone undoes its work first (its temporary files, new volumes).
      void daemon
        .cancelJobs(JOB_UNDO_TIMEOUT_MS)
        .catch((error: unknown) => log.warning(`jobs not undone: ${errorMessage(error)}`))
        .finally(() => {
          daemon.stop();
          resolve(code);
        });
    };
    daemon.onClosed(() => {
      log.error('lost the bus connection; exiting');
      finish(EXIT_FAILURE);
    });
    void stopAsked.then(() => finish(0));
  });
}

process.on('unhandledRejection', (reason) => {
  log.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});

void main().then((code) => {
  // The status Node exits with once nothing is left to do (pending writes, the name release, flushed);
  // should a handle linger, the timer ends it with the same status.
  process.exitCode = code;
  setTimeout(() => process.exit(code), 50).unref();
});
