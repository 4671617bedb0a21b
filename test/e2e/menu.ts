// The switcher's menu in the real Shell, driven as a person would: open it,
// open a guest's submenu, read or click its items. Through Eval.

import type { ShellDriver } from './shell.js';
import { UUID } from './shell.js';
import { libvirtCall } from '../support/libvirt.js';
import type { ServiceStack } from '../support/stack.js';

export const INDICATOR = `Main.panel.statusArea['${UUID}']`;

export interface MenuView {
  status: string | undefined;
  guests: { name: string; state: string; actions: string[] }[];
}

/** What the menu shows: the status line and every guest with its state and the actions it offers. */
export const MENU = `(() => { const d = ${INDICATOR}.describe(); return { status: d.status, guests: d.guests }; })()`;

/** JS that opens the menu and the guest's submenu, leaving the row in `row` (undefined if there is none). */
const openRow = (guest: string): string => `
  const indicator = ${INDICATOR};
  indicator.menu.open(false);
  const row = indicator.rowFor(${JSON.stringify(guest)});
  row?.setSubmenuShown(true);`;

/** The texts of a guest's submenu items, section by section (the menu is closed again after). */
export function submenu(shell: ShellDriver, guest: string): Promise<string[][]> {
  return shell.eval<string[][]>(`(() => {
    ${openRow(guest)}
    const sections = row ? row.menu._getMenuItems().map((section) => section._getMenuItems().map((i) => i.label?.text ?? '')) : [];
    indicator.menu.close(false);
    return sections;
  })()`);
}

/** Clicks an item of a guest's submenu by its text; false if there is none. */
export function clickItem(shell: ShellDriver, guest: string, label: string): Promise<boolean> {
  return shell.eval<boolean>(`(() => {
    ${openRow(guest)}
    const item = row?.menu._getMenuItems().flatMap((s) => s._getMenuItems()).find((i) => i.label?.text === ${JSON.stringify(label)});
    if (!item) { indicator.menu.close(false); return false; }
    item.activate(null);
    indicator.menu.close(false);
    return true;
  })()`);
}

/**
 * The menu once it has handled everything the service said before now: a
 * marker guest defined on libvirt's test driver after the fact shows in the
 * menu, then goes from it. The service announces in order and the extension
 * handles in order, so what came before the marker is in the view returned.
 */
export async function menuAtRest(shell: ShellDriver, stack: ServiceStack): Promise<MenuView> {
  const name = `marker-${process.hrtime.bigint()}`;
  const xml = `<domain type='test'><name>${name}</name><memory unit='MiB'>16</memory><vcpu>1</vcpu><os><type arch='i686'>hvm</type></os></domain>`;
  const [marker] = (await libvirtCall(stack, '/org/libvirt/Test', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
    xml,
  ])) as [string];
  await shell.waitFor<MenuView>(MENU, (v) => v.guests.some((g) => g.name === name));
  await libvirtCall(stack, marker, 'org.libvirt.Domain', 'Undefine', 'u', [0]);
  return shell.waitFor<MenuView>(MENU, (v) => !v.guests.some((g) => g.name === name));
}
