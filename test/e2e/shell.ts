// Talking to the real GNOME Shell started by test/shell/run-shell.sh: Eval,
// extension state, screenshots, its log.

import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Variant } from '@jellybrick/dbus-next';
import { TestClient } from '../support/dbus-client.js';
import { ROOT, ServiceStack } from '../support/stack.js';
import { entriesIn } from '../shell/shell-log-problems.mjs';
import { shellOwnWarning } from './shell-warnings.js';
import { waitFor } from '../support/wait.js';

export const UUID = 'switcher@phyllo.me';

/** How many of the stage's actors have a transition running (the Shell eases these properties). */
const STILL = `(() => {
  const eased = ['opacity', 'scale-x', 'scale-y', 'translation-x', 'translation-y', 'x', 'y', 'width', 'height'];
  let moving = 0;
  const walk = (a) => {
    if (eased.some((p) => a.get_transition(p))) moving++;
    a.get_children().forEach(walk);
  };
  walk(global.stage);
  return moving;
})()`;

export class ShellDriver {
  constructor(private readonly client: TestClient) {}

  /** Runs JS in the Shell (unsafe mode) and returns its JSON-decoded result. */
  async eval<T = unknown>(code: string): Promise<T> {
    const [ok, out] = (await this.client.call('org.gnome.Shell', '/org/gnome/Shell', 'org.gnome.Shell', 'Eval', 's', [
      code,
    ])) as [boolean, string];
    if (!ok) throw new Error(`Shell Eval failed: ${out}\n--- code:\n${code}`);
    return (out === '' ? undefined : JSON.parse(out)) as T;
  }

  /**
   * Evaluates until `check` accepts the value, or fails after timeoutMs with
   * the last value: the deadline helper for what the Shell announces to no
   * one outside (its actors' state), looked at every `pollMs`.
   */
  async waitFor<T>(code: string, check: (value: T) => boolean, timeoutMs = 10_000, pollMs = 100): Promise<T> {
    let last: T | undefined;
    await waitFor(
      async () => {
        last = await this.eval<T>(code);
        return check(last);
      },
      { what: () => `${code.slice(0, 200)}; last value: ${JSON.stringify(last)}`, timeoutMs, pollMs },
    );
    return last as T;
  }

  /**
   * Waits until no actor on the stage is being animated (a dialog fading
   * in, a menu sliding open): what a screenshot must wait for to show the
   * end of the change rather than a frame of it.
   */
  async waitForStill(timeoutMs = 10_000): Promise<void> {
    await this.waitFor<number>(STILL, (moving) => moving === 0, timeoutMs, 50);
  }

  async extensionInfo(uuid = UUID): Promise<{ state: number; error: string }> {
    const [info] = (await this.client.call(
      'org.gnome.Shell',
      '/org/gnome/Shell',
      'org.gnome.Shell.Extensions',
      'GetExtensionInfo',
      's',
      [uuid],
    )) as [Record<string, Variant>];
    return { state: Number(info.state?.value), error: String(info.error?.value ?? '') };
  }

  /**
   * Enables or disables the extension, and resolves once the Shell has done
   * it: EnableExtension answers before the extension's enable() has run
   * (the Shell enables asynchronously; in GNOME Shell 51 the next call often
   * came first and found no indicator). Enabled: ACTIVE (1), or ERROR (3)
   * for the caller to see; disabled: anything but ACTIVE.
   */
  async setEnabled(enabled: boolean, uuid = UUID, timeoutMs = 10_000): Promise<void> {
    await this.client.call(
      'org.gnome.Shell',
      '/org/gnome/Shell',
      'org.gnome.Shell.Extensions',
      enabled ? 'EnableExtension' : 'DisableExtension',
      's',
      [uuid],
    );
    const done = (state: number): boolean => (enabled ? state === 1 || state === 3 : state !== 1);
    let state = -1;
    await waitFor(
      async () => {
        state = (await this.extensionInfo(uuid)).state;
        return done(state);
      },
      { what: () => `${uuid} ${enabled ? 'enabled' : 'disabled'} (it is in state ${state})`, timeoutMs },
    );
  }

