// The preferences' Seats page in a real GNOME Shell 48 whose session is on
// seat1 of two (fake logind), with the service on libvirt's test driver
// (guest 'test'): opened as the Extensions app opens it, driven with the
// Shell's virtual keyboard like a person would — each key's effect awaited
// as accessibility (AT-SPI, ../atspi.ts) tells it — and checked against the
// service. The preferences process is in the session on seat1, so it may
// assign seat1's guest; seat0's is polkit's to allow (fake polkitd).
// Run by test/shell/run-e2e.sh in its seat1 Shell run.

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GUEST, MANAGER, MANAGER_PATH, propertiesChanged, TestClient } from '../../support/dbus-client.js';
import { ServiceStack } from '../../support/stack.js';
import { ARTIFACTS } from '../../support/artifacts.js';
import { createInputDevices, pressChord } from '../input.js';
import { ShellDriver, UUID } from '../shell.js';
import { waitFor } from '../../support/wait.js';
import { Accessibility, alerts, pages, type ComboRowView } from '../atspi.js';

const PREFS_TITLE = 'Phyllome Switcher';
const SEAT = 'me.phyllo.Switcher1.Seat';
const OTHER_SEAT = 'me.phyllo.switcher.manage-other-seat';
const seatPath = (id: string): string => `/me/phyllo/Switcher1/seat/${id}`;

interface WindowView {
  title: string;
  pid: number;
  focused: boolean;
}

let stack: ServiceStack | undefined;
let shell: ShellDriver;
let shellClient: TestClient | undefined;
let polkit: TestClient | undefined;
let test = '';
let logStart = 0;
let prefsPid = 0;
let a11y: Accessibility | undefined;

const WINDOWS = `global.get_window_actors().map((a) => a.get_meta_window()).map((w) => ({ title: w.get_title(), pid: w.get_pid(), focused: global.display.focus_window === w }))`;
const client = (): TestClient => (stack as ServiceStack).client;
const prefs = (): Accessibility => a11y as Accessibility;

/** Presses a key, then waits for what it does in the window. */
async function press(key: string, effect: () => Promise<unknown>): Promise<void> {
  await pressChord(shell, [key]);
  await effect();
}
const focusOn = (role: string, name: string) => (): Promise<unknown> => prefs().waitForFocus(PREFS_TITLE, role, name);
/** The seat's row as `check` wants it. */
const seatRow = (seat: string, what: string, check: (row: ComboRowView) => boolean) => (): Promise<unknown> =>
  prefs().waitForComboRow(PREFS_TITLE, seat, what, check);
/** Its list of choices open, the keyboard on `choice`. */
const choicesOn = (seat: string, choice: string) =>
  seatRow(seat, `open on ${choice}`, (row) => row.open && row.highlighted === choice);
/** Its list closed, the row (and the focus) on it, showing `choice`. */
const showing = (seat: string, choice: string) => async (): Promise<void> => {
  await seatRow(seat, `closed, showing ${choice}`, (row) => !row.open && row.shows === choice)();
  await focusOn('combo box', seat)();
};
/** Picks the choice after the one the closed row shows, focused: its list opened, Down, Return. */
async function pickNext(seat: string, from: string, to: string): Promise<void> {
  await press('Return', choicesOn(seat, from));
  await press('Down', choicesOn(seat, to));
  await pressChord(shell, ['Return']);
}
const guestOf = (seat: string): Promise<unknown> => client().property(seatPath(seat), SEAT, 'Guest');

/** Waits until a seat's guest is `expected`; the service writes it to libvirt first. */
async function waitForSeatGuest(seat: string, expected: string, timeoutMs = 10_000): Promise<void> {
  await client().waitForPropertyThat(seatPath(seat), 'Guest', (value) => value === expected, {
    iface: SEAT,
    timeoutMs,
    wanted: expected,
  });
}

/** Not our child: nothing announces its end but /proc, looked at every 100 ms up to the deadline. */
function gone(pid: number, timeoutMs: number): Promise<boolean> {
  return waitFor(() => !alive(pid), { what: `process ${pid} to end`, timeoutMs, pollMs: 100 });
}

/** Running and not a zombie, on the host's /proc (the root shares our PID namespace). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** What fake polkitd allows beyond nothing (its default). */
async function polkitAllows(actions: string[]): Promise<void> {
  polkit ??= await TestClient.connect(process.env.SHELL_TEST_SYSTEM_BUS_ADDRESS as string);
  await polkit.call(
    'org.freedesktop.PolicyKit1',
    '/org/freedesktop/PolicyKit1/Authority',
    'org.freedesktop.DBus.Mock',
    'SetAllowed',
    'as',
    [actions],
  );
}

