// Sections of our menus, added and taken away without a trace. The Shell's
// PopupMenuBase.addMenuItem connects the section and its menu to each other
// with connectObject (each tracking the other), but neither is a GObject, so
// nothing untracks them when they are destroyed: the Shell's signal manager
// would keep both, and through them the whole menu and everything it shows,
// for the Shell's lifetime. Every section of ours is added and dropped
// through here.

import { PopupMenu } from '../gi.js';

interface SignalTracking {
  disconnectObject(tracked: object): void;
}

type Parent = PopupMenu.PopupMenuBase;

/** Adds a new section to a menu (at `position`, or at the end). */
export function addSection(parent: Parent, position?: number): PopupMenu.PopupMenuSection {
  const section = new PopupMenu.PopupMenuSection();
  parent.addMenuItem(section, position);
  return section;
}

/** Untracks a section and its menu from each other and destroys the section. */
export function dropSection(parent: Parent, section: PopupMenu.PopupMenuSection): void {
  untrackSection(parent, section);
  section.destroy();
}

/** Untracks a section and its menu from each other, for menus about to be destroyed with it. */
export function untrackSection(parent: Parent, section: PopupMenu.PopupMenuSection): void {
  (parent as unknown as SignalTracking).disconnectObject(section);
  (section as unknown as SignalTracking).disconnectObject(parent);
}

/**
 * A submenu item in a menu: addMenuItem tracks the parent menu from the
 * item's submenu (connectObject), which nothing undoes either. Call as the
 * item is destroyed.
 */
export function untrackSubmenu(item: PopupMenu.PopupSubMenuMenuItem): void {
  const parent = (item as unknown as { _parent?: object | null })._parent;
  if (parent) (item.menu as unknown as SignalTracking).disconnectObject(parent);
}
