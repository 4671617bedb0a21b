// Evaluated inside GNOME Shell (org.gnome.Shell.Eval, unsafe mode) by
// bench/switch-in-shell.ts: presses a key chord on a virtual keyboard and
// times, with the Shell's own monotonic clock, how long until the state the
// chord asks for holds. Eval returns at once; results land in
// globalThis.__phyBench.results (milliseconds; NaN on a 10 s time-out).
(() => {
  const { Clutter, GLib } = imports.gi;
  if (globalThis.__phyBench) return true;
  // The stage's context gives the backend in every Shell we claim (48-51); Clutter.get_default_backend() is gone in 51.
  const seat = global.stage.context.get_backend().get_default_seat();
  const keyboard = seat.create_virtual_device(Clutter.InputDeviceType.KEYBOARD_DEVICE);
  const windows = () =>
    global
      .get_window_actors()
      .map((a) => a.get_meta_window())
      .filter((w) => w);

  function press(chord) {
    const keyvals = chord.map((k) => Clutter[`KEY_${k}`]);
    let t0 = 0;
    for (const keyval of keyvals) {
      t0 = GLib.get_monotonic_time();
      keyboard.notify_keyval(t0, keyval, Clutter.KeyState.PRESSED);
    }
    for (const keyval of [...keyvals].reverse())
      keyboard.notify_keyval(GLib.get_monotonic_time(), keyval, Clutter.KeyState.RELEASED);
    return t0;
  }

  // Calls check() whenever focus, windows, their geometry or the workspace change; done when it returns true.
  function watch(check, t0) {
    const results = globalThis.__phyBench.results;
    const handlers = [];
    let done = false;
    const finish = (value) => {
      if (done) return;
      done = true;
      for (const [object, id] of handlers) object.disconnect(id);
      GLib.source_remove(timeout);
      results.push(value);
    };
    const test = () => {
      if (!done && check()) finish((GLib.get_monotonic_time() - t0) / 1000);
    };
    const follow = (w) => {
      handlers.push([w, w.connect('notify::fullscreen', test)]);
      handlers.push([w, w.connect('position-changed', test)]);
      handlers.push([w, w.connect('size-changed', test)]);
      handlers.push([w, w.connect('shown', test)]);
    };
    windows().forEach(follow);
    handlers.push([global.display, global.display.connect('notify::focus-window', test)]);
    handlers.push([
      global.display,
      global.display.connect('window-created', (_d, w) => {
        follow(w);
        test();
      }),
    ]);
    handlers.push([global.workspace_manager, global.workspace_manager.connect('active-workspace-changed', test)]);
    const timeout = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10000, () => {
      finish(NaN);
      return GLib.SOURCE_REMOVE;
    });
  }

  const onMonitor = (w, monitor) =>
    w.is_fullscreen() &&
    w.get_monitor() === monitor &&
    (() => {
      const area = global.display.get_monitor_geometry(monitor);
      const frame = w.get_frame_rect();
      return frame.x === area.x && frame.y === area.y && frame.width === area.width && frame.height === area.height;
    })();

  globalThis.__phyBench = {
    results: [],
    // Hot: the window of `pid` focused and filling `monitor`.
    focus(chord, pid, monitor) {
      const t0 = press(chord);
      watch(() => {
        const w = global.display.focus_window;
        return w !== null && w.get_pid() === pid && onMonitor(w, monitor);
      }, t0);
      return true;
    },
    // Cold: a new virt-viewer window, shown and filling `monitor`.
    newViewer(chord, monitor) {
      const before = new Set(windows());
      const t0 = press(chord);
      watch(
        () =>
          windows().some(
            (w) =>
              !before.has(w) &&
              w.get_wm_class() === 'virt-viewer' &&
              w.get_compositor_private()?.visible &&
              onMonitor(w, monitor),
          ),
        t0,
      );
      return true;
    },
    // The Shell's own workspace switch: the active workspace becomes `index`.
    workspace(chord, index) {
      const t0 = press(chord);
      watch(() => global.workspace_manager.get_active_workspace_index() === index, t0);
      return true;
    },
  };
  return true;
})();
