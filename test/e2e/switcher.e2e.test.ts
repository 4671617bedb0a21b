// The top-bar switcher in a real GNOME Shell 48 (headless), against our real
// service and libvirt-dbus on the test driver, all on the Shell's own bus.
// Run by test/shell/run-e2e.sh inside test/shell/run-shell.sh.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceStack } from '../support/stack.js';
import { ARTIFACTS } from '../support/artifacts.js';
import { defineTestGuest, libvirtCall, libvirtDomainPath, libvirtState } from '../support/libvirt.js';
import { clickItem, INDICATOR, MENU, menuAtRest, type MenuView } from './menu.js';
import { ShellDriver } from './shell.js';

let stack: ServiceStack;
let shell: ShellDriver;

const names = (view: MenuView): string[] => view.guests.map((g) => g.name);
const guestIn = (view: MenuView, name: string) => view.guests.find((g) => g.name === name);

/** Clicks an action in a guest's submenu, as a person would. */
const clickAction = (guestName: string, actionLabel: string): Promise<boolean> =>
  clickItem(shell, guestName, actionLabel);

beforeAll(async () => {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (!address || !process.env.SHELL_TEST_LOG) throw new Error('run through test/shell/run-e2e.sh');
  // The Shell's bus: our service and libvirt-dbus join it from the host.
  stack = await ServiceStack.start({ busAddress: address, withService: false });
  shell = new ShellDriver(stack.client);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the switcher in GNOME Shell 48', () => {
  it('is installed, enabled and ACTIVE with no error', async () => {
    const info = await shell.extensionInfo();
    expect(info).toEqual({ state: 1, error: '' });
    expect(await shell.eval(`${INDICATOR} !== undefined`)).toBe(true);
  });

  it('says in plain words that the service is not running, and lists nothing', async () => {
    const view = await shell.eval<MenuView>(MENU);
    expect(view).toEqual({ status: 'The guest service is not running', guests: [] });
  });

  it('lists the guests once the service appears, with their state and actions', async () => {
    await stack.startService();
    const view = await shell.waitFor<MenuView>(MENU, (v) => v.guests.length === 1);
    expect(view).toEqual({
      status: undefined,
      guests: [
        { name: 'test', state: 'running', actions: ['Switch To', 'Pause', 'Shut Down', 'Restart', 'Force Off…'] },
      ],
    });
  });

  it('acts on libvirt through the menu', async () => {
    expect(await clickAction('test', 'Pause')).toBe(true);
    await shell.waitFor<MenuView>(MENU, (v) => guestIn(v, 'test')?.state === 'paused');
    expect(await libvirtState(stack, 'test')).toBe(3); // VIR_DOMAIN_PAUSED
    expect(guestIn(await shell.eval<MenuView>(MENU), 'test')?.actions).toEqual(['Switch To', 'Resume', 'Force Off…']);
    expect(await clickAction('test', 'Resume')).toBe(true);
    await shell.waitFor<MenuView>(MENU, (v) => guestIn(v, 'test')?.state === 'running');
    expect(await libvirtState(stack, 'test')).toBe(1);
  });

  it('asks before forcing off: Cancel changes nothing, Force Off forces off', async () => {
    const dialog = `Main.layoutManager.modalDialogGroup.get_children().find((d) => d.dialogLayout?._dialog?.has_style_class_name('phyllome-confirm-dialog'))`;
    const pressButton = (index: number) =>
      shell.eval(`(() => { ${dialog}.buttonLayout.get_children()[${index}].emit('clicked', 1); return true; })()`);

    expect(await clickAction('test', 'Force Off…')).toBe(true);
    const title = await shell.waitFor<string | null>(
      `${dialog}?.contentLayout.get_first_child().title ?? null`,
      (t) => t !== null,
    );
    expect(title).toBe('Force off test?');
    await shell.screenshot(join(ARTIFACTS, 'switcher-force-off-dialog.png'));
    await pressButton(0); // Cancel
    await shell.waitFor<boolean>(`${dialog} === undefined`, (gone) => gone);
    // A Pause asked after the Cancel goes the same way, after anything the Cancel could have sent:
    // once it is done, the guest was paused from running, not forced off.
    expect(await clickAction('test', 'Pause')).toBe(true);
    await shell.waitFor<MenuView>(MENU, (v) => guestIn(v, 'test')?.state === 'paused');
    expect(await libvirtState(stack, 'test')).toBe(3); // VIR_DOMAIN_PAUSED
    expect(await clickAction('test', 'Resume')).toBe(true);
    await shell.waitFor<MenuView>(MENU, (v) => guestIn(v, 'test')?.state === 'running');
    expect(await libvirtState(stack, 'test')).toBe(1);

    expect(await clickAction('test', 'Force Off…')).toBe(true);
    await shell.waitFor<string | null>(`${dialog}?.contentLayout.get_first_child().title ?? null`, (t) => t !== null);
    await pressButton(1); // Force Off
    await shell.waitFor<MenuView>(MENU, (v) => guestIn(v, 'test')?.state === 'shutoff');
    expect(await libvirtState(stack, 'test')).toBe(5);
    expect(await clickAction('test', 'Start')).toBe(true);
    await shell.waitFor<MenuView>(MENU, (v) => guestIn(v, 'test')?.state === 'running');
  });

  it('follows changes made behind its back, live', async () => {
    const path = await libvirtDomainPath(stack, 'test');
    await libvirtCall(stack, path, 'org.libvirt.Domain', 'Suspend');
    await shell.waitFor<MenuView>(MENU, (v) => guestIn(v, 'test')?.state === 'paused');
    await libvirtCall(stack, path, 'org.libvirt.Domain', 'Resume');
    await shell.waitFor<MenuView>(MENU, (v) => guestIn(v, 'test')?.state === 'running');

    const uuid = await defineTestGuest(stack, 'Windows 11', { osId: 'http://microsoft.com/win/11' });
    const view = await shell.waitFor<MenuView>(MENU, (v) => v.guests.length === 2);
    expect(names(view)).toEqual(['test', 'Windows 11']);
    await libvirtCall(
      stack,
      `/org/libvirt/Test/domain/_${uuid.replace(/-/g, '_')}`,
      'org.libvirt.Domain',
      'Undefine',
      'u',
      [0],
    );
    expect(names(await shell.waitFor<MenuView>(MENU, (v) => v.guests.length === 1))).toEqual(['test']);
  });

  it('shows guest names as text, never as markup', async () => {
    // libvirt refuses '/' in names, so no closing tags: an unbalanced tag would break markup parsing.
    const name = 'AT&T <i>lab';
    const uuid = await defineTestGuest(stack, name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    const view = await shell.waitFor<MenuView>(MENU, (v) => v.guests.length === 2);
    expect(names(view)).toContain(name);
    const usesMarkup = await shell.eval<boolean>(
      `(() => { ${INDICATOR}.menu.open(false); const used = ${INDICATOR}.rowFor(${JSON.stringify(name)}).label.clutter_text.use_markup; ${INDICATOR}.menu.close(false); return used; })()`,
    );
    expect(usesMarkup).toBe(false);
    await libvirtCall(
      stack,
      `/org/libvirt/Test/domain/_${uuid.replace(/-/g, '_')}`,
      'org.libvirt.Domain',
      'Undefine',
      'u',
      [0],
    );
    await shell.waitFor<MenuView>(MENU, (v) => v.guests.length === 1);
  });

  it("puts a guest's name into a sentence as it is, '$&' and '%s' included", async () => {
    // String.replace would read '$&' as "what matched" and give back '%s'.
    const name = '$& %s';
    await defineTestGuest(stack, name.replace(/&/g, '&amp;'));
    await shell.waitFor<MenuView>(MENU, (v) => v.guests.length === 2);
    // A failure's notification: its title says which guest, by name.
    await stack.libvirtDbus?.stop('SIGKILL');
    try {
      await shell.waitFor<MenuView>(MENU, (v) => v.status?.startsWith('Cannot reach libvirt') ?? false);
      expect(await clickAction(name, 'Start')).toBe(true);
      const titles = await shell.waitFor<string[]>(
        `Main.messageTray.getSources().flatMap((s) => s.notifications.map((n) => n.title))`,
        (list) => list.some((t) => t.startsWith('Could not start')),
      );
      expect(titles.filter((t) => t.startsWith('Could not start'))).toEqual(['Could not start $& %s']);
    } finally {
      // What the tests after this one find: libvirt back, and with it the test driver afresh, without this guest.
      await shell.eval('Main.messageTray.getSources().forEach((s) => s.destroy()); true');
      await stack.startLibvirtDbus();
      await shell.waitFor<MenuView>(MENU, (v) => v.status === undefined && names(v).join() === 'test');
    }
  });

  it('keeps the open menu as a screenshot', async () => {
    await defineTestGuest(stack, 'Fedora Workstation', { osId: 'http://fedoraproject.org/fedora/41' });
    await shell.waitFor<MenuView>(MENU, (v) => v.guests.length === 2);
    await shell.eval(
      `(() => { const i = ${INDICATOR}; i.menu.open(false); i.rowFor('test').setSubmenuShown(true); return true; })()`,
    );
    const file = join(ARTIFACTS, 'switcher-menu.png');
    await shell.screenshot(file);
    expect(readFileSync(file).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(statSync(file).size).toBeGreaterThan(10_000);
    await shell.eval(`${INDICATOR}.menu.close(false); true`);
  });

  it('tells why an action failed, in a notification', async () => {
    await stack.libvirtDbus?.stop('SIGKILL');
    const view = await shell.waitFor<MenuView>(MENU, (v) => v.status?.startsWith('Cannot reach libvirt') ?? false);
    expect(names(view)).toEqual(['Fedora Workstation', 'test']); // what was known stays
    expect(await clickAction('test', 'Pause')).toBe(true);
    const notifications = await shell.waitFor<string[]>(
      `Main.messageTray.getSources().flatMap((s) => s.notifications.map((n) => n.title + ' | ' + n.body))`,
      (list) => list.some((n) => n.startsWith('Could not pause test')),
    );
    expect(notifications.find((n) => n.startsWith('Could not pause test'))).toBe(
      'Could not pause test | libvirt is not reachable right now',
    );
    await shell.eval('Main.messageTray.getSources().forEach((s) => s.destroy()); true');
    await stack.startLibvirtDbus();
    await shell.waitFor<MenuView>(MENU, (v) => v.status === undefined && v.guests.length === 1);
  });

  it('survives the service stopping and starting again, without duplicates or stale items', async () => {
    await stack.service?.stop();
    expect(await shell.waitFor<MenuView>(MENU, (v) => v.guests.length === 0)).toEqual({
      status: 'The guest service is not running',
      guests: [],
    });
    await stack.startService();
    const view = await shell.waitFor<MenuView>(MENU, (v) => v.guests.length > 0);
    // Still so once everything the new service said was handled.
    expect(await menuAtRest(shell, stack)).toEqual(view);
    expect(names(view)).toEqual(['test']);
    const rows = await shell.eval<number>(
      `(() => { ${INDICATOR}.menu.open(false); const n = ${INDICATOR}.describe().rows; ${INDICATOR}.menu.close(false); return n; })()`,
    );
    expect(rows).toBe(1);
  });

  it('leaves nothing behind after 50 disable/enable cycles', async () => {
    // Every actor on stage, and those of ours (by GType or style class); but the overview's dash and app
    // grid (and the dash's labels), where nothing of ours goes: the Shell rebuilds them on its own as apps
    // start, stop or are installed, deferred while the overview is hidden (Main.queueDeferredWork, up to
    // seconds later), so under load an earlier test file's viewers left the dash in the middle of the cycles.
    const census = `(() => {
      let all = 0, ours = 0;
      const rebuiltByTheShell = new Set(['Gjs_ui_dash_Dash', 'Gjs_ui_appDisplay_AppDisplay']);
      const walk = (a) => {
        if (rebuiltByTheShell.has(GObject.type_name(a.constructor.$gtype)) || a.has_style_class_name?.('dash-label')) return;
        all++;
        if (GObject.type_name(a.constructor.$gtype).startsWith('Phyllome') || (a.get_style_class_name?.() ?? '').includes('phyllome')) ours++;
        for (const c of a.get_children()) walk(c);
      };
      const GObject = imports.gi.GObject;
      walk(global.stage);
      return { all, ours, statusArea: Object.keys(Main.panel.statusArea).length };
    })()`;
    // Notifications of earlier tests come and go on their own: clear them so only we can change the count.
    await shell.eval('Main.messageTray.getSources().forEach((s) => s.destroy()); true');
    type Census = { all: number; ours: number; statusArea: number };
    // Windows of earlier test files may still be going away: take the baseline once the stage holds still.
    // The Shell's deferred work announces nothing: the same census twice, 500 ms apart, with nothing moving.
    const steady = async (): Promise<Census> => {
      await shell.waitForStill();
      let last = '';
      return shell.waitFor<Census>(
        census,
        (now) => {
          const same = JSON.stringify(now) === last;
          last = JSON.stringify(now);
          return same;
        },
        10_000,
        500,
      );
    };
    await shell.setEnabled(false);
    try {
      await shell.waitFor<boolean>(`${INDICATOR} === undefined`, (v) => v);
      const baseline = await steady();
      expect(baseline.ours).toBe(0);
      for (let i = 0; i < 50; i++) {
        await shell.setEnabled(true);
        await shell.setEnabled(false);
      }
      await shell.waitFor<boolean>(`${INDICATOR} === undefined`, (v) => v);
      expect(await steady()).toEqual(baseline);
    } finally {
      // Whatever happened, later test files find the extension enabled.
      await shell.setEnabled(true);
    }
    await shell.waitFor<MenuView>(MENU, (v) => v.guests.length === 1);
    expect((await shell.extensionInfo()).state).toBe(1);
  });

  it('wrote no JS error or warning of ours to the Shell log', () => {
    expect(shell.extensionProblems()).toEqual([]);
    expect(existsSync(join(ARTIFACTS, 'switcher-menu.png'))).toBe(true);
  });
});
