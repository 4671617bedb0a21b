// The service's entry point: options in, daemon up, clean exit on signals.

import { SwitcherError } from './errors.js';
import { parseArgs, USAGE } from './cli.js';
import { Daemon } from './daemon.js';
import { log } from './log.js';

const JOB_UNDO_TIMEOUT_MS = 10_000;

async function main(): Promise<number> {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
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
    });
  } catch (error) {
    log.error(`cannot start: ${error instanceof SwitcherError ? error.message : String(error)}`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    const finish = (code: number): void => {
      // A running export, import or clone undoes its work first (its temporary files, new volumes).
      void daemon.cancelJobs(JOB_UNDO_TIMEOUT_MS).then(() => {
        daemon.stop();
        resolve(code);
      });
    };
    daemon.onClosed(() => {
      log.error('lost the bus connection; exiting');
      finish(1);
    });
    process.once('SIGTERM', () => finish(0));
    process.once('SIGINT', () => finish(0));
  });
}

process.on('unhandledRejection', (reason) => {
  log.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});

void main().then((code) => {
  // Let pending writes (the name release) flush, then go.
  setTimeout(() => process.exit(code), 50).unref();
});
