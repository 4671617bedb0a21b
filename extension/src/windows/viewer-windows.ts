// Our guests' viewer windows in the Shell: found by the viewer's PID (which
// the service reports), put full-screen on the guest's monitor, focused.
// A window that appears while its guest is awaited is placed and focused at
// once; a viewer the service reopened on its own is placed, not focused.

import { Main, Meta } from '../gi.js';

export interface ViewerLookup {
  /** The guest whose viewer runs as `pid`, with its monitor connector. */
  guestForPid(pid: number): { path: string; monitor: string } | undefined;
}

export class ViewerWindows {
  private readonly displayHandlers: number[] = [];
  private readonly windowHandlers = new Map<Meta.Window, number>();
  /** Guests the user switched to whose window has not appeared yet. */
  private readonly awaited = new Set<string>();

  constructor(private readonly lookup: ViewerLookup) {}

  start(): void {
    this.displayHandlers.push(
      global.display.connect('window-created', (_display, window: Meta.Window) => this.onCreated(window)),
    );
  }

  stop(): void {
    for (const id of this.displayHandlers.splice(0)) global.display.disconnect(id);
    for (const [window, id] of this.windowHandlers) window.disconnect(id);
    this.windowHandlers.clear();
    this.awaited.clear();
  }

  windowFor(pid: number): Meta.Window | undefined {
    if (pid <= 0) return undefined;
    return global
      .get_window_actors()
      .map((actor) => actor.get_meta_window())
      .find((window): window is Meta.Window => window !== null && window.get_pid() === pid);
  }

  /** The guest whose viewer has the keyboard focus, if any. */
  focusedGuest(): string | undefined {
    const focused = global.display.focus_window;
    return focused ? this.lookup.guestForPid(focused.get_pid())?.path : undefined;
  }

  /** Shows the guest's viewer window now if it exists; else places it when it appears. Returns whether it existed. */
  present(guestPath: string, viewerPid: number, monitor: string): boolean {
    const window = this.windowFor(viewerPid);
    if (!window) {
      this.awaited.add(guestPath);
      return false;
    }
    this.awaited.delete(guestPath);
    place(window, monitor);
    Main.activateWindow(window);
    return true;
  }

  /** The service reported a new viewer PID: its window may already be there. */
  viewerStarted(guestPath: string, viewerPid: number, monitor: string): void {
    if (this.awaited.has(guestPath)) this.present(guestPath, viewerPid, monitor);
  }

  forget(guestPath: string): void {
    this.awaited.delete(guestPath);
  }

  private onCreated(window: Meta.Window): void {
    // Placing waits for the window to be shown: before that it has no size and no monitor.
    const id = window.connect('shown', () => {
      window.disconnect(id);
      this.windowHandlers.delete(window);
      const guest = this.lookup.guestForPid(window.get_pid());
      if (!guest) return;
      place(window, guest.monitor);
      if (this.awaited.delete(guest.path)) Main.activateWindow(window);
    });
    this.windowHandlers.set(window, id);
  }
}

/** Full-screen on the monitor with this connector; '' or an unknown one: the monitor under the pointer. */
export function place(window: Meta.Window, connector: string): void {
  const byConnector = connector ? global.backend.get_monitor_manager().get_monitor_for_connector(connector) : -1;
  const monitor = byConnector >= 0 ? byConnector : global.display.get_current_monitor();
  if (window.get_monitor() !== monitor) window.move_to_monitor(monitor);
  if (!window.is_fullscreen()) window.make_fullscreen();
}