/** Disables and enables the extension: a new session view that lands anew, as at log-in (ACTIVE 1, INACTIVE 2). */
/** Disables and enables the extension as at a new login: landing is once per login, so it is forgotten. */
async function reenable(): Promise<void> {
  await shell.setEnabled(false);
  await shell.waitFor<number>(`Main.extensionManager.lookup('${UUID}').state`, (s) => s === 2);
  await shell.eval(`Main.extensionManager.lookup('${UUID}').stateObj.landing.landed = false; true`);
  await shell.setEnabled(true);
  await shell.waitFor<number>(`Main.extensionManager.lookup('${UUID}').state`, (s) => s === 1);
}

/** Stops what this file started and leaves the Shell's session as it found it. */
async function cleanUp(): Promise<void> {
  if (prefsPid > 0 && alive(prefsPid)) {
    await shell
      .eval(
        `global.get_window_actors().map((a) => a.get_meta_window()).filter((w) => w.get_pid() === ${prefsPid}).forEach((w) => w.delete(global.display.get_current_time_roundtrip())); true`,
      )
      .catch(() => undefined);
    // The Extensions service ends on its own once its window is closed; if a failed test left it, end it.
    await gone(prefsPid, 5_000).catch(() => undefined);
    if (alive(prefsPid)) process.kill(prefsPid, 'SIGTERM');
  }
  if (polkit) {
    await polkitAllows([]).catch(() => undefined);
    polkit.disconnect();
    polkit = undefined;
  }
  if (stack) {
    await stack.stop();
    stack = undefined;
    // Without the service nothing more can land; then a fresh session view for the next file.
    await shell.stopSpying().catch(() => undefined);
    await reenable().catch(() => undefined);
  }
}

beforeAll(async () => {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  const system = process.env.SHELL_TEST_SYSTEM_BUS_ADDRESS;
  const log = process.env.SHELL_TEST_LOG;
  if (!address || !system || !log) throw new Error('run through test/shell/run-e2e.sh');
  logStart = statSync(log).size;
  // libvirt-dbus on the test driver, on the Shell's session bus.
  stack = await ServiceStack.start({ busAddress: address, withService: false });
  // A connection of its own: the Shell is still talked to once the stack is stopped.
  shellClient = await TestClient.connect(address);
  shell = new ShellDriver(shellClient);
  await createInputDevices(shell);
  a11y = Accessibility.start();
  // An earlier file's notifications would cover the window; and this session has not landed yet.
  await shell.eval('Main.messageTray.getSources().forEach((s) => s.destroy()); true');
  await reenable();
  // The session lands in seat1's guest once it learns of one: record it instead, no viewer could show the test driver's guest.
  await shell.spyOnSwitcher('switchTo', 'arg.path');
  await stack.startService('test:///default', ['--system-bus', system]);
  await stack.client.watch();
  test = await stack.client.waitForGuest('test');
}, 120_000);

afterAll(async () => {
  await cleanUp();
  await a11y?.stop();
  shellClient?.disconnect();
});

it('runs in a session on seat1 of two seats, neither with a guest', async () => {
  // Logged in as GNOME 45+ logs in: the seat is logind's (User.Display), not the environment's.
  expect(await shell.eval(`imports.gi.GLib.getenv('XDG_SEAT')`)).toBeNull();
  const [seats] = await client().service(MANAGER_PATH, MANAGER, 'ListSeats');
  expect(seats).toEqual([seatPath('seat0'), seatPath('seat1')]);
  expect([await guestOf('seat0'), await guestOf('seat1')]).toEqual(['/', '/']);
});

