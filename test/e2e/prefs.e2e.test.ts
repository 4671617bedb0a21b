// The preferences in a real GNOME Shell 48 (headless): opened the way the
// Extensions app opens them (org.gnome.Shell.Extensions, D-Bus-activated in
// the Shell's root), driven with the Shell's virtual keyboard like a person
// would — each key's effect awaited as accessibility (AT-SPI, ./atspi.ts)
// tells it — and checked against the settings the extension binds its
// shortcuts from, and against mutter calling the extension for the new chord.
// Run by test/shell/run-e2e.sh inside test/shell/run-shell.sh.

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestClient } from '../support/dbus-client.js';
import { ARTIFACTS } from '../support/artifacts.js';
import { createInputDevices, pressChord } from './input.js';
import { ShellDriver, UUID } from './shell.js';
import { waitFor } from '../support/wait.js';
import { Accessibility, labels, nodes } from './atspi.js';

const PREFS_TITLE = 'Phyllome Switcher';
const DIALOG_TITLE = 'Set Shortcut';
const NEXT_DEFAULT = ['<Super><Alt>Page_Down'];

interface WindowView {
  title: string;
  pid: number;
  focused: boolean;
}

interface SettingView {
  value: string[];
  /** The user's value, null while the key is at its default. */
  user: string[] | null;
}

let client: TestClient;
let shell: ShellDriver;
let logStart = 0;
let prefsPid = 0;
let a11y: Accessibility;

const WINDOWS = `global.get_window_actors().map((a) => a.get_meta_window()).map((w) => ({ title: w.get_title(), pid: w.get_pid(), focused: global.display.focus_window === w }))`;
const SETTINGS = `Main.extensionManager.lookup('${UUID}').stateObj.getSettings()`;

const windows = (): Promise<WindowView[]> => shell.eval<WindowView[]>(WINDOWS);

/** The keyboard focus on the Next Guest row: where a key pressed in the window goes. */
const waitForRowFocus = (): Promise<unknown> => a11y.waitForFocus(PREFS_TITLE, 'list item', 'Next Guest');

/** Waits for the shortcut dialog to say why it refused a key. */
const waitForRefusal = (reason: string): Promise<unknown> =>
  a11y.waitFor(DIALOG_TITLE, `the refusal “${reason}”`, ({ tree }) => labels(tree ?? undefined).includes(reason));

/** next-guest as the extension in the Shell reads it. */
const NEXT_GUEST = `(() => {
  const s = ${SETTINGS};
  return { value: s.get_strv('next-guest'), user: s.get_user_value('next-guest')?.deepUnpack() ?? null };
})()`;
const nextGuest = (): Promise<SettingView> => shell.eval<SettingView>(NEXT_GUEST);

/** Waits for next-guest to read `expected` in the Shell: the preferences write it through dconf. */
const waitForNextGuest = (expected: SettingView): Promise<SettingView> =>
  shell.waitFor<SettingView>(NEXT_GUEST, (v) => JSON.stringify(v) === JSON.stringify(expected));

const waitForFocused = (title: string): Promise<WindowView[]> =>
  shell.waitFor<WindowView[]>(WINDOWS, (list) => list.some((w) => w.title === title && w.focused));

const waitForGone = (title: string): Promise<WindowView[]> =>
  shell.waitFor<WindowView[]>(WINDOWS, (list) => !list.some((w) => w.title === title));

/** Running and not a zombie, on the host's /proc (the root shares our PID namespace). */
/** Not our child: nothing announces its end but /proc, looked at every 100 ms up to the deadline. */
function gone(pid: number, timeoutMs: number): Promise<boolean> {
  return waitFor(() => !alive(pid), { what: `process ${pid} to end`, timeoutMs, pollMs: 100 });
}

function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

beforeAll(async () => {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  const log = process.env.SHELL_TEST_LOG;
  if (!address || !log) throw new Error('run through test/shell/run-e2e.sh');
  logStart = statSync(log).size;
  client = await TestClient.connect(address);
  shell = new ShellDriver(client);
  await createInputDevices(shell);
  a11y = Accessibility.start();
  await shell.eval(`${SETTINGS}.reset('next-guest'); true`);
});

afterAll(async () => {
  if (shell) {
    await shell.stopSpying().catch(() => undefined);
    await shell.eval(`${SETTINGS}.reset('next-guest'); true`).catch(() => undefined);
    await shell
      .eval(
        `global.get_window_actors().map((a) => a.get_meta_window()).filter((w) => w.get_pid() === ${prefsPid}).forEach((w) => w.delete(global.display.get_current_time_roundtrip())); true`,
      )
      .catch(() => undefined);
  }
  // The Extensions service ends on its own once its window is closed; if a failed test left it, end it.
  if (prefsPid > 0) await gone(prefsPid, 5_000).catch(() => undefined);
  if (prefsPid > 0 && alive(prefsPid)) process.kill(prefsPid, 'SIGTERM');
  await a11y?.stop();
  client?.disconnect();
});

