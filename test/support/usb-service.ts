// Our service run inside the USB lab's recorded world (umockdev), on a
// stack's bus: it reads the lab's sysfs and hears its udev events.

import type { ServiceStack } from './stack.js';
import { SERVICE_EXECUTABLE, seatsArgs, shebangFlags } from './stack.js';
import type { UsbLab } from './usb-lab.js';

export interface LabService {
  pid: number;
  output(): string;
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
  const deadline = Date.now() + 15_000;
  for (;;) {
    const named = await stack.client.hasOwner('me.phyllo.Switcher1');
    // Its udevadm must be listening too, or the first plug-in would go unheard.
    if (named && lab.listenerPids().some((p) => !before.has(p))) break;
    if ((await lab.status(pid)) !== 'running') throw new Error(`service exited: ${lab.output(pid)}`);
    if (Date.now() > deadline) throw new Error(`service not ready: ${lab.output(pid)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    pid,
    output: () => lab.output(pid),
    stop: async () => {
      if ((await lab.status(pid)) === 'running') await lab.kill(pid);
    },
  };
}
