// The extension under load in the real Shell: many guests on libvirt's test
// driver, and the figures of bench/shell-load.js (enable until all are
// listed, the first menu open, the longest main-loop stall meanwhile, the
// Shell's JS heap, RSS and actor count). Shared by the load test and
// `npm run bench -- shell-load`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceStack } from '../support/stack.js';
import { ROOT } from '../support/stack.js';
import { libvirtCall } from '../support/libvirt.js';
import { waitFor } from '../support/wait.js';
import type { ShellDriver } from './shell.js';

export interface EnableFigures {
  /** From enable to every guest listed, ms. */
  ms: number;
  /** The longest main-loop stall meanwhile, ms. */
  stall: number;
  /** From enable to the first screenful (20 guests) listed, ms; absent for a menu open. */
  first?: number;
}

export interface MenuFigures extends EnableFigures {
  menuHeight: number;
  monitorHeight: number;
}

/** Defines `count` stopped guests on the test driver, 50 calls at a time. */
export async function defineGuests(stack: ServiceStack, count: number, prefix = 'load'): Promise<void> {
  let batch: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const uuid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    batch.push(
      libvirtCall(stack, '/org/libvirt/Test', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
        `<domain type='test'><name>${prefix}-${String(i).padStart(4, '0')}</name><uuid>${uuid}</uuid><memory unit='MiB'>16</memory><vcpu>1</vcpu><os><type arch='i686'>hvm</type></os></domain>`,
      ]),
    );
    if (batch.length === 50) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
}

export class LoadProbe {
  constructor(private readonly shell: ShellDriver) {}

  async install(): Promise<void> {
    await this.shell.eval(readFileSync(join(ROOT, 'bench/shell-load.js'), 'utf8'));
  }

  private async result<T>(call: string): Promise<T> {
    const before = await this.shell.eval<number>('globalThis.__phyLoad.results.length');
    await this.shell.eval(`globalThis.__phyLoad.${call}`);
    const [value] = await this.shell.waitFor<T[]>(
      `globalThis.__phyLoad.results.slice(${before})`,
      (r) => r.length > 0,
      90_000,
    );
    return value as T;
  }

  enable(count: number): Promise<EnableFigures> {
    return this.result<EnableFigures>(`enable(${count})`);
  }

  /** Gio alone: the bare GetManagedObjects round trip and a DBusObjectManagerClient made ready, ms. */
  gioAlone(): Promise<{ call: number; client: number; objects: number }> {
    return this.result(`gioAlone()`);
  }

  async disable(): Promise<void> {
    await this.shell.eval(`Main.extensionManager.disableExtension('switcher@phyllo.me'); true`);
  }

  /** Opens the menu (it stays open) until its first rows are made. */
  openMenu(count: number): Promise<MenuFigures> {
    return this.result<MenuFigures>(`openMenu(${count})`);
  }

  async closeMenu(): Promise<void> {
    await this.shell.eval(`Main.panel.statusArea['switcher@phyllo.me'].menu.close(false); true`);
  }

  /** Scrolls the open menu's list to its end `times` times; the rows made then, and the longest stall. */
  scrollToEnd(times: number): Promise<{ rows: number; stall: number }> {
    return this.result(`scrollToEnd(${times})`);
  }

  /** The Shell's JS heap after a full collection, bytes. */
  heap(): Promise<number> {
    return this.shell.eval<number>('globalThis.__phyLoad.heap()');
  }

  census(): Promise<Record<string, number>> {
    return this.shell.eval<Record<string, number>>('globalThis.__phyLoad.census()');
  }

  actors(): Promise<number> {
    return this.shell.eval<number>('globalThis.__phyLoad.actors()');
  }

  /** The Shell process's resident memory, bytes. */
  rss(): number {
    const status = readFileSync(`/proc/${process.env.SHELL_TEST_PID}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
  }

  /** Where memory and actors stand with the extension disabled, once the stage holds still. */
  async rest(): Promise<{ heap: number; rss: number; actors: number; census: Record<string, number> }> {
    // The Shell's deferred work announces nothing: the same count twice, 300 ms apart.
    let last = -1;
    await waitFor(
      async () => {
        const now = await this.actors();
        const same = now === last;
        last = now;
        return same;
      },
      { what: 'the stage to hold still', timeoutMs: 6_000, pollMs: 300 },
    ).catch(() => undefined); // as before: measured as it stands after the deadline
    return { heap: await this.heap(), rss: this.rss(), actors: await this.actors(), census: await this.census() };
  }

  /** `n` rounds of enable (until all `count` guests are listed), menu open, disable. */
  async cycles(n: number, count: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      await this.enable(count);
      await this.openMenu(count);
      await this.scrollToEnd(3);
      await this.closeMenu();
      await this.disable();
    }
  }
}