it('opens the preferences, with a Seats page', async () => {
  await shell.openPrefs();
  const list = await shell.waitFor<WindowView[]>(WINDOWS, (l) => l.some((w) => w.title === PREFS_TITLE && w.focused));
  prefsPid = list.find((w) => w.title === PREFS_TITLE)?.pid ?? 0;
  expect(prefsPid).toBeGreaterThan(0);
  // The focus is on the first row of the first page, and the Seats page is added once the service answered.
  await focusOn('list item', 'Next Guest')();
  await prefs().waitFor(PREFS_TITLE, 'a Seats page', ({ tree }) => pages(tree).includes('Seats'));
  // The page switcher is one Shift+Tab back. Right, Right: Shortcuts, Guests, Seats.
  await press('ISO_Left_Tab', focusOn('page tab', 'Shortcuts'));
  await press('Right', focusOn('page tab', 'Guests'));
  await press('Right', focusOn('page tab', 'Seats'));
  await press('Return', () => prefs().waitForPage(PREFS_TITLE, 'Seats'));
  const file = join(ARTIFACTS, 'prefs-seats.png');
  await shell.screenshot(file);
  expect(readFileSync(file).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
});

it("assigns the guest picked in seat1's row to seat1, and the session lands in it", async () => {
  // Tab: into the page, on seat0's row; Down: seat1's. Return opens its choices on
  // the selected one, No Guest; Down: test.
  const from = client().signals.length;
  await press('Tab', focusOn('combo box', 'seat0'));
  await press('Down', focusOn('combo box', 'seat1'));
  await press('Return', choicesOn('seat1', 'No Guest'));
  await shell.screenshot(join(ARTIFACTS, 'prefs-seats-choices.png'));
  await press('Down', choicesOn('seat1', 'test'));
  await press('Return', showing('seat1', 'test'));
  await waitForSeatGuest('seat1', test);
  await client().waitForSignal(propertiesChanged(seatPath('seat1'), 'Guest', test), 5_000, from);
  expect(await client().property(test, GUEST, 'Seat')).toBe('seat1');
  expect(await guestOf('seat0')).toBe('/');
  expect(await shell.waitFor<string[]>('globalThis.__phySpy ?? []', (l) => l.length > 0)).toEqual([test]);
  await shell.screenshot(join(ARTIFACTS, 'prefs-seats-assigned.png'));
});

it('follows a change made elsewhere', async () => {
  const from = client().signals.length;
  await client().service(seatPath('seat1'), SEAT, 'AssignGuest', 'o', ['/']);
  await client().waitForSignal(propertiesChanged(seatPath('seat1'), 'Guest', '/'), 5_000, from);
  // The row shows No Guest again, so Down picks test anew; had it stayed on test, Down and
  // Return would change nothing.
  await showing('seat1', 'No Guest')();
  await pickNext('seat1', 'No Guest', 'test');
  await showing('seat1', 'test')();
  await waitForSeatGuest('seat1', test);
});

it("says why seat0's guest is refused, and its row goes back to the seat's guest", async () => {
  // Up: seat0's row. Not this session's seat, and polkit says no: a toast says why.
  await press('Up', focusOn('combo box', 'seat0'));
  await pickNext('seat0', 'No Guest', 'test');
  await prefs().waitFor(PREFS_TITLE, 'the refusal', ({ tree }) =>
    alerts(tree).some((text) => text.startsWith('Not allowed to act on the seats seat0 and seat1')),
  );
  await showing('seat0', 'No Guest')();
  await shell.screenshot(join(ARTIFACTS, 'prefs-seats-refused.png'));
  expect(await guestOf('seat0')).toBe('/');
  expect(await guestOf('seat1')).toBe(test);

  // The row is back on No Guest: once polkit allows it, the same keys assign test to seat0
  // (had it stayed on test, they would change nothing), and seat1's row follows to No Guest.
  await polkitAllows([OTHER_SEAT]);
  await pickNext('seat0', 'No Guest', 'test');
  await showing('seat0', 'test')();
  await waitForSeatGuest('seat0', test);
  expect(await guestOf('seat1')).toBe('/');
  await polkitAllows([]);
  await shell.screenshot(join(ARTIFACTS, 'prefs-seats-moved.png'));
});

it('closes, and the Extensions service that showed it ends', async () => {
  await shell.eval(
    `global.get_window_actors().map((a) => a.get_meta_window()).find((w) => w.get_title() === '${PREFS_TITLE}').delete(global.display.get_current_time_roundtrip()); true`,
  );
  await shell.waitFor<WindowView[]>(WINDOWS, (l) => !l.some((w) => w.title === PREFS_TITLE));
  await gone(prefsPid, 10_000);
  expect(alive(prefsPid)).toBe(false);
});

it('stops what it started and hands the session back', async () => {
  await cleanUp();
  expect(await shell.extensionInfo()).toEqual({ state: 1, error: '' });
});

it('wrote no JS error or warning, neither the extension in the Shell nor its preferences', () => {
  expect(shell.extensionProblems()).toEqual([]);
  expect(shell.prefsProblems(logStart, prefsPid)).toEqual([]);
});