it('opens through org.gnome.Shell.Extensions, focused', async () => {
  await shell.openPrefs();
  const list = await waitForFocused(PREFS_TITLE);
  prefsPid = list.find((w) => w.title === PREFS_TITLE)?.pid ?? 0;
  expect(prefsPid).toBeGreaterThan(0);
  const file = join(ARTIFACTS, 'prefs.png');
  await shell.screenshot(file);
  expect(readFileSync(file).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  expect(await nextGuest()).toEqual({ value: NEXT_DEFAULT, user: null });
});

it('takes a new Next Guest shortcut from the keyboard, and the Shell switches with it', async () => {
  // The first row of the first page, Next Guest, has the focus when the window opens.
  await waitForRowFocus();
  await pressChord(shell, ['Return']);
  await waitForFocused(DIALOG_TITLE);
  await shell.screenshot(join(ARTIFACTS, 'prefs-shortcut-dialog.png'));

  // A key that types text, or one every application needs, is refused: the dialog stays, and says why.
  await pressChord(shell, ['a']);
  await waitForRefusal('This key types text: hold Ctrl, Alt or Super with it.');
  await pressChord(shell, ['Return']);
  await waitForRefusal('Every application needs this key: hold Ctrl, Alt or Super with it.');
  await shell.screenshot(join(ARTIFACTS, 'prefs-shortcut-refused.png'));
  expect((await windows()).some((w) => w.title === DIALOG_TITLE)).toBe(true);
  expect(await nextGuest()).toEqual({ value: NEXT_DEFAULT, user: null });

  // Keys reach the dialog in order: had it taken `a` (or closed on Return), this chord would not be the one set.
  await pressChord(shell, ['Control_L', 'Alt_L', 'n']);
  await waitForGone(DIALOG_TITLE);
  await waitForNextGuest({ value: ['<Control><Alt>n'], user: ['<Control><Alt>n'] });

  // mutter has rebound it: the new chord reaches the extension, the old one no longer does.
  // The Shell can read the new value from dconf a moment before the change notice that makes mutter rebind arrives.
  await shell.spyOnSwitcher('switchBy', 'arg.kind');
  const calls = (): Promise<string[]> => shell.spied<string>();
  await waitFor(
    async () => {
      if ((await calls()).length > 0) return true;
      await pressChord(shell, ['Control_L', 'Alt_L', 'n']);
      return false;
    },
    { what: 'the new chord to reach the extension', timeoutMs: 5_000, pollMs: 250 },
  );
  expect(await calls()).toEqual(['next']);
  // The old chord, then the new one again: once the second call came, the old chord was handled, and did nothing.
  await pressChord(shell, ['Super_L', 'Alt_L', 'Page_Down']);
  await pressChord(shell, ['Control_L', 'Alt_L', 'n']);
  await waitFor(async () => (await calls()).length >= 2, { what: 'the new chord again', pollMs: 50 });
  expect(await calls()).toEqual(['next', 'next']);
  await shell.stopSpying();

  await waitForFocused(PREFS_TITLE);
  await shell.screenshot(join(ARTIFACTS, 'prefs-changed.png'));
});

it('resets it with the row’s reset button', async () => {
  // The focus came back to the row; its reset button, shown now, is next.
  await waitForRowFocus();
  await pressChord(shell, ['Tab']);
  await a11y.waitForFocus(PREFS_TITLE, 'button', 'Reset to Default');
  await pressChord(shell, ['Return']);
  await waitForNextGuest({ value: NEXT_DEFAULT, user: null });
});

it('disables it with Backspace, leaves it on Escape, and resets it when given the default again', async () => {
  // The reset button hides; the focus goes back to the row, and the row shows the default again.
  await waitForRowFocus();
  await a11y.waitFor(PREFS_TITLE, 'the reset button hidden', ({ tree }) =>
    nodes(tree).every((n) => n.name !== 'Reset to Default'),
  );
  await pressChord(shell, ['Return']);
  await waitForFocused(DIALOG_TITLE);
  await pressChord(shell, ['BackSpace']);
  await waitForGone(DIALOG_TITLE);
  await waitForNextGuest({ value: [], user: [] });

  await waitForRowFocus();
  await pressChord(shell, ['Return']);
  await waitForFocused(DIALOG_TITLE);
  await pressChord(shell, ['Escape']);
  await waitForGone(DIALOG_TITLE);
  expect(await nextGuest()).toEqual({ value: [], user: [] });

  await waitForRowFocus();
  await pressChord(shell, ['Return']);
  await waitForFocused(DIALOG_TITLE);
  await pressChord(shell, ['Super_L', 'Alt_L', 'Page_Down']);
  await waitForGone(DIALOG_TITLE);
  await waitForNextGuest({ value: NEXT_DEFAULT, user: null });
});

it('closes, and the Extensions service that showed it ends', async () => {
  await shell.eval(
    `global.get_window_actors().map((a) => a.get_meta_window()).find((w) => w.get_title() === '${PREFS_TITLE}').delete(global.display.get_current_time_roundtrip()); true`,
  );
  await waitForGone(PREFS_TITLE);
  await gone(prefsPid, 10_000);
  expect(alive(prefsPid)).toBe(false);
});

it('wrote no JS error or warning, neither the extension in the Shell nor its preferences', () => {
  expect(shell.extensionProblems()).toEqual([]);
  expect(shell.prefsProblems(logStart, prefsPid)).toEqual([]);
});
