// One guest in the menu: name, state icon and words, and a submenu of the
// actions that make sense in its state.

import { Clutter, GObject, PopupMenu, St } from '../gi.js';
import type { GuestSummary } from '../model/guest-list.js';
import { ACTION_LABEL, actionsFor, presentState, type GuestAction } from '../model/guest-state.js';

export type ActionHandler = (guest: GuestSummary, action: GuestAction) => void;

export const GuestItem = GObject.registerClass(
  { GTypeName: 'PhyllomeGuestItem' },
  class GuestItem extends PopupMenu.PopupSubMenuMenuItem {
    private guest!: GuestSummary;
    private onAction!: ActionHandler;
    private stateLabel!: St.Label;
    private shownState: string | undefined;

    constructor(guest: GuestSummary, onAction: ActionHandler) {
      super(guest.name, true);
      this.guest = guest;
      this.onAction = onAction;
      this.add_style_class_name('phyllome-guest-item');
      this.stateLabel = new St.Label({ style_class: 'phyllome-guest-state', y_align: Clutter.ActorAlign.CENTER });
      // Before the expander arrow, after the name.
      this.insert_child_below(this.stateLabel, this.get_last_child());
      this.update(guest);
    }

    update(guest: GuestSummary): void {
      this.guest = guest;
      // St.Label's text is never parsed as markup.
      this.label.text = guest.name;
      const presentation = presentState(guest.state);
      // PopupSubMenuMenuItem makes `icon` when asked for one (wantIcon); its types leave it out.
      (this as unknown as { icon: St.Icon }).icon.icon_name = presentation.iconName;
      this.stateLabel.text = presentation.label;
      this.accessible_name = `${guest.name}, ${presentation.label}`;
      if (guest.state !== this.shownState) this.rebuildActions();
    }

    private rebuildActions(): void {
      this.shownState = this.guest.state;
      this.menu.removeAll();
      for (const action of actionsFor(this.guest.state)) {
        const item = new PopupMenu.PopupMenuItem(ACTION_LABEL[action]);
        item.connect('activate', () => this.onAction(this.guest, action));
        this.menu.addMenuItem(item);
      }
    }
  },
);

export type GuestItem = InstanceType<typeof GuestItem>;
