// A preferences page that is in the window only while it has something to
// show (Displays with no guest of ours to set, Seats on a one-seat host have
// nothing), with its one group of rows made anew each time the rows change,
// and the toasts its refused changes are told in.

import { Adw, GLib } from '../gi-prefs.js';

export interface OptionalPageProps {
  title: string;
  iconName: string;
  groupTitle: string;
  groupDescription: string;
}

export class OptionalPage {
  private page: Adw.PreferencesPage | undefined;
  private group: Adw.PreferencesGroup | undefined;

  constructor(
    private readonly window: Adw.PreferencesWindow,
    private readonly props: OptionalPageProps,
  ) {}

  /**
   * A new, empty group in place of the old one, the page added to the window
   * first if it was not there; with nothing to show, no group and no page.
   */
  show(somethingToShow: boolean): Adw.PreferencesGroup | undefined {
    this.clear();
    if (!somethingToShow) {
      if (this.page) this.window.remove(this.page);
      this.page = undefined;
      return undefined;
    }
    if (!this.page) {
      this.page = new Adw.PreferencesPage({ title: this.props.title, icon_name: this.props.iconName });
      this.window.add(this.page);
    }
    this.group = new Adw.PreferencesGroup({ title: this.props.groupTitle, description: this.props.groupDescription });
    this.page.add(this.group);
    return this.group;
  }

  /** Drops the group and its rows; the page stays until show() finds nothing to show. */
  clear(): void {
    if (this.group && this.page) this.page.remove(this.group);
    this.group = undefined;
  }

  /** Tells the person at the window something, such as the service's words for a refused change. */
  toast(message: string): void {
    // Adw.Toast titles are markup.
    this.window.add_toast(new Adw.Toast({ title: GLib.markup_escape_text(message, -1), timeout: 8 }));
  }

  /** Where a dialog of the page's is presented. */
  get parent(): Adw.PreferencesWindow {
    return this.window;
  }
}
