// The New Guest window: a GTK 4 program of its own, run by gjs when the
// switcher's "New Guest…" is chosen (windows/gtk-program.ts). The user
// picks an installer ISO (typed, or with the file chooser), sees the OS
// libosinfo recognises on it and what this host lacks for it, keeps or
// changes name, memory, CPUs and disk size, and creates: the service
// (Manager.CreateGuest) defines the guest, which then appears in the menu.
// Every call is asynchronous; Enter in the ISO field reads it, Enter in the
// name field creates.

import { describeError } from '../client/calls.js';
import { SwitcherClient } from '../client/switcher-client.js';
import { MANAGER_INTERFACE, MANAGER_PATH } from '../client/switcher1.js';
import { Adw, asWidget, Gio, GLib, Gtk, _ } from '../gi-app.js';
import { proposeGuestName, readDescription, type InstallerDescription } from './proposal.js';

const DESCRIBE_TIMEOUT_MS = 30_000;
const CREATE_TIMEOUT_MS = 120_000;
const TITLE = _('New Guest');

class NewGuestWindow {
  readonly window: Adw.ApplicationWindow;
  private readonly cancellable = new Gio.Cancellable();
  /** The service, asked only through its Manager: no guest or device is followed here. */
  private readonly client = new SwitcherClient();
  private description: InstallerDescription | undefined;
  private describedPath = '';
  /** libosinfo's systems, for when the ISO is not recognised: ids beside the combo's names. */
  private osIds: string[] = [''];
  private readonly iso: Adw.EntryRow;
  private readonly osRow: Adw.ActionRow;
  private readonly osChoice: Adw.ComboRow;
  private readonly osNames: Gtk.StringList;
  private readonly name: Adw.EntryRow;
  private readonly memory: Adw.SpinRow;
  private readonly vcpus: Adw.SpinRow;
  private readonly disk: Adw.SpinRow;
  private readonly hostGroup: Adw.PreferencesGroup;
  private hostRows: Gtk.Widget[] = [];
  private readonly status: Gtk.Label;
  private readonly create: Gtk.Button;
  private busy = false;

  constructor(application: Adw.Application) {
    this.window = new Adw.ApplicationWindow({ application, title: TITLE, default_width: 560, default_height: 720 });
    const header = new Adw.HeaderBar();
    const cancel = new Gtk.Button({ label: _('Cancel') });
    cancel.connect('clicked', () => this.window.close());
    header.pack_start(cancel);
    this.create = new Gtk.Button({ label: _('Create'), sensitive: false, css_classes: ['suggested-action'] });
    this.create.connect('clicked', () => void this.createGuest());
    header.pack_end(this.create);

    const page = new Adw.PreferencesPage();
    const installer = new Adw.PreferencesGroup({
      title: _('Installer'),
      description: _('The ISO image the guest installs its operating system from'),
    });
    this.iso = new Adw.EntryRow({ title: _('ISO image (full path)'), show_apply_button: true });
    this.iso.connect('apply', () => void this.describe());
    this.iso.connect('entry-activated', () => void this.describe());
    const choose = new Gtk.Button({ label: _('Choose…'), valign: Gtk.Align.CENTER });
    choose.connect('clicked', () => void this.chooseFile());
    this.iso.add_suffix(choose);
    installer.add(this.iso);
    this.osRow = new Adw.ActionRow({ title: _('Operating system'), subtitle: _('Choose an ISO image first') });
    installer.add(this.osRow);
    this.osNames = new Gtk.StringList({ strings: [_('Recognised on the ISO, or a generic one')] });
    this.osChoice = new Adw.ComboRow({ title: _('Install as'), model: this.osNames, enable_search: true });
    this.osChoice.connect('notify::selected', () => this.updateSensitivity());
    installer.add(this.osChoice);
    page.add(installer);

    const guest = new Adw.PreferencesGroup({ title: _('Guest') });
    this.name = new Adw.EntryRow({ title: _('Name') });
    this.name.connect('changed', () => this.updateSensitivity());
    this.name.connect('entry-activated', () => void this.createGuest());
    guest.add(this.name);
    const spin = (title: string, subtitle: string, lower: number, upper: number, step: number): Adw.SpinRow =>
      new Adw.SpinRow({
        title,
        subtitle,
        adjustment: new Gtk.Adjustment({ lower, upper, value: lower, step_increment: step, page_increment: step * 4 }),
      });
    this.memory = spin(_('Memory'), _('MiB'), 128, 1024 * 1024, 256);
    this.vcpus = spin(_('Processors'), _('virtual CPUs'), 1, 64, 1);
    this.disk = spin(_('Disk'), _('GiB, raw and sparse: it takes only what the guest writes'), 1, 64 * 1024, 8);
    for (const row of [this.memory, this.vcpus, this.disk]) guest.add(row);
    page.add(guest);

    this.hostGroup = new Adw.PreferencesGroup({ title: _('This host'), visible: false });
    page.add(this.hostGroup);
    this.status = new Gtk.Label({ wrap: true, xalign: 0, css_classes: ['error'], visible: false });
    const statusGroup = new Adw.PreferencesGroup();
    statusGroup.add(this.status);
    page.add(statusGroup);

    const view = new Adw.ToolbarView();
    view.add_top_bar(asWidget(header));
    view.set_content(asWidget(page));
    this.window.set_content(asWidget(view));
    this.window.connect('close-request', () => {
      this.cancellable.cancel();
      this.client.destroy();
      return false;
    });
  }

