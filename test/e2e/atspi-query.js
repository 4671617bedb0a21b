// What a GTK 4 window of the Shell's session shows, read through
// accessibility (AT-SPI) the way GNOME's own UI tests read it: a gjs
// program run inside the Shell's root (test/shell/in-root.sh) on behalf of
// test/e2e/atspi.ts, apart from the Shell, so that no synchronous call on
// the accessibility bus is ever made from inside the compositor.
//
// It reads one request a line on stdin, a JSON object {id, title, tree}, and
// answers one line on stdout: {id, tree, focus} — the tree of what the
// window titled `title` (of any application on the bus) shows, each node's
// role, name and the states a test waits on, its children only
// while they are on screen (SHOWING), or null while there is no such
// window; and the widget that has the keyboard focus, as the last focus
// event told it and only while it still has it, with its ancestors' roles
// and names (those that say something: not mere containers), and for one
// that names nothing itself (a list item) the texts of its labels — or {id,
// error}. With `tree: false` it gives the focus alone (tree null), without
// walking the window while a focus event told where the focus is. It ends
// when its stdin does.
//
// libatspi's cache is off for every application (set_cache_mask): each
// answer is read from the application anew.

const { Atspi, GLib, Gio } = imports.gi;

let UnixInputStream;
try {
  UnixInputStream = imports.gi.GioUnix.InputStream; // GLib 2.80 and later
} catch {
  UnixInputStream = Gio.UnixInputStream;
}

Atspi.init();

const STATES = {
  focused: Atspi.StateType.FOCUSED,
  selected: Atspi.StateType.SELECTED,
  checked: Atspi.StateType.CHECKED,
  pressed: Atspi.StateType.PRESSED,
  expanded: Atspi.StateType.EXPANDED,
  active: Atspi.StateType.ACTIVE,
};
const WINDOW_ROLES = new Set([Atspi.Role.FRAME, Atspi.Role.WINDOW, Atspi.Role.DIALOG]);
/** Roles that only hold others. */
const CONTAINERS = new Set([
  Atspi.Role.PANEL,
  Atspi.Role.GROUPING,
  Atspi.Role.FILLER,
  Atspi.Role.INVALID,
  Atspi.Role.SCROLL_PANE,
  Atspi.Role.SECTION,
]);
/** Deep enough for any preferences window; a cycle in a broken tree ends here too. */
const MAX_DEPTH = 60;

/** What a node says of itself; `set`, its state set, when the caller has it already. */
function describe(accessible, set = accessible.get_state_set()) {
  const out = { role: Atspi.role_get_name(accessible.get_role()), name: accessible.get_name() ?? '' };
  const held = Object.keys(STATES).filter((key) => set.contains(STATES[key]));
  if (held.length > 0) out.states = held;
  return out;
}

/**
 * The tree from `accessible` (whose state set is `set`) down; the first node
 * found focused goes in `seen.focused`. Each object is given once, where it
 * is first met: GTK gives a stack's shown page as the child of each of its
 * pages. Every call here is a round trip to the application, so each
 * property is asked once.
 */
function node(accessible, set, depth, seen) {
  seen.visited.add(accessible);
  const out = describe(accessible, set);
  if (!seen.focused && out.states?.includes('focused')) seen.focused = accessible;
  const children = [];
  if (depth < MAX_DEPTH) {
    const count = accessible.get_child_count();
    for (let i = 0; i < count; i++) {
      const child = accessible.get_child_at_index(i);
      if (!child || seen.visited.has(child)) continue;
      const childSet = child.get_state_set();
      if (childSet.contains(Atspi.StateType.SHOWING)) children.push(node(child, childSet, depth + 1, seen));
    }
  }
  if (children.length > 0) out.children = children;
  return out;
}

/** The window titled `title` of any application on the accessibility bus, or null. */
function findWindow(title) {
  const desktop = Atspi.get_desktop(0);
  for (let a = 0; a < desktop.get_child_count(); a++) {
    const app = desktop.get_child_at_index(a);
    if (!app) continue;
    try {
      app.set_cache_mask(Atspi.Cache.NONE);
      for (let w = 0; w < app.get_child_count(); w++) {
        const window = app.get_child_at_index(w);
        if (window && WINDOW_ROLES.has(window.get_role()) && window.get_name() === title) return window;
      }
    } catch {
      // an application that left the bus meanwhile
    }
  }
  return null;
}

const send = (message) => print(JSON.stringify(message));

// The last accessible told focused; the focus is asked of it again when a request comes.
let focused = null;
const listener = Atspi.EventListener.new((event) => {
  if (event.detail1 === 1) focused = event.source;
});
listener.register('object:state-changed:focused');

/** The texts of the labels in `accessible`, a few levels down. */
function labels(accessible, depth) {
  if (accessible.get_role() === Atspi.Role.LABEL) return [accessible.get_name() ?? ''];
  if (depth >= 4) return [];
  const out = [];
  for (let i = 0; i < accessible.get_child_count(); i++) {
    const child = accessible.get_child_at_index(i);
    if (child) out.push(...labels(child, depth + 1));
  }
  return out;
}

/**
 * The focused widget, with its ancestors (nearest first): the one the last
 * focus event told, while it still has the focus, else one the walk found
 * (the focus can have been given before this program listened).
 */
function focus(walked) {
  const widget = [focused, walked].find((a) => {
    try {
      return a?.get_state_set().contains(Atspi.StateType.FOCUSED);
    } catch {
      return false; // gone with its window
    }
  });
  if (!widget) return null;
  try {
    const out = describe(widget);
    // A list item names nothing itself: its labels say what it is.
    if (out.name === '') out.text = labels(widget, 0).join(' ');
    out.ancestors = [];
    for (let a = widget.get_parent(), depth = 0; a && depth < MAX_DEPTH; a = a.get_parent(), depth++) {
      const name = a.get_name() ?? '';
      const role = a.get_role();
      if (role === Atspi.Role.APPLICATION || role === Atspi.Role.DESKTOP_FRAME) break;
      if (!CONTAINERS.has(role) || name !== '') out.ancestors.push({ role: Atspi.role_get_name(role), name });
    }
    return out;
  } catch {
    return null; // gone with its window
  }
}

const loop = new GLib.MainLoop(null, false);
const input = new Gio.DataInputStream({ base_stream: new UnixInputStream({ fd: 0, close_fd: false }) });
function next() {
  input.read_line_async(GLib.PRIORITY_DEFAULT, null, (_stream, result) => {
    const [line] = input.read_line_finish_utf8(result);
    if (line === null) {
      loop.quit();
      return;
    }
    let id = null;
    try {
      const request = JSON.parse(line);
      id = request.id;
      const window = findWindow(request.title);
      // The focus alone, while a focus event told it: no walk.
      const told = request.tree === false ? focus(null) : null;
      if (told) {
        send({ id, tree: null, focus: told });
      } else {
        const seen = { visited: new Set() };
        const tree = window ? node(window, window.get_state_set(), 0, seen) : null;
        send({ id, tree: request.tree === false ? null : tree, focus: focus(seen.focused) });
      }
    } catch (error) {
      send({ id, error: String(error) });
    }
    next();
  });
}
next();
loop.run();
