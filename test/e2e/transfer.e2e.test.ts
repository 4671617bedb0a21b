// Export…, Clone…, Import… and Move to… in a real GNOME Shell 48: the items
// in a guest's menu and in the launcher, GTK's file chooser that asks for a
// folder (a program of its own, driven with the keyboard as a person would),
// the dialog that asks for a name or an address, and the notification that
// follows the job — progress, Cancel, the result. Real guests and files: a libvirtd sandbox
// with our service inside its namespace, on the Shell's bus.

import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GUEST } from '../support/dbus-client.js';
import { createVolume, defineDefaultPool, inSandbox, QEMU } from '../support/guest-files.js';
import { libvirtCall, libvirtDomainPath, tinyQemuGuestXml } from '../support/libvirt.js';
import { ServiceStack } from '../support/stack.js';
import { ARTIFACTS } from '../support/artifacts.js';
import { createInputDevices, pressChord, typeText } from './input.js';
import { clickItem, INDICATOR, submenu } from './menu.js';
import { ShellDriver } from './shell.js';

const DIALOG = `Main.layoutManager.modalDialogGroup.get_children().find((d) => d.visible && d.dialogLayout?._dialog?.has_style_class_name('phyllome-entry-dialog'))`;
const MiB = 1024 ** 2;

interface NotificationView {
  title: string;
  body: string;
  actions: string[];
}

let stack: ServiceStack;
let shell: ShellDriver;
let exports: string;
let alpha: string;

/** The labels of a guest's transfer section (the one under 'Move or Copy'). */
const transferItems = async (guest: string): Promise<string[]> =>
  (await submenu(shell, guest)).find((section) => section[0] === 'Move or Copy') ?? [];

const activateTransfer = (guest: string, label: string): Promise<boolean> => clickItem(shell, guest, label);

/** Waits for our entry dialog; answers it with `text` (or cancels), returns its title and first text. */
async function answerDialog(text: string | undefined, screenshot?: string): Promise<{ title: string; text: string }> {
  const shown = await shell.waitFor<{ title: string; text: string } | null>(
    `(() => { const d = ${DIALOG}; if (!d) return null; const [content, entry] = d.contentLayout.get_children(); return { title: content.title, text: entry.get_text() }; })()`,
    (d) => d !== null,
  );
  if (screenshot) await shell.screenshot(join(ARTIFACTS, screenshot));
  if (text === undefined) {
    await shell.eval(`(() => { ${DIALOG}.buttonLayout.get_children()[0].emit('clicked', 1); return true; })()`);
  } else {
    await shell.eval(`(() => {
      const d = ${DIALOG};
      d.contentLayout.get_children()[1].set_text(${JSON.stringify(text)});
      d.buttonLayout.get_children()[1].emit('clicked', 1);
      return true;
    })()`);
  }
  await shell.waitFor<boolean>(`${DIALOG} === undefined`, (gone) => gone);
  return shown as { title: string; text: string };
}

/** The folder chooser's window, found by its title, as the Shell sees it. */
const chooserWindow = (title: string): string =>
  `global.get_window_actors().map((a) => a.get_meta_window()).find((w) => w.get_title() === ${JSON.stringify(title)})`;

/**
 * Waits for GTK's folder chooser titled `title`; types `folder` into its
 * location entry and accepts (or, undefined, presses Escape), and waits for
 * it to go, as a person at the keyboard would.
 */
