// Evaluated inside GNOME Shell (org.gnome.Shell.Eval, unsafe mode) by the
// load test and benchmark (test/e2e/load.ts): times the extension's enable
// until every guest is listed and its first menu open, records the longest
// main-loop stall meanwhile (a high-priority timer noting its own lateness),
// and reads the Shell's memory and actor count. Eval returns at once;
// results land in globalThis.__phyLoad.results.
(() => {
  const { GLib } = imports.gi;
  if (globalThis.__phyLoad) return true;
  const UUID = 'switcher@phyllo.me';
  const indicator = () => Main.panel.statusArea[UUID];
  const results = [];

  /** Calls fn with the longest stall (ms) seen while `until` runs; `until(done)` calls done(value) when finished. */
  function withStallProbe(until, fn) {
    let worst = 0;
    let expected = GLib.get_monotonic_time() + 5000;
    const probe = GLib.timeout_add(GLib.PRIORITY_HIGH, 5, () => {
      const now = GLib.get_monotonic_time();
      worst = Math.max(worst, (now - expected) / 1000);
      expected = now + 5000;
      return GLib.SOURCE_CONTINUE;
    });
    until((value) => {
      GLib.source_remove(probe);
      fn(value, worst);
    });
  }

  /**
   * Enables the extension; done when its menu lists `count` guests (or after
   * 60 s). Also notes when the first screenful (20) was listed: what an
   * opened menu shows first.
   */
  function enable(count) {
    const t0 = GLib.get_monotonic_time();
    let first = NaN;
    withStallProbe(
      (done) => {
        Main.extensionManager.enableExtension(UUID);
        const poll = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 5, () => {
          const listed = indicator()?.guestCount ?? 0;
          const now = GLib.get_monotonic_time();
          if (Number.isNaN(first) && listed >= Math.min(count, 20)) first = (now - t0) / 1000;
          const late = now - t0 > 60_000_000;
          if (listed < count && !late) return GLib.SOURCE_CONTINUE;
          done(listed === count ? (now - t0) / 1000 : NaN);
          return GLib.SOURCE_REMOVE;
        });
        void poll;
      },
      (ms, stall) => results.push({ kind: 'enable', ms, stall, first }),
    );
    return true;
  }

  /** Opens the menu; done once its first rows are made and it has been laid out (it has a height). */
  function openMenu(count) {
    const t0 = GLib.get_monotonic_time();
    withStallProbe(
      (done) => {
        indicator().menu.open(false);
        const firstPaint = (GLib.get_monotonic_time() - t0) / 1000;
        const laidOut = () => Number.isFinite(indicator().menu.actor.get_transformed_size()[1]);
        const poll = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 5, () => {
          const ready = indicator().rowCount >= Math.min(count, 20) && laidOut();
          if (!ready && GLib.get_monotonic_time() - t0 < 60_000_000) return GLib.SOURCE_CONTINUE;
          done(firstPaint);
          return GLib.SOURCE_REMOVE;
        });
        void poll;
      },
      (ms, stall) => {
        const menu = indicator().menu.actor;
        const [, menuHeight] = menu.get_transformed_size();
        const monitor = Main.layoutManager.findMonitorForActor(indicator());
        results.push({ kind: 'menu', ms, stall, menuHeight, monitorHeight: monitor.height });
      },
    );
    return true;
  }

  /** Scrolls the open menu's guest list to its end `times` times, a frame apart; records the rows then and the stall. */
  function scrollToEnd(times) {
    withStallProbe(
      (done) => {
        let left = times;
        const step = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 50, () => {
          const adjustment = indicator().guestScroll.vadjustment;
          adjustment.value = adjustment.upper - adjustment.page_size;
          if (--left > 0) return GLib.SOURCE_CONTINUE;
          done(indicator().rowCount);
          return GLib.SOURCE_REMOVE;
        });
        void step;
      },
      (rows, stall) => results.push({ kind: 'scroll', rows, stall }),
    );
    return true;
  }

  /**
   * What Gio alone takes for what the extension asks at enable: the bare
   * GetManagedObjects round trip, and a Gio.DBusObjectManagerClient made
   * ready (the same call, plus a proxy for every object), on the Shell's
   * session bus; both in ms.
   */
  function gioAlone() {
    const { Gio } = imports.gi;
    const bus = 'me.phyllo.Switcher1';
    const root = '/me/phyllo/Switcher1';
    const t0 = GLib.get_monotonic_time();
    Gio.DBus.session.call(
      bus,
      root,
      'org.freedesktop.DBus.ObjectManager',
      'GetManagedObjects',
      null,
      null,
      Gio.DBusCallFlags.NONE,
      30_000,
      null,
      (connection, reply) => {
        connection.call_finish(reply);
        const call = (GLib.get_monotonic_time() - t0) / 1000;
        const t1 = GLib.get_monotonic_time();
        Gio.DBusObjectManagerClient.new(
          Gio.DBus.session,
          Gio.DBusObjectManagerClientFlags.NONE,
          bus,
          root,
          null,
          null,
          (_source, result) => {
            const manager = Gio.DBusObjectManagerClient.new_finish(result);
            const client = (GLib.get_monotonic_time() - t1) / 1000;
            results.push({ kind: 'gio', call, client, objects: manager.get_objects().length });
            manager.run_dispose();
          },
        );
      },
    );
    return true;
  }

  /** The Shell's JS heap after a full garbage collection, bytes (GJS's GC heap plus what it mallocs). */
  function heap() {
    imports.system.gc();
    const file = GLib.build_filenamev([GLib.get_tmp_dir(), `phyllome-meminfo-${GLib.get_monotonic_time()}.md`]);
    imports.system.dumpMemoryInfo(file);
    const [, bytes] = GLib.file_get_contents(file);
    GLib.unlink(file);
    const text = new TextDecoder().decode(bytes);
    const info = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1));
    return info.gcBytes + info.mallocBytes;
  }

  /** Every actor on the stage, but the Shell's own transient UI (see shellsOwn). */
  function actors() {
    let n = 0;
    const walk = (a) => {
      if (shellsOwn(a)) return;
      n++;
      for (const c of a.get_children()) walk(c);
    };
    walk(global.stage);
    return n;
  }

  /** Shell UI that comes and goes on its own time: the overview (its app grid fills lazily) and the
   *  dash's hover labels (they live in the top layer). Left out of the counts. */
  const shellsOwn = (a) => a === Main.layoutManager.overviewGroup || a.has_style_class_name?.('dash-label');

  /** Actors on the stage by type (and style class), to tell what a difference is made of. */
  function census() {
    const counts = {};
    const walk = (a) => {
      if (shellsOwn(a)) return;
      const key = `${a.constructor.name}${a.get_style_class_name?.() ? `.${a.get_style_class_name()}` : ''}`;
      counts[key] = (counts[key] ?? 0) + 1;
      for (const c of a.get_children()) walk(c);
    };
    walk(global.stage);
    return counts;
  }

  globalThis.__phyLoad = { results, enable, openMenu, scrollToEnd, gioAlone, heap, actors, census };
  return true;
})();
