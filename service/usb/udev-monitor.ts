// USB hot-plug events from udev, through `udevadm monitor`: one long-lived
// child that sleeps until the kernel and udev have something to say.

import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { log } from '../log.js';
import { spawnOwned } from '../owned-process.js';

export interface UdevEvent {
  action: string;
  devpath: string;
  properties: Record<string, string>;
}

export interface UdevMonitorEvents {
  event: [event: UdevEvent];
}

/** Parses `udevadm monitor --property` output, block by block. */
export class UdevEventParser {
  private current: Record<string, string> | undefined;

  /** Feeds one line; returns an event when a block ends. */
  line(text: string): UdevEvent | undefined {
    if (text.trim() === '') {
      const block = this.current;
      this.current = undefined;
      if (block?.ACTION && block.DEVPATH) return { action: block.ACTION, devpath: block.DEVPATH, properties: block };
      return undefined;
    }
    // Header lines ("UDEV  [12.3] add /devices/… (usb)") start a block; KEY=VALUE lines fill it.
    if (/^(UDEV|KERNEL)\s+\[/.test(text)) {
      this.current = {};
      return undefined;
    }
    const eq = text.indexOf('=');
    if (this.current && eq > 0) this.current[text.slice(0, eq)] = text.slice(eq + 1);
    return undefined;
  }
}

export class UdevMonitor extends EventEmitter<UdevMonitorEvents> {
  private child: ChildProcess | undefined;

  constructor(private readonly command: string[] = ['udevadm']) {
    super();
  }

  start(): void {
    const [command, ...first] = this.command as [string, ...string[]];
    const child = spawnOwned(command, [...first, 'monitor', '--udev', '--property', '--subsystem-match=usb'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.child = child;
    child.once('error', (error) => log.warning(`no USB hot-plug events: cannot run udevadm: ${error.message}`));
    child.once('exit', (code, signal) => {
      if (this.child === child)
        log.warning(`udevadm monitor stopped (${signal ?? `code ${code}`}); USB hot-plug events lost`);
    });
    const parser = new UdevEventParser();
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const event = parser.line(line);
        if (event) this.emit('event', event);
      });
    }
  }

  stop(): void {
    const child = this.child;
    this.child = undefined;
    child?.kill('SIGTERM');
    this.removeAllListeners();
  }
}
