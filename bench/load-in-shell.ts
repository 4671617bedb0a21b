// The load benchmark's part that runs beside a real GNOME Shell (as
// run-shell.sh's CMD): the extension with 1, 10 and 1000 guests on
// libvirt's test driver, timed inside the Shell (bench/shell-load.js).
// Prints figures; asserts nothing.

import { spawn } from 'node:child_process';
import { ServiceStack } from '../test/support/stack.js';
import { ShellDriver } from '../test/e2e/shell.js';
import { defineGuests, LoadProbe } from '../test/e2e/load.js';
import { procStat } from './proc.js';
import { measured, settle, sized, SMOKE } from './mode.js';
import { ms, summarize } from './stats.js';

const RUNS = sized('ENABLES', 7, 1);
const IDLE_SECONDS = sized('IDLE_SECONDS', 60, 1);
const CYCLES = sized('CYCLES', 10, 1);
/** Enable/disable cycles run before the memory is read, and between readings. */
const BLOCK = SMOKE ? 1 : 5;
const MB = 1024 * 1024;
const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

/**
 * Counts the method calls made to our service's objects (callers address it by unique name, so the match is on the path), by member, while `during` runs.
 * dbus-monitor becomes a bus monitor (BecomeMonitor), so nothing on the bus can
 * mistake it for a peer and nothing it sees gets an answer from it.
 */
