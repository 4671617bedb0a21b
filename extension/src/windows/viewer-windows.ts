// Our guests' viewer windows in the Shell: found by the viewer's PID (which
// the service reports), put full-screen on the guest's monitor, focused. A
// guest with several heads has a window per head (the viewer titles each
// "<name> (<head>)"): each goes full-screen on its head's monitor, all come
// up together with head 1's focused, and switching to another guest that
// takes one of their monitors hides them all (half a guest is no use). A
// window that appears while its guest is awaited is placed and focused at
// once; a viewer the service reopened on its own is placed, not focused. A
// guest given other monitors moves there at once; when monitors come and
// go, each viewer goes back to its guest's monitors whenever they are there
// (and stays where it is shown while they are not). Every placement goes
// through place().

import { GLib, Main, Meta } from '../gi.js';
import { headMonitors, headOfTitle } from '../model/display.js';

/** A guest as its windows need it: its monitors (head 1 first) and the title its viewer gives its windows. */
export interface ViewedGuest {
  path: string;
  /** Connectors, head 1 first ('' for none). */
  monitors: string[];
  /** The guest's name: its viewer titles each window "<name> (<head>)". */
  title: string;
  /** Heads it runs with (or will, once started): one window each. */
  heads: number;
}

/** What the windows of a guest of the menu's list need: its heads' monitors and its name. */
export function viewedGuest(guest: {
  path: string;
  name: string;
  monitor?: string;
  monitors?: string[];
  heads?: number;
  runningDisplay?: Record<string, unknown>;
}): ViewedGuest {
  const monitors = guest.monitors && guest.monitors.length > 0 ? guest.monitors : [guest.monitor ?? ''];
  // RunningDisplay has heads only where they differ from the definition's.
  const heads = Number(guest.runningDisplay?.heads ?? guest.heads ?? 1) || 1;
  return { path: guest.path, monitors, title: guest.name, heads };
}

export interface ViewerLookup {
  /** The guest whose viewer runs as `pid`. */
  guestForPid(pid: number): ViewedGuest | undefined;
  /** Every guest with a viewer open. */
  viewers(): (ViewedGuest & { viewerPid: number })[];
  /** The connector of each monitor there is, by its index (mutter's DisplayConfig). */
  connectors(): Promise<string[]>;
}

export class ViewerWindows {
  private readonly displayHandlers: number[] = [];
  private readonly windowHandlers = new Map<Meta.Window, number>();
  /** Our viewers' windows, followed for a change of head: their title change and their going. */
  private readonly headHandlers = new Map<Meta.Window, number[]>();
  private monitorsHandler = 0;
  private replaceSource = 0;
  /**
   * The guest the user switched to last, while its windows are still
   * coming: head 1's takes the focus once it is there and known to be head
   * 1's (a viewer may show a window before it knows which head it is for).
   */
  private readonly awaited = new Set<string>();
  /** The connector of each monitor, by index, as last read; [] until then. */
  private connectorsByIndex: string[] = [];
  /** Bumped when monitors change and on stop: a late list of connectors is dropped. */
  private generation = 0;

  constructor(private readonly lookup: ViewerLookup) {}

  start(): void {
    this.displayHandlers.push(
      global.display.connect('window-created', (_display, window: Meta.Window) => this.onCreated(window)),
    );
    this.monitorsHandler = Main.layoutManager.connect('monitors-changed', () => this.onMonitorsChanged());
    void this.readConnectors();
  }

  stop(): void {
    this.generation++;
    for (const id of this.displayHandlers.splice(0)) global.display.disconnect(id);
    if (this.monitorsHandler) Main.layoutManager.disconnect(this.monitorsHandler);
    this.monitorsHandler = 0;
    if (this.replaceSource) GLib.source_remove(this.replaceSource);
    this.replaceSource = 0;
    for (const [window, id] of this.windowHandlers) window.disconnect(id);
    this.windowHandlers.clear();
    for (const [window, ids] of this.headHandlers) for (const id of ids) window.disconnect(id);
    this.headHandlers.clear();
    this.awaited.clear();
  }

