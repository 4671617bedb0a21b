// What the flows ask of the Shell's widgets — a question, a notification —
// as interfaces ui/ implements and extension.ts hands in: a flow shows no
// widget itself, so it sits below ui/ and can be followed step by step. And
// the two habits every flow shares: each question it opens is closed when
// it goes (a disable, a screen lock), and a failure is told in the
// service's words unless a disable cut the call short.

import { describeError, isCancelled } from '../client/calls.js';

export interface NoticeAction {
  label: string;
  run: () => void;
}

/** Notifications of ours; the buttons of one call nothing once it is gone. */
export interface Notices {
  notify(title: string, body: string, actions?: NoticeAction[]): void;
}

/** Asks before something that cannot be undone. */
export interface Confirmation {
  title: string;
  description: string;
  confirmLabel: string;
}

/** Asks for one line of text: a name, a libvirt address. */
export interface TextQuestion {
  title: string;
  description: string;
  /** What the entry holds at first (selected, so typing replaces it). */
  text: string;
  confirmLabel: string;
}

/** Asks for a folder, in a file chooser (where a path can still be typed). */
export interface FolderQuestion {
  title: string;
  /** The chooser's button, e.g. "Export". */
  acceptLabel: string;
  /** Where the chooser opens. */
  folder: string;
}

/** A question on screen: its answer, and a way to take it away (the answer is then a refusal). */
export interface OpenQuestion<T> {
  answer: Promise<T>;
  close(): void;
}

export type Confirm = (question: Confirmation) => OpenQuestion<boolean>;
/** The text confirmed (trimmed, never empty), or undefined. */
export type AskText = (question: TextQuestion) => OpenQuestion<string | undefined>;
/** The folder chosen, or undefined. */
export type ChooseFolder = (question: FolderQuestion) => OpenQuestion<string | undefined>;

/** A job's notification on screen: its text follows the progress, then it gives way to how the job ended. */
export interface JobProgress {
  update(title: string, body: string): void;
  finish(title: string, body: string): void;
  destroy(): void;
}

/** Shows a running job, with a Cancel button that calls `cancel`. */
export type ShowJob = (title: string, body: string, cancel: () => void) => JobProgress;

/** A failure a person should hear of: what failed, and the error that says why. */
export type Report = (title: string, error: unknown) => void;

/** Tells failures as notifications, in the service's words; one cut short by a disable (or a lock) is nobody's. */
export function reporter(notices: Notices): Report {
  return (title, error) => {
    if (isCancelled(error)) return;
    notices.notify(title, describeError(error));
  };
}

/** The questions a flow has on screen, so that they all go with it. */
export class OpenQuestions {
  private readonly open = new Set<OpenQuestion<unknown>>();

  /** Waits for the answer of a question now on screen. */
  async ask<T>(question: OpenQuestion<T>): Promise<T> {
    this.open.add(question);
    try {
      return await question.answer;
    } finally {
      this.open.delete(question);
    }
  }

  /** Takes every question away; each answers as refused. */
  closeAll(): void {
    for (const question of [...this.open]) question.close();
    this.open.clear();
  }
}
