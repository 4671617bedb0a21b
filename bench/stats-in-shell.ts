// The live-figures benchmark's part that runs beside a real GNOME Shell (as
// run-shell.sh's CMD): GUESTS tiny QEMU guests running in a real libvirtd,
// our service (with the timer probe) and the extension. With the menu closed
// for IDLE_SECONDS: the libvirt calls the service made (counted by the bus)
// and the timer callbacks it ran; with the menu open for WATCH_SECONDS: the
// CPU time of the service, of libvirt (libvirt-dbus and libvirtd) and of the
// Shell per second, and the readings made. Prints figures; asserts nothing.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CallCounter } from '../test/support/bus-monitor.js';
import { libvirtCall, tinyQemuGuestXml, warmUpDomainStats } from '../test/support/libvirt.js';
import { ROOT, ServiceStack } from '../test/support/stack.js';
import { ShellDriver } from '../test/e2e/shell.js';
import { INDICATOR } from '../test/e2e/menu.js';
import { procStat, timerCount } from './proc.js';
import { settle, sized } from './mode.js';

const GUESTS = sized('STATS_GUESTS', 10, 1);
const IDLE_SECONDS = sized('IDLE_SECONDS', 60, 1);
const WATCH_SECONDS = sized('WATCH_SECONDS', 30, 1);
// virt-manager's default (org.virt-manager.virt-manager.stats update-interval), whether anyone looks or not.
const VIRT_MANAGER_INTERVAL_S = 3;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU milliseconds used by each process from now until `done` resolves, and the wall time. */
async function cpuDuring(pids: Record<string, number>, done: Promise<unknown>): Promise<Record<string, number>> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procStat(pid).cpuMs]));
  const start = process.hrtime.bigint();
  await done;
  const used: Record<string, number> = { wallMs: Number(process.hrtime.bigint() - start) / 1e6 };
  for (const [k, pid] of Object.entries(pids)) used[k] = procStat(pid).cpuMs - (before[k] as number);
  return used;
}

async function main(): Promise<void> {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS as string;
  const stack = await ServiceStack.start({ busAddress: address, realLibvirtd: true, withService: false });
  try {
    const shell = new ShellDriver(stack.client);
    await stack.startService('qemu:///session', [], ['--import', resolve(ROOT, 'build/bench/timer-probe.js')]);
    for (let i = 0; i < GUESTS; i++) {
      const [path] = await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
        tinyQemuGuestXml(`stats-${String(i).padStart(2, '0')}`),
      ]);
      await libvirtCall(stack, path as string, 'org.libvirt.Domain', 'Create', 'u', [0]);
    }
    await warmUpDomainStats(stack);
    await shell.waitFor<number>(
      `${INDICATOR}.describe().guests.filter((g) => g.state === 'running').length`,
      (n) => n === GUESTS,
      60_000,
    );
    const pids = {
      service: stack.service?.pid as number,
      shell: await stack.client.pidOf('org.gnome.Shell'),
      libvirtDbus: await stack.client.pidOf('org.libvirt'),
      libvirtd: Number(
        readFileSync(`/proc/${stack.libvirtdNamespacePid}/root/run/libvirt/libvirtd.pid`, 'utf8').trim(),
      ),
    };
    const calls = await CallCounter.start(stack.group, stack.client, address, pids.service, 'org.libvirt');
    await sleep(settle(3_000)); // start-up settles

    // Menu closed: nobody looks.
    const idleCalls = calls.count();
    const idleTimers = await timerCount(stack);
    const idle = await cpuDuring(pids, sleep(IDLE_SECONDS * 1000));
    const closed = { calls: calls.count() - idleCalls, timers: (await timerCount(stack)) - idleTimers };

    // Menu open: figures for every guest, refreshed about once a second.
    await shell.eval(`${INDICATOR}.menu.open(false); true`);
    await sleep(settle(2_000)); // the first readings
    const watchCalls = calls.count();
    const watchTimers = await timerCount(stack);
    const open = await cpuDuring(pids, sleep(WATCH_SECONDS * 1000));
    const watched = { calls: calls.count() - watchCalls, timers: (await timerCount(stack)) - watchTimers };
    const shown = await shell.eval<string>(`${INDICATOR}.rowFor('stats-00')?.accessible_name ?? ''`);
    await shell.eval(`${INDICATOR}.menu.close(false); true`);

    const perSecond = (used: Record<string, number>, key: string): string =>
      `${(((used[key] as number) / (used.wallMs as number)) * 1000).toFixed(1)} ms/s`;
    const seconds = (used: Record<string, number>): string => ((used.wallMs as number) / 1000).toFixed(0);
    console.log(
      `\n== Live figures: ${GUESTS} running QEMU guests (real libvirtd), GNOME Shell 48 with the extension (headless)`,
    );
    console.log(`   menu open ${seconds(open)} s (a row reads "${shown}"):`);
    console.log(
      `     service CPU               ${perSecond(open, 'service')} of watching  (closed: ${perSecond(idle, 'service')})`,
    );
    console.log(
      `     libvirt-dbus + libvirtd   ${perSecond(open, 'libvirtDbus')} + ${perSecond(open, 'libvirtd')}  (closed: ${perSecond(idle, 'libvirtDbus')} + ${perSecond(idle, 'libvirtd')})`,
    );
    console.log(
      `     Shell CPU                 ${perSecond(open, 'shell')}  (menu closed: ${perSecond(idle, 'shell')}; the difference is the open menu and its figures)`,
    );
    console.log(
      `     libvirt calls             ${watched.calls} in ${seconds(open)} s (GetAllDomainStats, one per reading for all ${GUESTS} guests); timer callbacks ${watched.timers}`,
    );
    console.log(`   menu closed ${seconds(idle)} s:`);
    console.log(`     libvirt calls             ${closed.calls}  (target 0)`);
    console.log(`     timer callbacks           ${closed.timers}  (target 0)`);
    console.log(
      `   reference: virt-manager polls every ${VIRT_MANAGER_INTERVAL_S} s by default (stats/update-interval), ` +
        `${Math.round(IDLE_SECONDS / VIRT_MANAGER_INTERVAL_S)} polls in ${IDLE_SECONDS} s whether anyone looks or not; ` +
        `cockpit-machines every 10 s; here ${closed.calls} while nobody looks`,
    );
    await calls.stop();
  } finally {
    await stack.stop();
  }
}

await main();