  /** The viewer's windows, each with the head it shows, head 1 first. */
  windowsFor(pid: number): { window: Meta.Window; head: number }[] {
    if (pid <= 0) return [];
    const title = this.lookup.guestForPid(pid)?.title ?? '';
    return global
      .get_window_actors()
      .map((actor) => actor.get_meta_window())
      .filter((window): window is Meta.Window => window !== null && window.get_pid() === pid)
      .map((window) => ({ window, head: headOfTitle(window.get_title() ?? '', title) }))
      .sort((a, b) => a.head - b.head);
  }

  /** The window of the guest's first head (the one the launcher pictures). */
  windowFor(pid: number): Meta.Window | undefined {
    return this.windowsFor(pid)[0]?.window;
  }

  /** The guest whose viewer has the keyboard focus, if any. */
  focusedGuest(): string | undefined {
    const focused = global.display.focus_window;
    return focused ? this.lookup.guestForPid(focused.get_pid())?.path : undefined;
  }

  /**
   * Shows the guest's viewer windows now if they exist: every head on its
   * monitor, head 1's focused, and any other guest with several heads that
   * shares one of those monitors hidden. Else they are placed when they
   * appear. Returns whether they existed.
   */
  present(guest: ViewedGuest, viewerPid: number): boolean {
    // The last switch wins: a guest switched to before this one takes no focus when its windows come.
    this.awaited.clear();
    const windows = this.windowsFor(viewerPid);
    if (windows.length === 0) {
      this.awaited.add(guest.path);
      return false;
    }
    const targets = this.targets(guest, windows.length);
    this.hideOthersOn(guest.path, new Set(targets.map(monitorIndex)));
    // The other heads first, head 1 last: it keeps the focus.
    for (const { window, head } of [...windows].reverse()) {
      if (window.minimized) window.unminimize();
      place(window, targets[head] ?? '');
      if (head === 0 || windows.length === 1) Main.activateWindow(window);
      else window.raise();
    }
    if (!settled(windows, guest.heads)) this.awaited.add(guest.path);
    return true;
  }

  /** The service reported a new viewer PID: its windows may already be there. */
  viewerStarted(guest: ViewedGuest, viewerPid: number): void {
    if (this.awaited.has(guest.path)) this.present(guest, viewerPid);
  }

  /** The guest was given other monitors: its open viewer's windows move there now, keeping the focus. */
  monitorAssigned(guest: ViewedGuest, viewerPid: number): void {
    const windows = this.windowsFor(viewerPid);
    const targets = this.targets(guest, windows.length);
    const focus = global.display.focus_window;
    for (const { window, head } of windows) {
      place(window, targets[head] ?? '');
      if (window === focus) Main.activateWindow(window);
    }
  }

  forget(guestPath: string): void {
    this.awaited.delete(guestPath);
  }

  /** The connector each head goes on (model/display.ts), '' where none is known. */
  private targets(guest: ViewedGuest, heads: number): string[] {
    const pointer = global.display.get_current_monitor();
    if (this.connectorsByIndex.length === 0) return Array.from({ length: heads }, (_, i) => guest.monitors[i] ?? '');
    return headMonitors(heads, guest.monitors, this.connectorsByIndex, pointer).map(
      (index) => this.connectorsByIndex[index] ?? '',
    );
  }

  /** Minimizes every head of each other guest with several heads that has a window on one of `monitors`. */
  private hideOthersOn(guestPath: string, monitors: Set<number>): void {
    for (const other of this.lookup.viewers()) {
      if (other.path === guestPath) continue;
      const windows = this.windowsFor(other.viewerPid);
      if (windows.length < 2 || !windows.some(({ window }) => monitors.has(window.get_monitor()))) continue;
      for (const { window } of windows) if (!window.minimized) window.minimize();
    }
  }

  private onCreated(window: Meta.Window): void {
    // Placing waits for the window to be shown: before that it has no size, no monitor and perhaps no title.
    const id = window.connect('shown', () => {
      window.disconnect(id);
      this.windowHandlers.delete(window);
      const guest = this.lookup.guestForPid(window.get_pid());
      if (!guest) return;
      let head = headOfTitle(window.get_title() ?? '', guest.title);
      this.windowChanged(window, guest, head, true);
      // A viewer may retitle a window it showed before it knew its head ("<name> (1)" becomes "(2)").
      const retitled = window.connect('notify::title', () => {
        const now = headOfTitle(window.get_title() ?? '', guest.title);
        if (now === head) return; // a pointer-grab hint, say
        head = now;
        const current = this.lookup.guestForPid(window.get_pid());
        if (current) this.windowChanged(window, current, head, false);
      });
      const gone = window.connect('unmanaged', () => {
        for (const handler of this.headHandlers.get(window) ?? []) window.disconnect(handler);
        this.headHandlers.delete(window);
      });
      this.headHandlers.set(window, [retitled, gone]);
    });
    this.windowHandlers.set(window, id);
  }