async function chooseFolder(title: string, folder: string | undefined, screenshot?: string): Promise<void> {
  const WINDOW = chooserWindow(title);
  await shell.waitFor<boolean>(`${WINDOW} !== undefined`, (shown) => shown, 30_000);
  // The chooser runs in the Shell's root, whose /tmp is its own: the same folder is made there.
  if (folder !== undefined)
    await shell.eval(`imports.gi.GLib.mkdir_with_parents(${JSON.stringify(folder)}, 0o755) === 0`);
  await shell.eval(`(() => { Main.activateWindow(${WINDOW}); return true; })()`);
  await shell.waitFor<boolean>(`global.display.focus_window === ${WINDOW}`, (focused) => focused);
  // What it shows then (its folder may still be listing: nothing tells when it is done).
  if (screenshot) await shell.screenshot(join(ARTIFACTS, screenshot));
  // Keys sent before the chooser has the keyboard are lost: each try does it all again, and the
  // location entry's Ctrl+L selects what an earlier try typed, so typing replaces it.
  for (let tries = 3; ; tries--) {
    if (folder === undefined) {
      await pressChord(shell, ['Escape']);
    } else {
      await pressChord(shell, ['Control_L', 'l']);
      await typeText(shell, folder);
      await pressChord(shell, ['Return']);
    }
    try {
      await shell.waitFor<boolean>(`${WINDOW} === undefined`, (gone) => gone, 5_000);
      return;
    } catch (error) {
      if (tries <= 1) throw error;
    }
  }
}

const NOTIFICATIONS = `(() => Main.messageTray.getSources().flatMap((s) => s.notifications.map((n) => ({ title: n.title, body: n.body ?? '', actions: n.actions.map((a) => a.label) }))))()`;

async function notification(check: (n: NotificationView) => boolean, timeoutMs = 30_000): Promise<NotificationView> {
  const all = await shell.waitFor<NotificationView[]>(NOTIFICATIONS, (list) => list.some(check), timeoutMs);
  return all.find(check) as NotificationView;
}

async function clearNotifications(): Promise<void> {
  await shell.eval(
    'Main.messageTray.getSources().forEach((s) => s.notifications.slice().forEach((n) => n.destroy())); true',
  );
}

beforeAll(async () => {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (!address || !process.env.SHELL_TEST_STATE) throw new Error('run through test/shell/run-e2e.sh');
  stack = await ServiceStack.start({
    busAddress: address,
    realLibvirtd: true,
    withService: false,
    serviceInSandbox: true,
  });
  shell = new ShellDriver(stack.client);
  await createInputDevices(shell);
  // An imported guest is made from the model for this host: software emulation, as in CreateGuest's tests
  // (nested KVM may refuse the model's host-model CPU).
  await stack.startService('qemu:///session', ['--virt-type', 'qemu']);
  await stack.client.watch();
  const pool = await defineDefaultPool(stack);
  // 1 GiB of data: a job long enough to see its progress and cancel it.
  const { path: disk } = await createVolume(stack, pool, 'alpha.img', 1024 * MiB);
  const fd = openSync(inSandbox(stack.libvirtdNamespacePid, disk), 'r+');
  const chunk = Buffer.alloc(4 * MiB);
  for (let i = 0; i < 256; i++) {
    chunk.fill((i % 255) + 1);
    writeSync(fd, chunk, 0, chunk.length, i * 4 * MiB);
  }
  closeSync(fd);
  const xml = tinyQemuGuestXml('alpha').replace(
    '<devices>',
    `<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>`,
  );
  await libvirtCall(stack, QEMU, 'org.libvirt.Connect', 'DomainDefineXML', 's', [xml]);
  alpha = await stack.client.waitForGuest('alpha');
  exports = mkdtempSync(join(tmpdir(), 'phyllome-e2e-exports-'));
  await shell.waitFor<number>(`${INDICATOR}.describe().guests.length`, (n) => n === 1);
  await clearNotifications();
}, 120_000);

afterAll(async () => {
  await clearNotifications().catch(() => undefined);
  await stack?.stop();
  if (exports) rmSync(exports, { recursive: true, force: true });
});

it('offers Export… and Clone… for a guest that is off, Move to… for one that runs', async () => {
  await shell.eval(`(() => {
    ${INDICATOR}.menu.open(false);
    ${INDICATOR}.rowFor('alpha').setSubmenuShown(true);
    return true;
  })()`);
  await shell.screenshot(join(ARTIFACTS, 'transfer-menu.png'));
  await shell.eval(`(() => { ${INDICATOR}.menu.close(false); return true; })()`);
  expect(await transferItems('alpha')).toEqual(['Move or Copy', 'Export…', 'Clone…']);
  await stack.client.service(alpha, GUEST, 'Start', '', [], 30_000);
  await shell.waitFor<string>(`${INDICATOR}.describe().guests[0].state`, (s) => s === 'running');
  expect(await transferItems('alpha')).toEqual(['Move or Copy', 'Move to…']);
  await stack.client.service(alpha, GUEST, 'ForceOff', '', [], 30_000);
  await shell.waitFor<string>(`${INDICATOR}.describe().guests[0].state`, (s) => s === 'shutoff');
  expect(await transferItems('alpha')).toEqual(['Move or Copy', 'Export…', 'Clone…']);
});

