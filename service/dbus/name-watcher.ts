// Follows who owns a well-known name, from the bus daemon's
// NameOwnerChanged signal: the way to notice a service leaving and coming
// back without asking it anything.

import { EventEmitter } from 'node:events';
import {
  BUS_DAEMON as DBUS,
  BUS_DAEMON_PATH as DBUS_PATH,
  callBusDaemon,
  isBusDaemonSignal,
  Message,
  type MessageBus,
} from './bus.js';

export interface NameWatcherEvents {
  owner: [owner: string];
}

export class NameWatcher extends EventEmitter<NameWatcherEvents> {
  private currentOwner = '';
  private readonly onMessage = (message: Message): void => {
    if (isBusDaemonSignal(message, 'NameOwnerChanged') && message.body[0] === this.name) {
      this.setOwner(String(message.body[2] ?? ''));
    }
  };
  private readonly rule: string;

  constructor(
    private readonly bus: MessageBus,
    private readonly name: string,
    private readonly timeoutMs: number,
  ) {
    super();
    this.rule = `type='signal',sender='${DBUS}',path='${DBUS_PATH}',interface='${DBUS}',member='NameOwnerChanged',arg0='${name}'`;
  }

  get owner(): string {
    return this.currentOwner;
  }

  async start(): Promise<void> {
    this.bus.on('message', this.onMessage);
    await callBusDaemon(this.bus, 'AddMatch', 's', [this.rule], this.timeoutMs);
    try {
      const reply = await callBusDaemon(this.bus, 'GetNameOwner', 's', [this.name], this.timeoutMs);
      this.setOwner(String(reply.body[0] ?? ''));
    } catch {
      this.setOwner(''); // NameHasNoOwner
    }
  }

  async isActivatable(): Promise<boolean> {
    const reply = await callBusDaemon(this.bus, 'ListActivatableNames', '', [], this.timeoutMs);
    const names = reply.body[0];
    return Array.isArray(names) && names.includes(this.name);
  }

  stop(): void {
    this.bus.off('message', this.onMessage);
    this.removeAllListeners();
  }

  private setOwner(owner: string): void {
    if (owner === this.currentOwner) return;
    this.currentOwner = owner;
    this.emit('owner', owner);
  }
}