  /**
   * A viewer window appeared, or turned out to show another head: it goes to
   * its head's monitor; for the guest switched to, head 1's window takes the
   * focus (and other guests with several heads on its monitors go) once
   * exactly one window says it is head 1's, and the guest stops being awaited
   * once each of its heads has its window.
   */
  private windowChanged(window: Meta.Window, guest: ViewedGuest, head: number, shown: boolean): void {
    const windows = this.windowsFor(window.get_pid());
    const targets = this.targets(guest, Math.max(windows.length, head + 1, guest.heads));
    place(window, targets[head] ?? '');
    if (!this.awaited.has(guest.path)) return;
    const firsts = windows.filter((w) => w.head === 0);
    const first = firsts.length === 1 ? firsts[0] : undefined;
    if (first) {
      this.hideOthersOn(guest.path, new Set(targets.map(monitorIndex)));
      if (global.display.focus_window !== first.window) Main.activateWindow(first.window);
    } else if (shown && head > 0) window.raise();
    if (first && settled(windows, guest.heads)) this.awaited.delete(guest.path);
  }

  /** Monitors came or went: once mutter has settled and their connectors are read, each viewer goes back. */
  private onMonitorsChanged(): void {
    this.generation++;
    if (this.replaceSource) return;
    this.replaceSource = GLib.idle_add(GLib.PRIORITY_DEFAULT_IDLE, () => {
      this.replaceSource = 0;
      void this.readConnectors().then((read) => {
        if (read) this.replaceAll();
      });
      return GLib.SOURCE_REMOVE;
    });
  }

  /** Reads which connector each monitor has; false when monitors changed meanwhile (a newer read follows). */
  private async readConnectors(): Promise<boolean> {
    const generation = this.generation;
    try {
      const connectors = await this.lookup.connectors();
      if (generation !== this.generation) return false;
      this.connectorsByIndex = [];
      for (const connector of connectors) {
        const index = monitorIndex(connector);
        if (index >= 0) this.connectorsByIndex[index] = connector;
      }
      return true;
    } catch {
      // No list (mutter's DisplayConfig away): heads with no monitor of their own go where the pointer is.
      if (generation === this.generation) this.connectorsByIndex = [];
      return generation === this.generation;
    }
  }

  /** Each viewer window back on its head's own monitor, where that monitor is there (a head of none stays). */
  private replaceAll(): void {
    const focus = global.display.focus_window;
    for (const guest of this.lookup.viewers()) {
      for (const { window, head } of this.windowsFor(guest.viewerPid)) {
        const connector = guest.monitors[head] ?? '';
        if (!connector || monitorIndex(connector) < 0) continue;
        place(window, connector);
        if (window === focus) Main.activateWindow(window);
      }
    }
  }
}

/** Whether each of the guest's heads has exactly one window. */
function settled(windows: { head: number }[], heads: number): boolean {
  return Array.from({ length: heads }, (_, head) => windows.filter((w) => w.head === head).length === 1).every(Boolean);
}

/** The index of the monitor with this connector, -1 when it is not there. */
function monitorIndex(connector: string): number {
  return connector ? global.backend.get_monitor_manager().get_monitor_for_connector(connector) : -1;
}

/**
 * Full-screen on the monitor with this connector; '' or one that is not
 * there: the monitor under the pointer. Every placement of a viewer comes
 * here. Mutter 50 and later ignore move_to_monitor() on a full-screen window
 * (48 moved it), so a full-screen window on another monitor leaves full
 * screen, moves, and goes full screen again there, in every Shell alike.
 */
export function place(window: Meta.Window, connector: string): void {
  const byConnector = monitorIndex(connector);
  const monitor = byConnector >= 0 ? byConnector : global.display.get_current_monitor();
  if (window.get_monitor() !== monitor) {
    if (window.is_fullscreen()) window.unmake_fullscreen();
    window.move_to_monitor(monitor);
  }
  if (!window.is_fullscreen()) window.make_fullscreen();
}
