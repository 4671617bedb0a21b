// Export…, Clone…, Move to… and Import…: a question (a folder, in a file
// chooser; a name or a libvirt address, typed), the service's job, and a
// notification that follows it — progress, Cancel, and how it ended. One
// owner of the dialogs and notifications it opens, released in destroy().

import { describeError } from '../client/calls.js';
import type { SwitcherClient } from '../client/switcher-client.js';
import { GUEST_INTERFACE, JOB_INTERFACE, MANAGER_INTERFACE, MANAGER_PATH } from '../client/switcher1.js';
import { _, GLib } from '../gi.js';
import type { GuestList, GuestSummary } from '../model/guest-list.js';
import { cloneName, progressPercent, type TransferAction } from '../model/transfer.js';
import {
  OpenQuestions,
  type AskText,
  type ChooseFolder,
  type JobProgress,
  type Notices,
  type ShowJob,
  type TextQuestion,
} from './prompts.js';

/** '42 % — 1.2 GB of 2.8 GB' in the reader's language, or just the percentage while the total is not known. */
function progressText(progress: number, done: number, total: number): string {
  const percent = progressPercent(progress);
  // TRANSLATORS: a job's progress: its percentage, then the bytes copied of all (e.g. "1.2 GB of 2.8 GB").
  if (total > 0) return _('%d %% — %s of %s').format(percent, GLib.format_size(done), GLib.format_size(total));
  // TRANSLATORS: a job's progress while its size is not known yet, e.g. "42 %".
  return _('%d %%').format(percent);
}

interface Wording {
  running: string;
  done: string;
  failed: string;
  cancelled: string;
}

/** Each action's words, '%s' standing for the guest's name. */
const TEXTS: Record<
  TransferAction,
  () => Record<'title' | 'confirm' | keyof Wording, string> & { description?: string }
> = {
  // Asked in a file chooser: a title and a button, no sentence (the README says what a bundle holds).
  Export: () => ({
    title: _('Export %s'),
    confirm: _('Export'),
    running: _('Exporting %s'),
    done: _('Exported %s'),
    failed: _('Could not export %s'),
    cancelled: _('Export of %s cancelled'),
  }),
  Clone: () => ({
    title: _('Clone %s'),
    description: _(
      'A new guest with its own copy of every disk, of its UEFI variables and TPM state, and new network addresses.',
    ),
    confirm: _('Clone'),
    running: _('Cloning %s'),
    done: _('Cloned %s'),
    failed: _('Could not clone %s'),
    cancelled: _('Clone of %s cancelled'),
  }),
  MigrateTo: () => ({
    title: _('Move %s to Another Host'),
    description: _(
      'It keeps running while libvirt moves it, disks included, to the host at this libvirt address; then it is gone from here.',
    ),
    confirm: _('Move'),
    running: _('Moving %s'),
    done: _('Moved %s'),
    failed: _('Could not move %s'),
    cancelled: _('Move of %s cancelled'),
  }),
};

export interface GuestTransfersOptions {
  client: SwitcherClient;
  guests: GuestList;
  askText: AskText;
  chooseFolder: ChooseFolder;
  showJob: ShowJob;
  notices: Notices;
}

export class GuestTransfers {
  private readonly questions = new OpenQuestions();
  private readonly notifications = new Set<JobProgress>();
  private readonly client: SwitcherClient;
  private folder = GLib.get_home_dir();
  private uri = 'qemu+ssh://';

  constructor(private readonly options: GuestTransfersOptions) {
    this.client = options.client;
  }

  /** Asks what the action needs, then starts it. */
  run(guest: GuestSummary, action: TransferAction): void {
    void this.startGuestJob(guest, action);
  }

  /** Asks for a bundle's folder, then imports it. */
  importBundle(): void {
    void this.startImport();
  }

  destroy(): void {
    this.questions.closeAll();
    for (const notification of this.notifications) notification.destroy();
    this.notifications.clear();
  }

  /** A folder, in a file chooser that opens where the last one was chosen. */
  private async chooseFolder(title: string, acceptLabel: string): Promise<string | undefined> {
    const folder = await this.questions.ask(this.options.chooseFolder({ title, acceptLabel, folder: this.folder }));
    if (folder !== undefined) this.folder = folder;
    return folder;
  }

  private async startGuestJob(guest: GuestSummary, action: TransferAction): Promise<void> {
    const name = guest.name;
    const [question, wording] = this.words(guest, action);
    const answer =
      action === 'Export'
        ? await this.chooseFolder(question.title, question.confirmLabel)
        : await this.questions.ask(this.options.askText(question));
    if (answer === undefined) return;
    const start = (): Promise<[job: string]> => {
      const options = { interactive: true };
      if (action === 'Export') return this.client.call(guest.path, GUEST_INTERFACE, 'Export', [answer], options);
      if (action === 'Clone') return this.client.call(guest.path, GUEST_INTERFACE, 'Clone', [answer], options);
      this.uri = answer;
      return this.client.call(guest.path, GUEST_INTERFACE, 'MigrateTo', [answer, {}], options);
    };
    try {
      const [job] = await start();
      this.follow(job, wording);
    } catch (error) {
      this.options.notices.notify(wording.failed.format(name), describeError(error));
    }
  }

  private async startImport(): Promise<void> {
    // The bundle is a folder that Export made (its name ends in .phyllome).
    const bundle = await this.chooseFolder(_('Import a Guest'), _('Import'));
    if (bundle === undefined) return;
    const wording: Wording = {
      running: _('Importing a guest'),
      done: _('Guest imported'),
      failed: _('Could not import the guest'),
      cancelled: _('Import cancelled'),
    };
    try {
      const [job] = await this.client.call(MANAGER_PATH, MANAGER_INTERFACE, 'Import', [bundle], { interactive: true });
      this.follow(job, wording);
    } catch (error) {
      this.options.notices.notify(wording.failed, describeError(error));
    }
  }

  /** The notification of a started job, until it ends. */
  private follow(job: string, wording: Wording): void {
    const notification = this.options.showJob(wording.running, progressText(0, 0, 0), () => {
      // A person asked; for another seat's job polkit may ask them who they are.
      this.client
        .call(job, JOB_INTERFACE, 'Cancel', [], { interactive: true })
        .catch((error: unknown) => this.options.notices.notify(wording.failed, describeError(error)));
    });
    this.notifications.add(notification);
    this.client.watchJob(job, {
      progress: ({ progress, bytesDone, bytesTotal }) =>
        notification.update(wording.running, progressText(progress, bytesDone, bytesTotal)),
      completed: ({ success, message, state }) => {
        this.notifications.delete(notification);
        const title = success ? wording.done : state === 'cancelled' ? wording.cancelled : wording.failed;
        notification.finish(title, message);
      },
    });
  }

  private words(guest: GuestSummary, action: TransferAction): [TextQuestion, Wording] {
    const text = TEXTS[action]();
    const name = guest.name;
    const answer = {
      Export: this.folder,
      Clone: cloneName(
        name,
        this.options.guests.ordered().map((g) => g.name),
      ),
      MigrateTo: this.uri,
    }[action];
    return [
      {
        title: text.title.format(name),
        description: text.description?.format(name) ?? '',
        text: answer,
        confirmLabel: text.confirm,
      },
      {
        running: text.running.format(name),
        done: text.done.format(name),
        failed: text.failed.format(name),
        cancelled: text.cancelled.format(name),
      },
    ];
  }
}
