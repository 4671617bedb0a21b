// Our service run inside the USB lab's recorded world (umockdev), on a
// stack's bus: it reads the lab's sysfs and hears its udev events.

import type { ServiceStack } from './stack.js';
import { SERVICE_EXECUTABLE, seatsArgs, shebangFlags } from './stack.js';
import type { UsbLab } from './usb-lab.js';
import { waitFor } from './wait.js';

export interface LabService {
  pid: number;
  output(): string;
  /** Resolves when it has printed text matching pattern (from character `from` on). */
  waitForOutput(pattern: RegExp, timeoutMs?: number, from?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

export async function startServiceInLab(
  stack: ServiceStack,
  lab: UsbLab,
  uri = 'test:///default',
  extraArgs: string[] = [],
): Promise<LabService> {
  const before = new Set(lab.listenerPids());
  const pid = await lab.spawn(
    process.execPath,
    [
      ...shebangFlags(),
      SERVICE_EXECUTABLE,
      '--connect',
      uri,
      '--bus',
      stack.bus.address,
      '--sysfs-root',
      lab.sysfsRoot,
      ...seatsArgs(extraArgs),
      ...extraArgs,
    ],
    { DBUS_SESSION_BUS_ADDRESS: stack.bus.address, PHYLLOME_DEBUG: '1' },
  );
  // Its name on the bus, and its udevadm listening too, or the first plug-in would go unheard: nothing
  // announces the socket, so this looks every few milliseconds up to the deadline.
  await waitFor(
    async () => {
      const named = await stack.client.hasOwner('me.phyllo.Switcher1');
      if (named && lab.listenerPids().some((p) => !before.has(p))) return true;
      if ((await lab.status(pid)) !== 'running') throw new Error(`service exited: ${lab.output(pid)}`);
      return false;
    },
    { what: () => `the service ready: ${lab.output(pid)}`, timeoutMs: 15_000 },
  );
  return {
    pid,
    output: () => lab.output(pid),
    waitForOutput: (pattern, timeoutMs, from) => lab.waitForOutput(pid, pattern, timeoutMs, from),
    stop: async () => {
      if ((await lab.status(pid)) === 'running') await lab.kill(pid);
    },
  };
}
