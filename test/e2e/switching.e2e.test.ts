// Switching guests in a real GNOME Shell 48 with two monitors: real QEMU
// guests (libvirtd sandbox), each shown by a real virt-viewer running inside
// the Shell's root, our service and the extension. Shortcuts are pressed on
// a virtual keyboard, so they take the real path through mutter, shortcut
// inhibition included.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ServiceStack } from '../support/stack.js';
import { ARTIFACTS } from '../support/artifacts.js';
import { GUEST } from '../support/dbus-client.js';
import { libvirtCall, tinyQemuGuestXml } from '../support/libvirt.js';
import { createInputDevices, movePointer, pressChord } from './input.js';
import { clickItem, INDICATOR } from './menu.js';
import { realGuestsInShell, type ShellDriver, UUID } from './shell.js';
import { waitFor } from '../support/wait.js';

const guestXml = (name: string): string => tinyQemuGuestXml(name, { display: true });

interface WindowView {
  monitor: number;
  fullscreen: boolean;
  focused: boolean;
}

let stack: ServiceStack;
let shell: ShellDriver;
const paths: Record<string, string> = {};

const viewerPid = async (name: string): Promise<number> =>
  (await stack.client.property(paths[name] as string, GUEST, 'ViewerPid')) as number;

/** The viewer window of a guest as the Shell sees it, or null. */
async function viewerWindow(name: string): Promise<WindowView | null> {
  const pid = await viewerPid(name);
  if (pid === 0) return null;
  return shell.eval<WindowView | null>(`(() => {
    const w = global.get_window_actors().map((a) => a.get_meta_window()).find((w) => w.get_pid() === ${pid});
    return w ? { monitor: w.get_monitor(), fullscreen: w.is_fullscreen(), focused: global.display.focus_window === w } : null;
  })()`);
}

async function waitForWindow(name: string, expected: Partial<WindowView>, timeoutMs = 30_000): Promise<WindowView> {
  let last: WindowView | null = null;
  return waitFor(
    async () => {
      last = await viewerWindow(name);
      return last && Object.entries(expected).every(([k, v]) => last?.[k as keyof WindowView] === v) ? last : null;
    },
    {
      what: () => `${name}'s viewer window ${JSON.stringify(expected)} (it is ${JSON.stringify(last)})`,
      timeoutMs,
      pollMs: 100,
    },
  );
}

/**
 * A keybinding the way any extension adds one (maskable), to tell whether
 * shortcuts are inhibited, and a non-maskable sentinel, counted whether or
 * not they are: once the sentinel pressed after the probe is counted, the
 * probe has been handled too (keys are handled in order).
 */
async function addProbeBinding(): Promise<void> {
  const dir = join(process.env.SHELL_TEST_STATE as string, 'probe-schema');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'me.phyllo.test.probe.gschema.xml'),
    `<schemalist><schema id="me.phyllo.test.probe" path="/me/phyllo/test/probe/">
       <key name="probe" type="as"><default><![CDATA[['<Control><Alt>j']]]></default></key>
       <key name="sentinel" type="as"><default><![CDATA[['<Control><Alt>k']]]></default></key>
     </schema></schemalist>`,
  );
  execFileSync('glib-compile-schemas', [dir]);
  await shell.eval(`(() => {
    const {Gio, Meta, Shell} = imports.gi;
    const source = Gio.SettingsSchemaSource.new_from_directory(${JSON.stringify(dir)}, Gio.SettingsSchemaSource.get_default(), false);
    const settings = new Gio.Settings({ settings_schema: source.lookup('me.phyllo.test.probe', false) });
    globalThis.__phyProbe = 0;
    globalThis.__phySentinel = 0;
    Main.wm.addKeybinding('probe', settings, Meta.KeyBindingFlags.NONE, Shell.ActionMode.ALL, () => globalThis.__phyProbe++);
    Main.wm.addKeybinding('sentinel', settings, Meta.KeyBindingFlags.NON_MASKABLE, Shell.ActionMode.ALL, () => globalThis.__phySentinel++);
    return true;
  })()`);
}