it('exports to a folder chosen in a file chooser, and follows the job in a notification: progress, then the result', async () => {
  const folder = join(exports, 'done');
  mkdirSync(folder);
  expect(await activateTransfer('alpha', 'Export…')).toBe(true);
  await chooseFolder('Export alpha', folder, 'transfer-export-dialog.png');
  const running = await notification((n) => n.title === 'Exporting alpha', 10_000);
  expect(running.actions).toEqual(['Cancel']);
  // Its text follows the job: '37 % — 397.2 MB of 1.1 GB' (GLib.format_size's, a no-break space before the unit).
  await notification((n) => n.title === 'Exporting alpha' && /^\d+ % — [\d.]+\sMB of 1\.1\sGB$/.test(n.body), 30_000);
  await shell.screenshot(join(ARTIFACTS, 'transfer-export-progress.png'));
  const done = await notification((n) => n.title === 'Exported alpha', 60_000);
  expect(done).toEqual({ title: 'Exported alpha', body: `Exported alpha to ${folder}/alpha.phyllome`, actions: [] });
  expect(existsSync(join(folder, 'alpha.phyllome/manifest.json'))).toBe(true);
  // The progress notification gave way to the result.
  expect((await shell.eval<NotificationView[]>(NOTIFICATIONS)).some((n) => n.title === 'Exporting alpha')).toBe(false);
  await clearNotifications();
});

it('changes nothing when the file chooser is dismissed', async () => {
  const existing = readdirSync(exports);
  // The flow's own end, once the chooser's answer (none) came back: what it did by then is all it does.
  await shell.countSettled('flows/transfers.js', 'GuestTransfers', 'startGuestJob');
  try {
    expect(await activateTransfer('alpha', 'Export…')).toBe(true);
    await chooseFolder('Export alpha', undefined);
    await shell.waitForSettled(1);
  } finally {
    await shell.stopSpying();
  }
  expect((await shell.eval<NotificationView[]>(NOTIFICATIONS)).map((n) => n.title)).toEqual([]);
  expect(readdirSync(exports)).toEqual(existing);
});

it('cancels a job from its notification: no bundle is left', async () => {
  const folder = join(exports, 'cancelled');
  mkdirSync(folder);
  expect(await activateTransfer('alpha', 'Export…')).toBe(true);
  await chooseFolder('Export alpha', folder);
  await shell.waitFor<NotificationView[]>(NOTIFICATIONS, (list) =>
    list.some((n) => n.title === 'Exporting alpha' && /^[1-9]\d? %/.test(n.body)),
  );
  await shell.eval(`(() => {
    for (const s of Main.messageTray.getSources())
      for (const n of s.notifications) if (n.title === 'Exporting alpha') n.actions[0].activate();
    return true;
  })()`);
  const ended = await notification((n) => n.title === 'Export of alpha cancelled');
  expect(ended.body).toBe('Export cancelled; nothing was changed');
  expect(readdirSync(folder)).toEqual([]);
  await clearNotifications();
});

it('says why, when the service refuses at once (a bundle already there)', async () => {
  expect(await activateTransfer('alpha', 'Export…')).toBe(true);
  await chooseFolder('Export alpha', join(exports, 'done'));
  const refused = await notification((n) => n.title === 'Could not export alpha');
  expect(refused.body).toMatch(/alpha\.phyllome already exists/);
  await clearNotifications();
});

