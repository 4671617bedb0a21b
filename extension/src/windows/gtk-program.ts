// Opens the "New Guest" window: a small GTK 4 program of its own
// (new-guest.js, run by gjs), started asynchronously from the Shell, so the
// Shell's main loop never waits on a file chooser, an ISO being read or the
// service creating a guest. One at a time: asked again, the open one is
// brought forward. It is stopped, by its PID, when the extension is disabled.

import { Gio, GLib, Main } from '../gi.js';

export class NewGuestWindow {
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