  /**
   * Opens the extension's preferences through org.gnome.Shell.Extensions,
   * from a connection of its own closed at once: that service stays up while
   * a caller it knows is on the bus.
   */
  async openPrefs(uuid = UUID): Promise<void> {
    const caller = await TestClient.connect(process.env.DBUS_SESSION_BUS_ADDRESS as string);
    try {
      await caller.call(
        'org.gnome.Shell.Extensions',
        '/org/gnome/Shell/Extensions',
        'org.gnome.Shell.Extensions',
        'OpenExtensionPrefs',
        'ssa{sv}',
        [uuid, '', {}],
      );
    } finally {
      caller.disconnect();
    }
  }

  /** A PNG of the whole stage once nothing on it moves, copied to `out` on the host. */
  async screenshot(out: string): Promise<void> {
    const state = process.env.SHELL_TEST_STATE;
    if (!state) throw new Error('not inside run-shell.sh');
    await this.waitForStill();
    const inside = join(state, `shot-${process.pid}-${Date.now()}.png`);
    const [ok] = (await this.client.call(
      'org.gnome.Shell.Screenshot',
      '/org/gnome/Shell/Screenshot',
      'org.gnome.Shell.Screenshot',
      'Screenshot',
      'bbs',
      [false, false, inside],
    )) as [boolean];
    if (!ok) throw new Error('screenshot failed');
    mkdirSync(dirname(out), { recursive: true });
    copyFileSync(inside, out);
  }

  /**
   * Makes a method of the extension's GuestSwitcher (switchTo, switchBy)
   * record what it is asked instead of doing it: the module the extension
   * loaded, patched in place until stopSpying. Calls land in
   * globalThis.__phySpy (see spied()).
   */
  async spyOnSwitcher(method: 'switchTo' | 'switchBy', record: string): Promise<void> {
    await this.eval(`(() => {
      const uri = Main.extensionManager.lookup('${UUID}').dir.get_child('flows').get_child('switching.js').get_uri();
      import(uri).then((m) => { globalThis.__phySwitcherModule = m; });
      return true;
    })()`);
    await this.waitFor<boolean>('globalThis.__phySwitcherModule !== undefined', (ready) => ready);
    await this.eval(`(() => {
      const proto = globalThis.__phySwitcherModule.GuestSwitcher.prototype;
      globalThis.__phySpy = [];
      globalThis.__phySpiedMethod = ${JSON.stringify(method)};
      globalThis.__phySpiedOriginal = proto[${JSON.stringify(method)}];
      proto[${JSON.stringify(method)}] = function (arg) { globalThis.__phySpy.push(${record}); };
      return true;
    })()`);
  }

  /** What the spied method was asked, as `record` put it. */
  spied<T>(): Promise<T[]> {
    return this.eval<T[]>('globalThis.__phySpy ?? []');
  }

  /**
   * Counts, in the Shell, each time an async method of one of the
   * extension's classes has settled (its promise resolved or rejected), so a
   * test can wait for a flow to have run its course, and then see that it
   * did nothing, rather than wait a while. `module`: its path under the
   * extension's folder. Undone by stopSpying.
   */
  async countSettled(module: string, cls: string, method: string): Promise<void> {
    await this.eval(`(() => {
      const uri = Main.extensionManager.lookup('${UUID}').dir.resolve_relative_path(${JSON.stringify(module)}).get_uri();
      import(uri).then((m) => { globalThis.__phySettledModule = m; });
      return true;
    })()`);
    await this.waitFor<boolean>('globalThis.__phySettledModule !== undefined', (ready) => ready);
    await this.eval(`(() => {
      const proto = globalThis.__phySettledModule[${JSON.stringify(cls)}].prototype;
      const original = proto[${JSON.stringify(method)}];
      globalThis.__phySettled = 0;
      proto[${JSON.stringify(method)}] = function (...args) {
        const settled = () => { globalThis.__phySettled++; };
        const promise = original.apply(this, args);
        promise.then(settled, settled);
        return promise;
      };
      globalThis.__phySettledRestore = () => { proto[${JSON.stringify(method)}] = original; };
      return true;
    })()`);
  }

