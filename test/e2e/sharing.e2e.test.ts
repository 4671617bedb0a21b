// Share… in a real GNOME Shell 48: the item in a running guest's menu (a
// section of its own), the dialog that asks how long and then shows the
// credential once, its Copy button putting the connection file on the
// clipboard — which a SPICE link then uses to get in — and Stop Sharing.
// A real guest on a libvirtd sandbox, our per-user service inside its
// namespace on the Shell's bus, sharing on 127.0.0.1.

import { execFile } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GUEST } from '../support/dbus-client.js';
import { libvirtCall } from '../support/libvirt.js';
import { paintedGuestXml } from '../support/painted-guest.js';
import { ROOT, ServiceStack } from '../support/stack.js';
import { clickItem, INDICATOR, submenu } from './menu.js';
import { ShellDriver } from './shell.js';
import { waitFor } from '../support/wait.js';

const ARTIFACTS = join(ROOT, '.cache/artifacts');
const PROBE = resolve(ROOT, 'test/support/remote-probe.mjs');
const DIALOG = `Main.layoutManager.modalDialogGroup.get_children().find((d) => d.visible && d.dialogLayout?._dialog?.has_style_class_name('phyllome-share-dialog'))`;
const run = promisify(execFile);

let stack: ServiceStack;
let shell: ShellDriver;
let guest = '';
let state = '';
let sockets = '';

interface DialogView {
  title: string;
  description: string;
  details: string[];
  buttons: string[];
}

const VIEW = `(() => {
  const d = ${DIALOG};
  if (!d) return null;
  const [content, details] = d.contentLayout.get_children();
  return {
    title: content.title,
    description: content.description,
    details: details ? details.get_children().map((l) => l.text) : [],
    buttons: d.buttonLayout.get_children().map((b) => b.label),
  };
})()`;

const click = (label: string): Promise<boolean> =>
  shell.eval<boolean>(`(() => {
    const button = ${DIALOG}?.buttonLayout.get_children().find((b) => b.label === ${JSON.stringify(label)});
    button?.emit('clicked', 1);
    return button !== undefined;
  })()`);

/** The items of the guest's sharing section (the one under 'Another Computer'), or none. */
const sharingItems = async (): Promise<string[]> =>
  (await submenu(shell, 'shared-vm')).find((section) => section[0] === 'Another Computer') ?? [];

/** A SPICE link to the share, as the connection file says, with its password. */
async function link(file: string): Promise<{ result?: number; error?: string }> {
  const value = (key: string): string =>
    (new RegExp(`^${key}=(.*)$`, 'm').exec(file)?.[1] ?? '').replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
  const request = {
    op: 'link',
    host: value('host'),
    port: Number(value('tls-port')),
    password: value('password'),
    ca: value('ca'),
    subject: value('host-subject'),
  };
  const { stdout } = await run(process.execPath, [PROBE, JSON.stringify(request)], { timeout: 60_000 });
  return JSON.parse(stdout) as { result?: number; error?: string };
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
  state = realpathSync(mkdtempSync(join(tmpdir(), 'phyllome-state-')));
  // Short: a socket's path is at most 107 bytes.
  sockets = realpathSync(mkdtempSync(join(tmpdir(), 'phyllome-d-')));
  await stack.startService('qemu:///session', [
    '--share-listen',
    '127.0.0.1',
    '--share-ports',
    '6020-6029',
    '--state-dir',
    state,
    '--display-dir',
    sockets,
  ]);
  await stack.client.watch();
  await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
    paintedGuestXml(stack.libvirtdNamespacePid, 'shared-vm', ''),
  ]);
  guest = await stack.client.waitForGuest('shared-vm');
  await stack.client.service(guest, GUEST, 'Start', '', [], 30_000);
  await shell.waitFor<{ name: string; state: string }[]>(
    `${INDICATOR}.describe().guests`,
    (guests) => guests.some((g) => g.name === 'shared-vm' && g.state === 'running'),
    30_000,
  );
}, 120_000);

afterAll(async () => {
  await shell?.eval(`(() => { ${DIALOG}?.close(); return true; })()`).catch(() => undefined);
  await stack?.stop();
  for (const dir of [state, sockets]) if (dir) rmSync(dir, { recursive: true, force: true });
});

it("offers Share… in a section of its own in a running guest's menu", async () => {
  expect(await sharingItems()).toEqual(['Another Computer', 'Share…']);
});

it('asks how long, then shows the credential once, and Copy puts the connection file on the clipboard', async () => {
  expect(await clickItem(shell, 'shared-vm', 'Share…')).toBe(true);
  const asked = await shell.waitFor<DialogView | null>(VIEW, (v) => v !== null);
  expect(asked?.title).toBe('Share shared-vm with Another Computer');
  expect(asked?.buttons).toEqual(['Cancel', '15 Minutes', '1 Hour', '4 Hours']);
  await shell.screenshot(join(ARTIFACTS, 'share-ask.png'));
  expect(await click('1 Hour')).toBe(true);
  const shown = await shell.waitFor<DialogView | null>(VIEW, (v) => v?.title === 'shared-vm Is Shared', 30_000);
  expect(shown?.buttons).toEqual(['Copy Connection File', 'Done']);
  expect(shown?.description).toMatch(/remote-viewer share\.vv/);
  const [addressLabel, address, passwordLabel, password, fingerprintLabel, fingerprint] = shown?.details ?? [];
  expect([addressLabel, passwordLabel, fingerprintLabel]).toEqual([
    'Address',
    'Password',
    'Certificate fingerprint (SHA-256)',
  ]);
  expect(address).toMatch(/^spice:\/\/127\.0\.0\.1\?tls-port=60[2]\d$/);
  expect(password).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
  expect(fingerprint).toMatch(/^([0-9A-F]{2}:){15}[0-9A-F]{2}\n([0-9A-F]{2}:){15}[0-9A-F]{2}$/);
  expect(await stack.client.property(guest, GUEST, 'Shared')).toBe(true);
  await shell.screenshot(join(ARTIFACTS, 'share-credential.png'));
  expect(await click('Copy Connection File')).toBe(true);
  await shell.eval(`(() => {
    globalThis.__phyClipboard = undefined;
    imports.gi.St.Clipboard.get_default().get_text(imports.gi.St.ClipboardType.CLIPBOARD, (_c, text) => (globalThis.__phyClipboard = text));
    return true;
  })()`);
  const file = await shell.waitFor<string | null>('globalThis.__phyClipboard ?? null', (t) => t !== null);
  expect(file).toContain(`password=${password}\n`);
  // What was copied gets another computer in.
  expect((await link(file ?? '')).result).toBe(0);
  expect(await click('Done')).toBe(true);
  await shell.waitFor<boolean>(`${DIALOG} === undefined`, (gone) => gone);
  await shell.eval('(() => { delete globalThis.__phyClipboard; return true; })()');
}, 90_000);

it('says until when it is shared, and Stop Sharing ends it', async () => {
  const items = await sharingItems();
  expect(items[0]).toBe('Another Computer');
  expect(items[1]).toMatch(/^Shared until \S+/);
  expect(items[2]).toBe('Stop Sharing');
  expect(await clickItem(shell, 'shared-vm', 'Stop Sharing')).toBe(true);
  await stack.client.waitForProperty(guest, 'Shared', false, 10_000);
  // The menu follows the service's PropertiesChanged.
  await waitFor(async () => (await sharingItems())[1] === 'Share…', {
    what: 'the menu to offer Share…',
    timeoutMs: 10_000,
    pollMs: 100,
  });
});