const probeCount = (): Promise<number> => shell.eval<number>('globalThis.__phyProbe');

/**
 * Waits until the viewer under the pointer holds the keyboard (its grab
 * inhibits ordinary shortcuts), which it takes when the pointer enters it:
 * the probe is pressed, then the sentinel, until the probe is no longer
 * counted by the time the sentinel is.
 */
async function waitForInhibited(): Promise<void> {
  await waitFor(
    async () => {
      const [probe, sentinel] = [await probeCount(), await shell.eval<number>('globalThis.__phySentinel')];
      await pressChord(shell, ['Control_L', 'Alt_L', 'j']);
      await pressChord(shell, ['Control_L', 'Alt_L', 'k']);
      await shell.waitFor<number>('globalThis.__phySentinel', (n) => n > sentinel);
      return (await probeCount()) === probe;
    },
    { what: 'the viewer to hold the keyboard (ordinary shortcuts inhibited)', timeoutMs: 15_000, pollMs: 0 },
  );
}

/** Titles of the modal dialogs on screen (ModalDialog.State OPENED 0, OPENING 2). */
const OPEN_DIALOGS = `Main.layoutManager.modalDialogGroup.get_children().filter((d) => d.visible && (d.state === 0 || d.state === 2)).map((d) => d.contentLayout?.get_first_child()?.title ?? d.constructor.name)`;