it('clones under the name the dialog proposes, and the clone appears in the menu', async () => {
  expect(await activateTransfer('alpha', 'Clone…')).toBe(true);
  const asked = await answerDialog('alpha copy');
  expect(asked).toEqual({ title: 'Clone alpha', text: 'alpha copy' });
  await notification((n) => n.title === 'Cloned alpha', 60_000);
  await shell.waitFor<string[]>(`${INDICATOR}.describe().guests.map((g) => g.name)`, (n) => n.length === 2);
  expect(await transferItems('alpha copy')).toEqual(['Move or Copy', 'Export…', 'Clone…']);
  await clearNotifications();
});

it('imports from the top-bar menu, through the file chooser, and offers Import… in the launcher', async () => {
  // The guest exported above goes, then comes back from its bundle.
  await libvirtCall(stack, await libvirtDomainPath(stack, 'alpha', QEMU), 'org.libvirt.Domain', 'Undefine', 'u', [0]);
  await shell.waitFor<string[]>(`${INDICATOR}.describe().guests.map((g) => g.name)`, (n) => !n.includes('alpha'));
  const opened = await shell.eval<boolean>(`(() => {
    const item = ${INDICATOR}.menu._getMenuItems().find((i) => i.label?.text === 'Import…');
    if (!item || !item.visible) return false;
    item.activate(null);
    return true;
  })()`);
  expect(opened).toBe(true);
  await chooseFolder('Import a Guest', join(exports, 'done', 'alpha.phyllome'));
  const done = await notification((n) => n.title === 'Guest imported', 60_000);
  // What this host set instead of the bundle follows, in the job's message.
  expect(done.body).toMatch(/^Imported alpha\. .*Set by this host instead of the bundle: .*the emulator/);
  await shell.waitFor<string[]>(`${INDICATOR}.describe().guests.map((g) => g.name)`, (n) => n.includes('alpha'));

  // The launcher: Import… under its title, each tile's transfers under it.
  await shell.eval(
    `(() => { ${INDICATOR}.menu._getMenuItems().find((i) => i.label?.text === 'Show All Guests').activate(null); return true; })()`,
  );
  const LAUNCHER = `Main.uiGroup.get_children().find((c) => c.has_style_class_name?.('phyllome-launcher'))`;
  await shell.waitFor<boolean>(`${LAUNCHER} !== undefined`, (open) => open);
  const buttons = await shell.eval<string[]>(
    `(() => { const out = []; const walk = (a) => { if (a.has_style_class_name?.('phyllome-launcher-action')) out.push(a.label); a.get_children().forEach(walk); }; walk(${LAUNCHER}); return out; })()`,
  );
  expect(buttons).toEqual(['Import…', 'Export…', 'Clone…', 'Export…', 'Clone…']);
  await shell.screenshot(join(ARTIFACTS, 'transfer-launcher.png'));
  // Its Clone… closes the launcher and asks for a name.
  await shell.eval(`(() => {
    const found = []; const walk = (a) => { if (a.has_style_class_name?.('phyllome-launcher-action')) found.push(a); a.get_children().forEach(walk); };
    walk(${LAUNCHER});
    found[2].emit('clicked', 1);
    return true;
  })()`);
  await shell.waitFor<boolean>(`${LAUNCHER} === undefined`, (closed) => closed);
  const cloneAsked = await answerDialog(undefined);
  expect(cloneAsked).toEqual({ title: 'Clone alpha', text: 'alpha copy 2' });
  await clearNotifications();
});

it('moves a running guest only to another host; a refusal says why', async () => {
  await stack.client.service(alpha, GUEST, 'Start', '', [], 30_000);
  await shell.waitFor<string[]>(`${INDICATOR}.describe().guests.map((g) => g.state)`, (s) => s.includes('running'));
  expect(await activateTransfer('alpha', 'Move to…')).toBe(true);
  const asked = await answerDialog('qemu:///system');
  expect(asked).toEqual({ title: 'Move alpha to Another Host', text: 'qemu+ssh://' });
  const refused = await notification((n) => n.title === 'Could not move alpha');
  expect(refused.body).toMatch(/this host's own libvirt/);
  await stack.client.service(alpha, GUEST, 'ForceOff', '', [], 30_000);
  await clearNotifications();
});

it('wrote no JS error or warning of ours to the Shell log', () => {
  expect(shell.extensionProblems()).toEqual([]);
});
