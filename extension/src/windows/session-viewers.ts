// Viewers in this session, for the host-wide service (Scope 'host'), which
// opens none itself: a guest's display comes through a socket only this
// user may open (Guest.OpenDisplay), shown by remote-viewer started here,
// asynchronously (Gio.Subprocess; the Shell waits on nothing). One per
// guest. Their PIDs stand in for the service's ViewerPid in what the menu,
// the launcher and the window placement get, so all of it works as with
// the per-user service. A viewer is an application of the user's: it
// outlives a disable of the extension (a screen lock does that) and is
// found again by its PID on the next enable; this object, kept by the
// extension for the Shell's life, remembers them.

import type { CollectionListener } from '../model/collection.js';
import { Gio } from '../gi.js';
import type { GuestSummary } from '../model/guest-list.js';

const VIEWER = 'remote-viewer';

export class SessionViewers {
  private readonly viewers = new Map<string, Gio.Subprocess>();
  /** Told of a guest's viewer PID (0: none) while the extension is enabled. */
  private onPid: ((guestPath: string, pid: number) => void) | undefined;

  /** While enabled: where viewer PIDs go. */
  attach(onPid: (guestPath: string, pid: number) => void): void {
    this.onPid = onPid;
  }

  detach(): void {
    this.onPid = undefined;
  }

  pid(guestPath: string): number {
    return Number(this.viewers.get(guestPath)?.get_identifier() ?? 0);
  }

  /**
   * Shows a guest's display (a spice+unix:// URI from OpenDisplay) in a
   * viewer of this session, full-screen, one window per head (titled
   * "<title> (<head>)"); returns its PID. One that runs already is kept.
   */
  open(guestPath: string, uri: string, title: string, fixedResolution = false): number {
    const running = this.pid(guestPath);
    if (running) return running;
    // A guest at a fixed resolution is shown scaled, never resized to the window (see viewer-manager.ts).
    const resize = fixedResolution ? ['--auto-resize=never'] : [];
    const viewer = Gio.Subprocess.new(
      [VIEWER, '--full-screen', ...resize, '--title', title, uri],
      Gio.SubprocessFlags.NONE,
    );
    this.viewers.set(guestPath, viewer);
    viewer.wait_async(null, () => {
      if (this.viewers.get(guestPath) !== viewer) return;
      this.viewers.delete(guestPath);
      this.onPid?.(guestPath, 0);
    });
    const pid = this.pid(guestPath);
    this.onPid?.(guestPath, pid);
    return pid;
  }

  /** Closes a guest's viewer (the guest stopped or went): it would only show a dead display. */
  close(guestPath: string): void {
    const viewer = this.viewers.get(guestPath);
    if (!viewer) return;
    this.viewers.delete(guestPath);
    viewer.send_signal(15);
    this.onPid?.(guestPath, 0);
  }

  /**
   * What the service says of guests, with the viewers of this session in
   * place of its ViewerPid; a guest that stops or goes takes its viewer with it.
   */
  overlay(listener: CollectionListener<GuestSummary>): CollectionListener<GuestSummary> {
    const withViewer = (guest: GuestSummary): GuestSummary => {
      const pid = this.pid(guest.path);
      return pid ? { ...guest, viewerPid: pid } : guest;
    };
    return {
      reset: (list) => listener.reset(list.map(withViewer)),
      added: (guest) => listener.added(withViewer(guest)),
      removed: (path) => {
        this.close(path);
        listener.removed(path);
      },
      changed: (path, changes) => {
        if (changes.state === 'shutoff' || changes.state === 'crashed') this.close(path);
        const pid = this.pid(path);
        listener.changed(path, pid && changes.viewerPid !== undefined ? { ...changes, viewerPid: pid } : changes);
      },
    };
  }
}
