// The switching benchmark's part that runs beside a real GNOME Shell (as
// run-shell.sh's CMD): two real QEMU guests shown by real viewers, switched
// by real key chords, timed inside the Shell. Prints figures; asserts nothing.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceStack, ROOT } from '../test/support/stack.js';
import { GUEST } from '../test/support/dbus-client.js';
import { libvirtCall, tinyQemuGuestXml } from '../test/support/libvirt.js';
import { ShellDriver, viewerInShellArgs } from '../test/e2e/shell.js';
import { measured, settle, sized } from './mode.js';
import { ms, summarize, type Summary } from './stats.js';

const HOT_SWITCHES = sized('HOT_SWITCHES', 50, 2);
const COLD_SWITCHES = sized('COLD_SWITCHES', 5, 1);

const guestXml = (name: string): string => tinyQemuGuestXml(name, { display: true });

const sleep = (msec: number): Promise<void> => new Promise((r) => setTimeout(r, msec));
const fmt = (s: Summary): string =>
  `p50 ${ms(s.p50).padStart(9)}  p95 ${ms(s.p95).padStart(9)}  max ${ms(s.p99).padStart(9)}  (n=${s.n})`;

async function measure(shell: ShellDriver, call: string): Promise<number> {
  const before = await shell.eval<number>('globalThis.__phyBench.results.length');
  await shell.eval(`globalThis.__phyBench.${call}`);
  const [value] = await shell.waitFor<number[]>(
    `globalThis.__phyBench.results.slice(${before})`,
    (r) => r.length > 0,
    15_000,
  );
  return measured(value as number, call);
}

async function main(): Promise<void> {
  const stack = await ServiceStack.start({
    busAddress: process.env.DBUS_SESSION_BUS_ADDRESS,
    realLibvirtd: true,
    withService: false,
  });
  try {
    const shell = new ShellDriver(stack.client);
    // virt-viewer runs inside the Shell's root, next to the Shell.
    await stack.startService('qemu:///session', viewerInShellArgs(stack.libvirtdNamespacePid as number, ROOT));
    const libvirtPaths: Record<string, string> = {};
    const paths: Record<string, string> = {};
    for (const [name, connector] of [
      ['alpha', 'Meta-0'],
      ['bravo', 'Meta-1'],
    ] as const) {
      const [path] = await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
        guestXml(name),
      ]);
      libvirtPaths[name] = path as string;
      paths[name] = await stack.client.waitForGuest(name);
      await stack.client.service(paths[name] as string, GUEST, 'SetMonitor', 's', [connector]);
    }
    await shell.eval(readFileSync(join(ROOT, 'bench/shell-measure.js'), 'utf8'));
    await shell.waitFor<number>(`Main.panel.statusArea['switcher@phyllo.me'].describe().guests.length`, (n) => n === 2);

    // Both viewers up (their first switch is a cold start from off, not measured).
    await measure(shell, `newViewer(['Super_L', 'Alt_L', '1'], 0)`);
    await measure(shell, `newViewer(['Super_L', 'Alt_L', '2'], 1)`);
    await sleep(settle(1_000));
    const pid = async (name: string): Promise<number> =>
      (await stack.client.property(paths[name] as string, GUEST, 'ViewerPid')) as number;

    const hot: number[] = [];
    for (let i = 0; i < HOT_SWITCHES; i++) {
      const [name, key, monitor] = i % 2 === 0 ? ['alpha', '1', 0] : ['bravo', '2', 1];
      hot.push(await measure(shell, `focus(['Super_L', 'Alt_L', '${key}'], ${await pid(name as string)}, ${monitor})`));
    }

    // The Shell's own workspace switch, timed the same way (Super+Page_Down/Up).
    const workspace: number[] = [];
    for (let i = 0; i < HOT_SWITCHES; i++) {
      const [key, index] = i % 2 === 0 ? ['Page_Down', 1] : ['Page_Up', 0];
      workspace.push(await measure(shell, `workspace(['Super_L', '${key}'], ${index})`));
    }

    // Cold: the guest runs, its viewer is closed; the chord opens it on its monitor.
    const cold: number[] = [];
    for (let i = 0; i < COLD_SWITCHES; i++) {
      await stack.client.service(paths.alpha as string, GUEST, 'ForceOff'); // the service closes its viewer
      await stack.client.waitForProperty(paths.alpha as string, 'State', 'shutoff');
      await libvirtCall(stack, libvirtPaths.alpha as string, 'org.libvirt.Domain', 'Create', 'u', [0]); // behind our back: no viewer
      await stack.client.waitForProperty(paths.alpha as string, 'State', 'running');
      await sleep(settle(500));
      cold.push(await measure(shell, `newViewer(['Super_L', 'Alt_L', '1'], 0)`));
    }

    const hotS = summarize(hot);
    const wsS = summarize(workspace);
    console.log(
      '\n== Switching guests in GNOME Shell 48 (headless, 2 monitors, real virt-viewer windows), timed inside the Shell',
    );
    console.log(
      `   hot switch: key press -> target focused, full-screen on its monitor   ${fmt(hotS)}  (target p95 <= 50 ms)`,
    );
    console.log(`   the Shell's workspace switch: key press -> active workspace changed  ${fmt(wsS)}`);
    console.log(`   hot switch / workspace switch at p50: ${(hotS.p50 / wsS.p50).toFixed(2)}x`);
    console.log(
      `   cold switch: key press -> new viewer window full-screen on its monitor ${fmt(summarize(cold))}  (target <= 1.5 s)`,
    );
    const failed = [...hot, ...workspace, ...cold].filter((v) => Number.isNaN(v)).length;
    if (failed > 0) console.log(`   ${failed} measurement(s) timed out (10 s)`);
  } finally {
    await stack.stop();
  }
}

await main();