async function callsDuring(address: string, during: () => Promise<void>): Promise<Record<string, number>> {
  const monitor = spawn(
    'dbus-monitor',
    ['--address', address, '--profile', "type='method_call',path_namespace='/me/phyllo/Switcher1'"],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  monitor.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  // The bus takes the monitor's name away (NameLost) once it is in place.
  await new Promise<void>((resolve, reject) => {
    monitor.once('error', reject);
    monitor.stdout.on('data', () => {
      if (output.includes('\tNameLost')) resolve();
    });
  });
  try {
    await during();
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    const exited = new Promise((r) => monitor.once('exit', r));
    monitor.kill('SIGTERM');
    await exited;
  }
  const counts: Record<string, number> = {};
  for (const line of output.split('\n')) {
    // --profile: type timestamp serial sender destination path interface member
    const fields = line.split('\t');
    if (fields[0] !== 'mc') continue;
    const member = fields[7] ?? '?';
    counts[member] = (counts[member] ?? 0) + 1;
  }
  return counts;
}

async function measure(count: number): Promise<{ enabledHeap: number; enabledRss: number }> {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS as string;
  const stack = await ServiceStack.start({ busAddress: address, withService: false });
  try {
    const shell = new ShellDriver(stack.client);
    const probe = new LoadProbe(shell);
    await probe.install();
    await probe.disable();
    await defineGuests(stack, count - 1);
    await stack.startService();
    // The service marshals its objects once; later enables (a screen lock's) find them ready.
    await probe.enable(count);
    await probe.disable();

    const enables: number[] = [];
    const firsts: number[] = [];
    const stalls: number[] = [];
    let calls: Record<string, number> = {};
    for (let i = 0; i < RUNS; i++) {
      const run = async (): Promise<void> => {
        const figures = await probe.enable(count);
        enables.push(measured(figures.ms, `enable with ${count} guests`));
        firsts.push(figures.first ?? NaN);
        stalls.push(figures.stall);
      };
      if (i === 0) calls = await callsDuring(address, run);
      else await run();
      if (i < RUNS - 1) await probe.disable();
    }
    const gio = await probe.gioAlone();
    const menu = await probe.openMenu(count);
    const scrolled = await probe.scrollToEnd(5);
    await probe.closeMenu();
    const enabled = await probe.rest();

    await probe.disable();
    await probe.cycles(BLOCK, count);
    const before = await probe.rest();
    // In blocks of five, so the RSS shows whether it levels off (CYCLES=30 for a longer series).
    const series: number[] = [];
    let after = before;
    for (let done = 0; done < CYCLES; done += BLOCK) {
      await probe.cycles(BLOCK, count);
      after = await probe.rest();
      series.push(after.rss);
    }
    await probe.enable(count);
    // What the Shell spends at rest with the extension, beside without it (10 guests: the usual host).
    let idle = '';
    if (count === 10) {
      const shellPid = await stack.client.pidOf('org.gnome.Shell');
      const rest = async (): Promise<{ cpu: number; wakeups: number; rss: number }> => {
        await new Promise((r) => setTimeout(r, settle(10_000)));
        const before = procStat(shellPid);
        await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
        const after = procStat(shellPid);
        const perMinute = 60 / IDLE_SECONDS;
        return {
          cpu: (after.cpuMs - before.cpuMs) * perMinute,
          wakeups: (after.mainSwitches - before.mainSwitches) * perMinute,
          rss: after.rssMiB,
        };
      };
      // Disabled first: whatever the cycles before left to the Shell (collections, frees) is not counted as ours.
      await probe.disable();
      const disabledIdle = await rest();
      await probe.enable(count);
      const enabledIdle = await rest();
      idle = `   at rest, per minute (${IDLE_SECONDS} s each): enabled ${enabledIdle.cpu.toFixed(0)} ms CPU, ${enabledIdle.wakeups.toFixed(0)} main-thread wake-ups, RSS ${enabledIdle.rss.toFixed(1)} MB; disabled ${disabledIdle.cpu.toFixed(0)} ms, ${disabledIdle.wakeups.toFixed(0)} wake-ups, RSS ${disabledIdle.rss.toFixed(1)} MB`;
    }

    const e = summarize(enables);
    const f = summarize(firsts);
    console.log(`\n== ${count} guest${count === 1 ? '' : 's'} (GNOME Shell 48, headless; timed inside the Shell)`);
    console.log(
      `   enable -> all ${count} listed: p50 ${ms(e.p50)}, max ${ms(e.p99)} (n=${e.n}); the first ${Math.min(count, 20)}: p50 ${ms(f.p50)}; longest main-loop stall ${ms(Math.max(...stalls))}`,
    );
    console.log(
      `   Gio alone, for ${gio.objects} objects: GetManagedObjects ${ms(gio.call)}; a Gio.DBusObjectManagerClient made ready ${ms(gio.client)}`,
    );
    console.log(
      `   calls to the service during an enable: ${Object.entries(calls)
        .map(([member, n]) => `${member} ${n}`)
        .join(', ')}`,
    );
    console.log(
      `   first menu open: ${ms(menu.ms)}, stall ${ms(menu.stall)}; menu ${menu.menuHeight} px high on a ${menu.monitorHeight} px screen; ${scrolled.rows} rows after scrolling to the end 5 times (stall ${ms(scrolled.stall)})`,
    );
    console.log(
      `   ${CYCLES} enable/disable cycles (after ${BLOCK} to warm the Shell's caches): JS heap ${mb(before.heap)} -> ${mb(after.heap)}, RSS ${mb(before.rss)} -> ${series.map(mb).join(' -> ')} (every ${BLOCK}), actors ${before.actors} -> ${after.actors}`,
    );
    if (idle) console.log(idle);
    return { enabledHeap: enabled.heap, enabledRss: enabled.rss };
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  // ONLY=10: the 10-guest case alone (its figures at rest take two minutes).
  if (process.env.ONLY) {
    await measure(Number(process.env.ONLY));
    return;
  }
  const one = await measure(1);
  const ten = await measure(10);
  // A smoke run stops at 10 guests (its figures at rest included, for a second each).
  const many = SMOKE ? 10 : 1000;
  const most = SMOKE ? ten : await measure(1000);
  console.log(
    `\n   the Shell's memory per guest, enabled (${many} guests beside 1): JS heap ${((most.enabledHeap - one.enabledHeap) / (many - 1) / 1024).toFixed(1)} kB, RSS ${((most.enabledRss - one.enabledRss) / (many - 1) / 1024).toFixed(1)} kB`,
  );
}

await main();
