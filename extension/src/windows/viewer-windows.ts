// Our guests' viewer windows in the Shell: found by the viewer's PID (which
// the service reports), put full-screen on the guest's monitor, focused. A
// window that appears while its guest is awaited is placed and focused at
// once; a viewer the service reopened on its own is placed, not focused. A
// guest given another monitor moves there at once; when monitors come and
// go, each viewer goes back to its guest's monitor whenever that is there
// (and stays where it is shown while it is not).

import { GLib, Main, Meta } from '../gi.js';

export interface ViewerLookup {
  /** The guest whose viewer runs as `pid`, with its monitor connector. */
  guestForPid(pid: number): { path: string; monitor: string } | undefined;
  /** Every guest with a viewer open. */
  viewers(): { path: string; viewerPid: number; monitor: string }[];
}

export class ViewerWindows {
  private readonly displayHandlers: number[] = [];
  private readonly windowHandlers = new Map<Meta.Window, number>();
  private monitorsHandler = 0;
  private replaceSource = 0;
  /** Guests the user switched to whose window has not appeared yet. */
  private readonly awaited = new Set<string>();

  constructor(private readonly lookup: ViewerLookup) {}

  start(): void {
    this.displayHandlers.push(
      global.display.connect('window-created', (_display, window: Meta.Window) => this.onCreated(window)),
    );
    this.monitorsHandler = Main.layoutManager.connect('monitors-changed', () => this.onMonitorsChanged());
  }

  stop(): void {
    for (const id of this.displayHandlers.splice(0)) global.display.disconnect(id);
    if (this.monitorsHandler) Main.layoutManager.disconnect(this.monitorsHandler);
    this.monitorsHandler = 0;
    if (this.replaceSource) GLib.source_remove(this.replaceSource);
    this.replaceSource = 0;
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

  /** The guest was given another monitor: its open viewer moves there now, keeping the focus if it had it. */
  monitorAssigned(viewerPid: number, monitor: string): void {
    const window = this.windowFor(viewerPid);
    if (!window) return;
    const focused = global.display.focus_window === window;
    place(window, monitor);
    if (focused) Main.activateWindow(window);
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

  /** Monitors came or went: once mutter has settled, each viewer goes to its guest's monitor if it is there. */
  private onMonitorsChanged(): void {
    if (this.replaceSource) return;
    this.replaceSource = GLib.idle_add(GLib.PRIORITY_DEFAULT_IDLE, () => {
      this.replaceSource = 0;
      const focus = global.display.focus_window;
      for (const { viewerPid, monitor } of this.lookup.viewers()) {
        const window = this.windowFor(viewerPid);
        if (!window || !monitor || monitorIndex(monitor) < 0) continue;
        place(window, monitor);
        if (window === focus) Main.activateWindow(window);
      }
      return GLib.SOURCE_REMOVE;
    });
  }
}

/** The index of the monitor with this connector, -1 when it is not there. */
function monitorIndex(connector: string): number {
  return connector ? global.backend.get_monitor_manager().get_monitor_for_connector(connector) : -1;
}

/** Full-screen on the monitor with this connector; '' or one that is not there: the monitor under the pointer. */
export function place(window: Meta.Window, connector: string): void {
  const byConnector = monitorIndex(connector);
  const monitor = byConnector >= 0 ? byConnector : global.display.get_current_monitor();
  if (window.get_monitor() !== monitor) window.move_to_monitor(monitor);
  if (!window.is_fullscreen()) window.make_fullscreen();
}
