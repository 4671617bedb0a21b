// The GTK 4 programs of ours, each run by gjs in a process of its own and
// started asynchronously from the Shell, so the Shell's main loop never
// waits on a file chooser, an ISO being read or the service creating a
// guest: the "New Guest" window (new-guest/window.js; one at a time: asked
// again, the open one is brought forward) and the folder chooser of Export…
// and Import… (folder-chooser/chooser.js). Each is stopped, by its PID, when
// the extension is disabled.

import { Gio, GLib, Main } from '../gi.js';

/** The New Guest window's process, as the Shell starts and stops it (the window itself: new-guest/window.ts). */
export class NewGuestProgram {
  private process: Gio.Subprocess | undefined;
  private readonly cancellable = new Gio.Cancellable();

  constructor(
    private readonly program: string,
    private readonly onFailure: (message: string) => void,
  ) {}

  open(): void {
    const running = this.process;
    if (running) {
      const pid = Number(running.get_identifier());
      const window = global
        .get_window_actors()
        .map((actor) => actor.get_meta_window())
        .find((w) => w?.get_pid() === pid);
      if (window) Main.activateWindow(window);
      return;
    }
    let process: Gio.Subprocess;
    try {
      // Spawning forks and execs; nothing here reads a file or waits for the child.
      process = Gio.Subprocess.new(['gjs', '-m', this.program], Gio.SubprocessFlags.NONE);
    } catch (error) {
      this.onFailure(error instanceof GLib.Error ? error.message : String(error));
      return;
    }
    this.process = process;
    process.wait_check_async(this.cancellable, (source, result) => {
      if (this.process === source) this.process = undefined;
      try {
        (source as Gio.Subprocess).wait_check_finish(result);
      } catch (error) {
        const cancelled = error instanceof GLib.Error && error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
        if (!cancelled) this.onFailure(error instanceof GLib.Error ? error.message : String(error));
      }
    });
  }

  /** The window's process, for tests: its PID, or 0. */
  get pid(): number {
    return Number(this.process?.get_identifier() ?? 0);
  }

  close(): void {
    this.cancellable.cancel();
    this.process?.send_signal(15);
    this.process = undefined;
  }
}

/** A folder asked for, on screen: the answer (undefined when dismissed), and a way to take it away. */
export interface OpenFolderChooser {
  answer: Promise<string | undefined>;
  close(): void;
}

/**
 * Asks for a folder in GTK's file chooser (folder-chooser/chooser.js):
 * `title`, the accept button's `acceptLabel`, opened in `folder`. Its answer
 * is the line the program prints (a JSON string; empty when dismissed); a
 * failure to start it is told to `onFailure` and answers undefined.
 */
export function chooseFolder(
  program: string,
  { title, acceptLabel, folder }: { title: string; acceptLabel: string; folder: string },
  onFailure: (message: string) => void,
): OpenFolderChooser {
  const cancellable = new Gio.Cancellable();
  let process: Gio.Subprocess | undefined;
  const answer = new Promise<string | undefined>((resolve) => {
    try {
      process = Gio.Subprocess.new(['gjs', '-m', program, title, acceptLabel, folder], Gio.SubprocessFlags.STDOUT_PIPE);
    } catch (error) {
      onFailure(error instanceof GLib.Error ? error.message : String(error));
      resolve(undefined);
      return;
    }
    // The first line is the answer, told as soon as the dialog gives it; the process ends on its own.
    const stdout = new Gio.DataInputStream({ base_stream: process.get_stdout_pipe() as Gio.InputStream });
    stdout.read_line_async(GLib.PRIORITY_DEFAULT, cancellable, (_source, result) => {
      try {
        const [line] = stdout.read_line_finish_utf8(result);
        const path: unknown = line ? JSON.parse(line) : undefined;
        resolve(typeof path === 'string' && path !== '' ? path : undefined);
      } catch {
        // Cancelled by close(), or the program gone without a word: no answer.
        resolve(undefined);
      }
    });
  });
  return {
    answer,
    close: () => {
      cancellable.cancel();
      process?.send_signal(15);
    },
  };
}