  async start(): Promise<void> {
    this.window.present();
    this.iso.grab_focus();
    try {
      void this.client.start();
      const [systems] = await this.client.call(MANAGER_PATH, MANAGER_INTERFACE, 'ListOperatingSystems', [''], {
        timeoutMs: DESCRIBE_TIMEOUT_MS,
      });
      this.osIds = ['', ...systems.map(([id]) => id)];
      this.osNames.splice(
        1,
        0,
        systems.map(([, name]) => name),
      );
    } catch (error) {
      this.showError(error);
    }
  }

  private async chooseFile(): Promise<void> {
    const filter = new Gtk.FileFilter({ name: _('ISO images') });
    filter.add_pattern('*.iso');
    filter.add_pattern('*.ISO');
    filter.add_mime_type('application/x-cd-image');
    const filters = new Gio.ListStore({ item_type: Gtk.FileFilter.$gtype });
    filters.append(filter);
    const dialog = new Gtk.FileDialog({ title: _('Choose an installer ISO'), filters, modal: true });
    try {
      const file = await new Promise<Gio.File | null>((resolve, reject) =>
        dialog.open(this.window, this.cancellable, (_source, result) => {
          try {
            resolve(dialog.open_finish(result));
          } catch (error) {
            reject(error);
          }
        }),
      );
      const path = file?.get_path();
      if (path) {
        this.iso.text = path;
        await this.describe();
      }
    } catch (error) {
      // Dismissing the chooser is no error.
      if (!(error instanceof GLib.Error && error.matches(Gtk.DialogError, Gtk.DialogError.DISMISSED)))
        this.showError(error);
    }
  }

  /** Asks the service what the ISO holds, and fills the form from the answer. */
  private async describe(): Promise<void> {
    const path = this.iso.text.trim();
    if (!path) return;
    this.setBusy(true);
    try {
      const [raw] = await this.client.call(MANAGER_PATH, MANAGER_INTERFACE, 'DescribeInstaller', [path], {
        timeoutMs: DESCRIBE_TIMEOUT_MS,
      });
      const d = readDescription(raw);
      this.description = d;
      this.describedPath = path;
      this.osRow.subtitle = d.name || _('Not recognised: choose it below, or keep the generic model');
      const index = d.id ? this.osIds.indexOf(d.id) : 0;
      this.osChoice.selected = index > 0 ? index : 0;
      const limit = (row: Adw.SpinRow, value: number, min: number, max: number): void => {
        row.adjustment.lower = min;
        row.adjustment.upper = max;
        row.value = Math.min(Math.max(value, min), max);
      };
      limit(this.memory, d.memoryMiB, d.min.memoryMiB, d.max.memoryMiB);
      limit(this.vcpus, d.vcpus, d.min.vcpus, d.max.vcpus);
      limit(this.disk, d.diskGiB, d.min.diskGiB, d.max.diskGiB);
      if (!this.name.text) this.name.text = proposeGuestName(d.name || 'guest', []);
      this.showHost(d.warnings);
      this.window.title = d.name ? `${TITLE}: ${d.name}` : TITLE;
      this.hideError();
      this.name.grab_focus();
    } catch (error) {
      this.description = undefined;
      this.osRow.subtitle = _('Choose an ISO image first');
      this.showError(error);
    } finally {
      this.setBusy(false);
    }
  }

  private showHost(warnings: string[]): void {
    for (const row of this.hostRows) this.hostGroup.remove(row);
    this.hostRows = warnings.map((warning) => {
      const row = new Adw.ActionRow({ title: warning, title_lines: 0 });
      row.add_prefix(new Gtk.Image({ icon_name: 'dialog-warning-symbolic' }));
      this.hostGroup.add(row);
      return row;
    });
    this.hostGroup.visible = warnings.length > 0;
  }

  private async createGuest(): Promise<void> {
    if (!this.create.sensitive) return;
    this.setBusy(true);
    const options = {
      'memory-mib': new GLib.Variant('t', this.memory.value),
      vcpus: new GLib.Variant('u', this.vcpus.value),
      'disk-gib': new GLib.Variant('t', this.disk.value),
    };
    const osId = this.osIds[this.osChoice.selected] ?? '';
    try {
      const [path] = await this.client.call(
        MANAGER_PATH,
        MANAGER_INTERFACE,
        'CreateGuest',
        [this.name.text.trim(), osId, this.describedPath, options],
        // The person creating may be asked to authenticate (polkit, through the service).
        { interactive: true, timeoutMs: CREATE_TIMEOUT_MS },
      );
      print(`created ${path}`);
      this.window.close();
    } catch (error) {
      this.showError(error);
      this.setBusy(false);
    }
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    this.updateSensitivity();
  }

  private updateSensitivity(): void {
    const ready =
      !this.busy &&
      this.description !== undefined &&
      this.iso.text.trim() === this.describedPath &&
      this.name.text.trim() !== '';
    this.create.sensitive = ready && !(this.description?.unsupported && this.osChoice.selected === 0);
  }

  private showError(error: unknown): void {
    this.status.label = describeError(error);
    this.status.visible = true;
  }

  private hideError(): void {
    this.status.visible = false;
  }
}

const application = new Adw.Application({ application_id: 'me.phyllo.Switcher.NewGuest' });
let current: NewGuestWindow | undefined;
application.connect('activate', () => {
  if (current) {
    current.window.present();
    return;
  }
  current = new NewGuestWindow(application);
  void current.start();
});
application.run([]);