beforeAll(async () => {
  // virt-viewer runs inside the Shell's root, next to the Shell.
  ({ stack, shell } = await realGuestsInShell());
  for (const name of ['alpha', 'bravo']) {
    await libvirtCall(stack, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [guestXml(name)]);
  }
  for (const name of ['alpha', 'bravo']) paths[name] = await stack.client.waitForGuest(name);
  await stack.client.service(paths.alpha as string, GUEST, 'SetMonitor', 's', ['Meta-0']);
  await stack.client.service(paths.bravo as string, GUEST, 'SetMonitor', 's', ['Meta-1']);
  await createInputDevices(shell);
  await addProbeBinding();
  await shell.waitFor<number>(`Main.panel.statusArea['${UUID}'].describe().guests.length`, (n) => n === 2);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

it('runs with two monitors, Meta-0 and Meta-1', async () => {
  expect(await shell.eval('global.display.get_n_monitors()')).toBe(2);
  expect(await shell.eval(`global.backend.get_monitor_manager().get_monitor_for_connector('Meta-1')`)).toBe(1);
});

it('starts a guest that is off and shows it full-screen on its monitor (Super+Alt+1)', async () => {
  await pressChord(shell, ['Super_L', 'Alt_L', '1']);
  await waitForWindow('alpha', { monitor: 0, fullscreen: true, focused: true }, 60_000);
  expect(await stack.client.property(paths.alpha as string, GUEST, 'State')).toBe('running');
});

it('puts a second guest full-screen on the other monitor, each filling one (Super+Alt+2)', async () => {
  await pressChord(shell, ['Super_L', 'Alt_L', '2']);
  await waitForWindow('bravo', { monitor: 1, fullscreen: true, focused: true }, 60_000);
  expect(await viewerWindow('alpha')).toEqual({ monitor: 0, fullscreen: true, focused: false });
  await shell.screenshot(join(ARTIFACTS, 'switching-two-monitors.png'));
});

it('switches while the viewer holds the keyboard, where an ordinary shortcut is inhibited', async () => {
  // The pointer entering the focused viewer makes it grab the keyboard: shortcut inhibition.
  await movePointer(shell, 1280 + 640, 400);
  await waitForInhibited();
  const before = await probeCount();
  await pressChord(shell, ['Control_L', 'Alt_L', 'j']);
  // The Shell did not ask whether the viewer may inhibit shortcuts: we granted it.
  expect(await shell.eval(OPEN_DIALOGS)).toEqual([]);
  await pressChord(shell, ['Super_L', 'Alt_L', '1']);
  await waitForWindow('alpha', { monitor: 0, fullscreen: true, focused: true });
  // Keys are handled in order: the switch came after the ordinary chord, which was inhibited.
  expect(await probeCount()).toBe(before);
  expect(await viewerWindow('bravo')).toMatchObject({ monitor: 1, fullscreen: true });
});

it('goes round with next and previous', async () => {
  await pressChord(shell, ['Super_L', 'Alt_L', 'Page_Down']);
  await waitForWindow('bravo', { focused: true });
  await pressChord(shell, ['Super_L', 'Alt_L', 'Page_Up']);
  await waitForWindow('alpha', { focused: true });
});

it("uses shortcuts that none of GNOME Shell 48's own take", async () => {
  const taken = await shell.eval<Record<string, string[]>>(`(() => {
    const {Gio} = imports.gi;
    const taken = {};
    for (const id of ['org.gnome.desktop.wm.keybindings', 'org.gnome.shell.keybindings', 'org.gnome.mutter.keybindings', 'org.gnome.mutter.wayland.keybindings']) {
      const settings = new Gio.Settings({ schema_id: id });
      for (const key of settings.settings_schema.list_keys())
        for (const accel of settings.get_value(key).deepUnpack()) if (accel) (taken[accel.toLowerCase()] ??= []).push(id + ' ' + key);
    }
    return taken;
  })()`);
  const ours = await shell.eval<Record<string, string[]>>(`(() => {
    const settings = Main.extensionManager.lookup('${UUID}').stateObj.getSettings();
    return Object.fromEntries(settings.settings_schema.list_keys().filter((k) => settings.get_value(k).get_type_string() === 'as').map((k) => [k, settings.get_strv(k)]));
  })()`);
  expect(Object.keys(ours)).toHaveLength(13);
  const clashes = Object.entries(ours).flatMap(([key, accels]) =>
    accels.filter((a) => taken[a.toLowerCase()]).map((a) => `${key} ${a}: ${taken[a.toLowerCase()]?.join(', ')}`),
  );
  expect(clashes).toEqual([]);
});

it('goes back to the host while the viewer holds the keyboard', async () => {
  await movePointer(shell, 640, 400);
  await waitForInhibited();
  const before = await probeCount();
  await pressChord(shell, ['Control_L', 'Alt_L', 'j']);
  await pressChord(shell, ['Super_L', 'Alt_L', 'Escape']);
  await shell.waitFor<boolean>('Main.overview.visible', (v) => v);
  // Keys are handled in order: the overview came after the ordinary chord, which was inhibited.
  expect(await probeCount()).toBe(before);
  await shell.eval('Main.overview.hide(); true');
  await shell.waitFor<boolean>('Main.overview.visible', (v) => !v);
});

it('opens the launcher with a live tile per guest; arrows and Enter switch', async () => {
  await pressChord(shell, ['Super_L', 'Alt_L', 'space']);
  // The launcher is ours; it is reached through the indicator's extension state for the test only.
  const launcher = `(() => { const a = Main.uiGroup.get_children().find((c) => c.has_style_class_name?.('phyllome-launcher')); return a ? true : false; })()`;
  await shell.waitFor<boolean>(launcher, (open) => open);
  await shell.screenshot(join(ARTIFACTS, 'launcher.png'));
  const focusedName = `global.stage.get_key_focus()?.get_child?.()?.get_children?.()[1]?.text ?? null`;
  expect(await shell.waitFor(focusedName, (n) => n !== null)).toBe('alpha');
  await pressChord(shell, ['Right']);
  await shell.waitFor(focusedName, (n) => n === 'bravo');
  await pressChord(shell, ['Return']);
  await shell.waitFor<boolean>(launcher, (open) => !open);
  await waitForWindow('bravo', { focused: true, monitor: 1, fullscreen: true });
});

it('places a reopened viewer back on its monitor, full-screen', async () => {
  const old = await viewerPid('bravo');
  expect(old).toBeGreaterThan(0); // process.kill(0) would kill this test's own process group
  process.kill(old, 'SIGKILL');
  await stack.client.waitForPropertyThat<number>(
    paths.bravo as string,
    'ViewerPid',
    (pid) => pid !== 0 && pid !== old,
    {
      timeoutMs: 10_000,
    },
  );
  expect(await viewerPid('bravo')).not.toBe(old);
  await waitForWindow('bravo', { monitor: 1, fullscreen: true });
});

it('moves an open viewer to the monitor its guest is given, at once, keeping the focus', async () => {
  await waitForWindow('bravo', { monitor: 1, fullscreen: true });
  await pressChord(shell, ['Super_L', 'Alt_L', '2']);
  await waitForWindow('bravo', { monitor: 1, fullscreen: true, focused: true });
  await stack.client.service(paths.bravo as string, GUEST, 'SetMonitor', 's', ['Meta-0']);
  await waitForWindow('bravo', { monitor: 0, fullscreen: true, focused: true }, 5_000);
  await stack.client.service(paths.bravo as string, GUEST, 'SetMonitor', 's', ['Meta-1']);
  await waitForWindow('bravo', { monitor: 1, fullscreen: true, focused: true }, 5_000);
});

/** Mutter's current monitors, and a temporary configuration with or without one of them. */
async function applyMonitors(without?: string): Promise<void> {
  const dc = [
    'org.gnome.Mutter.DisplayConfig',
    '/org/gnome/Mutter/DisplayConfig',
    'org.gnome.Mutter.DisplayConfig',
  ] as const;
  const [serial, monitors] = (await stack.client.call(...dc, 'GetCurrentState')) as [
    number,
    [[string, string, string, string], [string, number, number, number, number, number[], Record<string, unknown>][]][],
  ];
  // Side by side from x=0, each at its current mode, the first one primary.
  const logical = monitors
    .filter(([[connector]]) => connector !== without)
    .map(([[connector], modes], i) => {
      const mode = modes.find((m) => (m[6] as Record<string, { value?: boolean }>)['is-current']?.value) ?? modes[0];
      return [i * (mode?.[1] ?? 1280), 0, 1, 0, i === 0, [[connector, mode?.[0] ?? '', {}]]];
    });
  await stack.client.call(...dc, 'ApplyMonitorsConfig', 'uua(iiduba(ssa{sv}))a{sv}', [serial, 1, logical, {}]);
}

it('follows monitors that go and come back: a guest goes back to its own monitor when it returns', async () => {
  await waitForWindow('bravo', { monitor: 1, fullscreen: true });
  await applyMonitors('Meta-1');
  try {
    await shell.waitFor<number>('global.display.get_n_monitors()', (n) => n === 1);
    // Its monitor gone, it shows on the one there is.
    await waitForWindow('bravo', { monitor: 0 }, 10_000);
  } finally {
    await applyMonitors();
  }
  await shell.waitFor<number>('global.display.get_n_monitors()', (n) => n === 2);
  await waitForWindow('bravo', { monitor: 1, fullscreen: true }, 10_000);
  await waitForWindow('alpha', { monitor: 0, fullscreen: true }, 10_000);
});

it('does not report a call cut short by a disable (a screen lock) as a failure', async () => {
  await shell.eval('Main.messageTray.getSources().forEach((s) => s.destroy()); true');
  // alpha's SeaBIOS ignores ACPI: its Shut Down waits on the service until the disable cuts it short.
  expect(await clickItem(shell, 'alpha', 'Shut Down')).toBe(true);
  await stack.client.waitForProperty(paths.alpha as string, 'State', 'stopping', 5_000);
  await shell.setEnabled(false);
  await shell.setEnabled(true);
  await shell.waitFor<number>(`${INDICATOR}.describe().guests.length`, (n) => n === 2);
  // The disable cut the call short within itself; the Shell has run its handlers since (it answered us).
  const titles = await shell.eval<string[]>(
    'Main.messageTray.getSources().flatMap((s) => s.notifications.map((n) => n.title))',
  );
  expect(titles.filter((t) => t.startsWith('Could not'))).toEqual([]);
  await stack.client.service(paths.alpha as string, GUEST, 'ForceOff', '', [], 30_000);
  await stack.client.waitForProperty(paths.alpha as string, 'State', 'shutoff', 10_000);
});

it('wrote no JS error or warning of ours to the Shell log', () => {
  expect(shell.extensionProblems()).toEqual([]);
});
