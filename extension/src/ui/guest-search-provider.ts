// Guests in the overview's search, run inside the Shell
// (Main.overview.searchController.addProvider, GNOME Shell 45 and later)
// rather than as a D-Bus search provider, which Phyllome's GNOME turns off.
// Typing part of a guest's name or its OS finds it; its icon shows its
// state (the menu's state icon on the guest's screen); activating it
// switches to it, starting it if it is off.

import { _, Clutter, type Gio, Main, St } from '../gi.js';
import type { GuestList, GuestSummary } from '../model/guest-list.js';
import { presentState } from '../model/guest-state.js';
import { searchGuests } from '../model/guest-search.js';
import { osLabel } from '../model/os-label.js';

/** What the Shell's search shows of one result (search.js). */
interface ResultMeta {
  id: string;
  name: string;
  description: string;
  createIcon: (size: number) => Clutter.Actor;
}

/** The part of the Shell's SearchController an extension uses (45+). */
interface SearchController {
  addProvider(provider: GuestSearchProvider): void;
  removeProvider(provider: GuestSearchProvider): void;
}

export class GuestSearchProvider {
  /** The Shell's search keys its results by provider id. */
  readonly id = 'phyllome-switcher';
  /** No app: the Shell shows the results as a grid of icons, like its own apps. */
  readonly appInfo = null;
  readonly canLaunchSearch = false;
  readonly isRemoteProvider = false;
  private registered = false;

  constructor(
    private readonly guests: GuestList,
    /** Switches to the guest, starting it if it is off. */
    private readonly switchTo: (guest: GuestSummary) => void,
  ) {}

  /** Adds this provider to the overview's search. */
  register(): void {
    if (this.registered) return;
    searchController().addProvider(this);
    this.registered = true;
  }

  unregister(): void {
    if (!this.registered) return;
    searchController().removeProvider(this);
    this.registered = false;
  }

  getInitialResultSet(terms: string[], _cancellable?: Gio.Cancellable): Promise<string[]> {
    return Promise.resolve(searchGuests(this.guests.ordered(), terms));
  }

  /** Searched afresh (it is all in memory): a guest may have come since the first terms. */
  getSubsearchResultSet(_previous: string[], terms: string[], cancellable?: Gio.Cancellable): Promise<string[]> {
    return this.getInitialResultSet(terms, cancellable);
  }

  getResultMetas(ids: string[], _cancellable?: Gio.Cancellable): Promise<ResultMeta[]> {
    // One meta per id, as the Shell requires, even for a guest gone since the search.
    return Promise.resolve(ids.map((id) => this.meta(id, this.guests.get(id))));
  }

  activateResult(id: string, _terms: string[]): void {
    const guest = this.guests.get(id);
    if (guest) this.switchTo(guest);
  }

  filterResults(results: string[], maxResults: number): string[] {
    return results.slice(0, maxResults);
  }

  launchSearch(_terms: string[]): void {
    // Nothing: the provider has no app to search in.
  }

  createResultObject(_meta: ResultMeta): null {
    return null; // the Shell's own grid result
  }

  private meta(id: string, guest: GuestSummary | undefined): ResultMeta {
    const state = presentState(guest?.state ?? '');
    const description = [_(state.label), osLabel(guest?.osId ?? '')].filter(Boolean).join(' · ');
    return {
      id,
      name: guest?.name ?? _('A guest that is gone'),
      description,
      createIcon: (size) => guestIcon(size, guest?.display === '', state.iconName, description),
    };
  }
}

/** The guest's icon with its state's icon on its screen. */
function guestIcon(size: number, ownScreen: boolean, stateIcon: string, description: string): Clutter.Actor {
  const icon = new St.Widget({
    layout_manager: new Clutter.BinLayout(),
    width: size,
    height: size,
    accessible_name: description,
  });
  icon.add_child(
    new St.Icon({ icon_name: ownScreen ? 'video-display-symbolic' : 'computer-symbolic', icon_size: size }),
  );
  icon.add_child(
    new St.Icon({
      icon_name: stateIcon,
      icon_size: Math.max(16, Math.round(size / 3)),
      style_class: 'phyllome-search-state',
      x_align: Clutter.ActorAlign.CENTER,
      y_align: Clutter.ActorAlign.CENTER,
    }),
  );
  return icon;
}

function searchController(): SearchController {
  return (Main.overview as { searchController: SearchController }).searchController;
}