  /** Waits until the method countSettled watches has settled `count` times in all. */
  async waitForSettled(count: number): Promise<void> {
    await this.waitFor<number>('globalThis.__phySettled ?? 0', (n) => n >= count);
  }

  async stopSpying(): Promise<void> {
    await this.eval(`(() => {
      globalThis.__phySettledRestore?.();
      for (const key of ['__phySettled', '__phySettledRestore', '__phySettledModule']) delete globalThis[key];
      if (!globalThis.__phySpiedMethod) return true;
      globalThis.__phySwitcherModule.GuestSwitcher.prototype[globalThis.__phySpiedMethod] = globalThis.__phySpiedOriginal;
      for (const key of ['__phySpy', '__phySpiedMethod', '__phySpiedOriginal', '__phySwitcherModule']) delete globalThis[key];
      return true;
    })()`);
  }

  /**
   * The Shell log's warnings and errors that name the extension or its code,
   * each with its stack (not whatever lines happen to follow it), but those
   * that come from the Shell's own code (shell-warnings.ts).
   */
  extensionProblems(): string[] {
    const log = process.env.SHELL_TEST_LOG;
    if (!log) throw new Error('not inside run-shell.sh');
    return entriesIn(readFileSync(log, 'utf8'), /JS ERROR|JS WARNING|-WARNING \*\*|-CRITICAL \*\*|Gjs-Message.*error/i)
      .filter((entry) => !shellOwnWarning(entry[0] as string))
      .map((entry) => entry.join('\n'))
      .filter((entry) => /switcher@phyllo\.me|Phyllome/.test(entry));
  }

  /**
   * What the preferences process (org.gnome.Shell.Extensions, showing ours)
   * wrote to the Shell log since `from` (a byte offset), but what the Shell's
   * own code there writes (shell-warnings.ts): GLib prefixes its warnings and
   * criticals with (program:pid); GJS's own come as JS ERROR / JS WARNING.
   */
  prefsProblems(from: number, prefsPid: number): string[] {
    const log = process.env.SHELL_TEST_LOG;
    if (!log) throw new Error('not inside run-shell.sh');
    return readFileSync(log)
      .subarray(from)
      .toString('utf8')
      .split('\n')
      .filter((line) => line.includes(`:${prefsPid}):`) || /JS ERROR|JS WARNING/.test(line))
      .filter((line) => !shellOwnWarning(line));
  }
}

/**
 * Service options that open guests in a real virt-viewer inside the Shell's
 * root (next to the Shell, on its Wayland display), reaching the sandboxed
 * libvirtd through /proc.
 */
export function viewerInShellArgs(libvirtdNamespacePid: number, root: string): string[] {
  return [
    '--viewer',
    `${root}/test/shell/in-root.sh virt-viewer`,
    '--viewer-uri',
    `qemu:///system?socket=/proc/${libvirtdNamespacePid}/root/run/libvirt/libvirt-sock`,
  ];
}

/**
 * Our service on the Shell's bus over a real libvirtd (the sandbox), its
 * viewers opened inside the Shell's root, and its signals recorded: what the
 * e2e tests on real QEMU guests start from. `serviceArgs` go to the service.
 */
export async function realGuestsInShell(
  serviceArgs: string[] = [],
): Promise<{ stack: ServiceStack; shell: ShellDriver }> {
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (!address || !process.env.SHELL_TEST_STATE) throw new Error('run through test/shell/run-e2e.sh');
  const stack = await ServiceStack.start({ busAddress: address, realLibvirtd: true, withService: false });
  try {
    await stack.startService('qemu:///session', [
      ...viewerInShellArgs(stack.libvirtdNamespacePid as number, ROOT),
      ...serviceArgs,
    ]);
    await stack.client.watch();
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return { stack, shell: new ShellDriver(stack.client) };
}
