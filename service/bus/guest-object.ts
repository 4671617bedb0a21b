// me.phyllo.Switcher1.Guest on /me/phyllo/Switcher1/guest/<uuid>.

import type { GuestActions } from '../guests/actions.js';
import type { GuestRegistry } from '../guests/registry.js';
import type { GuestProperties } from '../guests/guest.js';
import type { ViewerManager } from '../viewers/viewer-manager.js';
import type { Authority } from '../seats/authority.js';
import type { Transfers } from '../transfer/transfers.js';
import { noSuchGuest } from '../errors.js';
import type { InterfaceImpl } from './exporter.js';

/** An a{sv} value as dbus-next gives it. */
type MigrationOption = { signature: string; value: unknown };

export const GUEST_INTERFACE = 'me.phyllo.Switcher1.Guest';

export class GuestObject implements InterfaceImpl {
  readonly interfaceName = GUEST_INTERFACE;

  constructor(
    private readonly path: string,
    private readonly registry: GuestRegistry,
    private readonly actions: GuestActions,
    private readonly viewers: ViewerManager,
    private readonly authority: Authority,
    private readonly transfers: Transfers,
  ) {}

  getProperty(name: string): unknown {
    const guest = this.registry.get(this.path);
    if (!guest) throw noSuchGuest(`at ${this.path}`);
    if (name === 'ViewerPid') return this.viewers.pid(this.path);
    return guest.props[name as keyof GuestProperties];
  }

  async call(method: string, args: unknown[], sender: string): Promise<unknown[]> {
    const guest = this.registry.get(this.path);
    if (!guest) throw noSuchGuest(`at ${this.path}`);
    // A guest assigned to another seat is that seat's.
    await this.authority.require(sender, guest.props.Seat, guest.props.Name);
    switch (method) {
      case 'Shutdown':
        return [await this.actions.shutdown(this.path, args[0] as number)];
      case 'SetMonitor':
        await this.actions.setMonitor(this.path, args[0] as string);
        return [];
      case 'Show':
        await this.actions.show(this.path);
        return [];
      case 'Export':
        return [(await this.transfers.exportGuest(this.path, args[0] as string)).path];
      case 'Clone':
        return [(await this.transfers.cloneGuest(this.path, args[0] as string)).path];
      case 'MigrateTo':
        return [
          (await this.transfers.migrateGuest(this.path, args[0] as string, args[1] as Record<string, MigrationOption>))
            .path,
        ];
      case 'Start':
      case 'ForceOff':
      case 'Reboot':
      case 'Pause':
      case 'Resume':
        await this.actions.run(this.path, method);
        return [];
      default:
        throw new Error(`no method ${method}`);
    }
  }
}
