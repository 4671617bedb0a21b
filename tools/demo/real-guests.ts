// The demo's second part, beside a real GNOME Shell (tools/demo-in-shell.sh):
// the switcher on a real libvirtd (a private sandbox: qemu:///session, QEMU
// under software emulation), two tiny guests switched full-screen with the
// shortcuts (Super+Alt+1, Super+Alt+2), the launcher (Super+Alt+Space), and a
// new guest from Phyllome's model (CreateGuest: UEFI, TPM 2.0, Secure Boot)
// switched to from the menu, its firmware booting the installer ISO. Each
// step is written to .cache/artifacts/demo-*.png. Then it waits for SIGINT or
// SIGTERM (unless DEMO_NO_WAIT=1) and stops everything it started.

import { join } from 'node:path';
import { GUEST, MANAGER, MANAGER_PATH } from '../../test/support/dbus-client.js';
import { installerIso, WINDOWS_11_LABEL } from '../../test/support/installer-iso.js';
import { libvirtCall, tinyQemuGuestXml } from '../../test/support/libvirt.js';
import { ROOT } from '../../test/support/stack.js';
import { createInputDevices, pressChord } from '../../test/e2e/input.js';
import { clickItem, INDICATOR } from '../../test/e2e/menu.js';
import { realGuestsInShell } from '../../test/e2e/shell.js';

const ARTIFACTS = join(ROOT, '.cache/artifacts');
const QEMU = '/org/libvirt/QEMU';
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const say = (line: string): void => console.log(`demo: ${line}`);

// Beside the two tiny guests that run, guests as a user of this host would
// have them, off, with the OS each was installed as.
const CATALOGUE: [name: string, osId: string, memoryMiB: number][] = [
  ['Fedora Workstation', 'http://fedoraproject.org/fedora/41', 4096],
  ['macOS', 'http://apple.com/macos/14', 8192],
];

function offGuestXml(name: string, osId: string, memoryMiB: number): string {
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>${memoryMiB}</memory><vcpu>2</vcpu>
  <metadata><libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'><libosinfo:os id='${osId}'/></libosinfo:libosinfo></metadata>
  <os><type arch='x86_64' machine='q35'>hvm</type></os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator><graphics type='vnc' autoport='yes' listen='127.0.0.1'/><video><model type='virtio'/></video></devices></domain>`;
}

const { stack, shell } = await realGuestsInShell(['--virt-type', 'qemu']);
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await stack.stop();
};
process.on('SIGINT', () => void stop().then(() => process.exit(0)));
process.on('SIGTERM', () => void stop().then(() => process.exit(0)));

try {
  const menuNames = (): Promise<string[]> => shell.eval<string[]>(`${INDICATOR}.describe().guests.map((g) => g.name)`);
  for (const name of ['alpha', 'bravo'])
    await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [
      tinyQemuGuestXml(name, { display: true }),
    ]);
  for (const [name, osId, memory] of CATALOGUE)
    await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [offGuestXml(name, osId, memory)]);
  await shell.waitFor(`${INDICATOR}.describe().guests.length`, (n: number) => n === 2 + CATALOGUE.length, 30_000);
  await createInputDevices(shell);

  // The shortcuts: the first guest, then the second, each started and shown full-screen.
  for (const [key, name] of [
    ['1', 'alpha'],
    ['2', 'bravo'],
  ] as const) {
    await pressChord(shell, ['Super_L', 'Alt_L', key]);
    const path = await stack.client.guestByName(name);
    await stack.client.waitForProperty(path, 'State', 'running', 60_000);
    await shell.waitFor(`global.display.focus_window?.get_pid() ?? 0`, (pid: number) => pid !== 0, 30_000);
    const pid = (await stack.client.property(path, GUEST, 'ViewerPid')) as number;
    await shell.waitFor(
      `(() => { const w = global.display.focus_window; return w?.get_pid() === ${pid} && w.is_fullscreen(); })()`,
      (ok: boolean) => ok,
      30_000,
    );
    await pause(2_000); // the firmware paints its first screen
    await shell.screenshot(join(ARTIFACTS, `demo-switch-${key}-${name}.png`));
    say(`Super+Alt+${key}: ${name} full-screen (.cache/artifacts/demo-switch-${key}-${name}.png)`);
  }

  // The launcher: every guest, its state, live pictures of the running ones.
  await pressChord(shell, ['Super_L', 'Alt_L', 'space']);
  await pause(2_500); // the live figures come with the first reading after it opens
  await shell.screenshot(join(ARTIFACTS, 'demo-launcher.png'));
  say('Super+Alt+Space: the launcher (.cache/artifacts/demo-launcher.png)');
  await pressChord(shell, ['Escape']);

  // A new guest from Phyllome's model, from a Windows 11-shaped installer ISO (built here, small).
  const iso = installerIso('win11-shaped', WINDOWS_11_LABEL);
  const [guest] = (await stack.client.call(
    'me.phyllo.Switcher1',
    MANAGER_PATH,
    MANAGER,
    'CreateGuest',
    'sssa{sv}',
    ['Windows 11', '', iso, {}],
    120_000,
  )) as [string];
  await shell.waitFor(`${INDICATOR}.describe().guests.length`, (n: number) => n === 3 + CATALOGUE.length, 30_000);
  say(`CreateGuest: 'Windows 11' from ${iso}: UEFI with Secure Boot, TPM 2.0, virtio (${guest})`);
  // Back to the host (Super+Alt+Escape): the top bar shows again, and the menu drops from it.
  await pressChord(shell, ['Super_L', 'Alt_L', 'Escape']);
  await pause(500);
  await shell.eval(`${INDICATOR}.menu.open(false); true`);
  await pause(1_500);
  await shell.screenshot(join(ARTIFACTS, 'demo-menu-real.png'));
  await shell.eval(`${INDICATOR}.menu.close(false); true`);
  if (!(await clickItem(shell, 'Windows 11', 'Switch To'))) throw new Error("no 'Switch To' for the new guest");
  await stack.client.waitForProperty(guest, 'State', 'running', 60_000);
  await pause(15_000); // under emulation the firmware takes a while to reach the ISO's boot menu
  await shell.screenshot(join(ARTIFACTS, 'demo-new-guest.png'));
  say('Switch To: the new guest boots its installer (.cache/artifacts/demo-new-guest.png)');
  say(`${(await menuNames()).length} guests in the menu: ${(await menuNames()).join(', ')}`);

  if (process.env.DEMO_NO_WAIT === '1') {
    await stop();
  } else {
    say('the real guests run on; Ctrl-C stops everything.');
  }
} catch (error) {
  console.error(`demo: ${String(error)}`);
  await stop();
  process.exitCode = 1;
}
