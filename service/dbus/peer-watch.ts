// Follows a set of the bus's clients by their unique names and tells when
// one leaves the bus (disconnects, or dies): the bus daemon's
// NameOwnerChanged. The match rule is in place only while the set is not
// empty, so an empty watch costs nothing, not even a wake-up per client
// coming and going on the bus.

import { EventEmitter } from 'node:events';
import { log } from '../log.js';
import {
  BUS_DAEMON as DBUS,
  BUS_DAEMON_PATH as DBUS_PATH,
  callBusDaemon,
  isBusDaemonSignal,
  Message,
  type MessageBus,
} from './bus.js';
import { errorMessage } from '../errors.js';

const RULE = `type='signal',sender='${DBUS}',path='${DBUS_PATH}',interface='${DBUS}',member='NameOwnerChanged'`;

export interface PeerWatchEvents {
  /** A watched client left the bus; it is no longer watched. */
  gone: [name: string];
}

export class PeerWatch extends EventEmitter<PeerWatchEvents> {
  private readonly peers = new Set<string>();
  /** The match rule while it is (being) added; undefined while there is none. */
  private matched: Promise<unknown> | undefined;
  private readonly onMessage = (message: Message): void => {
    if (!isBusDaemonSignal(message, 'NameOwnerChanged')) return;
    const [name, , newOwner] = message.body as [unknown, unknown, unknown];
    if (typeof name === 'string' && newOwner === '' && this.peers.has(name)) this.drop(name);
  };

  constructor(
    private readonly bus: MessageBus,
    private readonly timeoutMs: number,
  ) {
    super();
  }

  get size(): number {
    return this.peers.size;
  }

  has(name: string): boolean {
    return this.peers.has(name);
  }

  /**
   * Watches a client by its unique name (':1.42'). Resolves to false, and
   * watches nothing, when the client has already left the bus: its
   * NameOwnerChanged may have gone out before our match rule was in place.
   */
  async add(name: string): Promise<boolean> {
    if (!name.startsWith(':')) throw new Error(`${name} is not a unique bus name`);
    this.peers.add(name);
    if (!this.matched) {
      this.bus.on('message', this.onMessage);
      this.matched = callBusDaemon(this.bus, 'AddMatch', 's', [RULE], this.timeoutMs);
    }
    try {
      await this.matched;
      const [present] = (await callBusDaemon(this.bus, 'NameHasOwner', 's', [name], this.timeoutMs)).body as [boolean];
      if (present) return this.peers.has(name);
    } catch (error) {
      log.warning(`cannot follow ${name} on the bus: ${errorMessage(error)}`);
    }
    if (this.peers.has(name)) this.drop(name);
    return false;
  }

  /** Stops watching a client; nothing if it was not watched. */
  remove(name: string): void {
    if (!this.peers.delete(name)) return;
    if (this.peers.size === 0) this.unmatch();
  }

  stop(): void {
    this.peers.clear();
    this.unmatch();
    this.removeAllListeners();
  }

  private drop(name: string): void {
    this.remove(name);
    this.emit('gone', name);
  }

  private unmatch(): void {
    if (!this.matched) return;
    this.matched = undefined;
    this.bus.off('message', this.onMessage);
    // Sent after the AddMatch (the connection keeps their order); the bus may be gone when we stop.
    callBusDaemon(this.bus, 'RemoveMatch', 's', [RULE], this.timeoutMs).catch(() => undefined);
  }
}
