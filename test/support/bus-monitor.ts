// Counts the method calls one process makes to a destination on a bus, as
// the bus itself sees them: dbus-monitor (the bus daemon's BecomeMonitor)
// with a match rule per connection of that process, itself a process tracked
// by PID in the test's group. For "the service called libvirt N times",
// without asking the service.

import { randomUUID } from 'node:crypto';
import type { TestClient } from './dbus-client.js';
import type { EventEmitter } from 'node:events';
import type { ProcessGroup, TrackedProcess } from './processes.js';
import { waitFor } from './wait.js';

const DBUS: [string, string, string] = ['org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus'];
/**
 * Where the test pings the bus daemon to mark a point in the monitor's
 * output: the daemon hands a monitor what it routes in the order it routes
 * it, so once the monitor shows the mark it has shown every call the bus
 * routed before it.
 */
const MARK_PATH = '/me/phyllo/Switcher1/Test/Mark';
const MARK_RULE = `type='method_call',destination='org.freedesktop.DBus',path_namespace='${MARK_PATH}'`;
const isMark = (line: string): boolean => line.includes(` path=${MARK_PATH}/`);

/** The unique names of a process's connections to the bus. */
export async function connectionsOf(client: TestClient, pid: number): Promise<string[]> {
  const [names] = (await client.call(...DBUS, 'ListNames')) as [string[]];
  const mine: string[] = [];
  for (const name of names.filter((n) => n.startsWith(':'))) {
    if ((await client.pidOf(name).catch(() => 0)) === pid) mine.push(name);
  }
  return mine;
}

export class CallCounter {
  private constructor(private readonly monitor: TrackedProcess) {}

  /**
   * Starts counting the calls that process `pid` (every connection it has
   * to the bus) makes to `destination`; resolves once the monitor is in place.
   */
  static async start(
    group: ProcessGroup,
    client: TestClient,
    address: string,
    pid: number,
    destination: string,
  ): Promise<CallCounter> {
    const senders = await connectionsOf(client, pid);
    if (senders.length === 0) throw new Error(`process ${pid} has no connection to the bus`);
    const rules = senders.map((sender) => `type='method_call',sender='${sender}',destination='${destination}'`);
    const monitor = group.start('dbus-monitor', 'dbus-monitor', [
      '--address',
      address,
      '--monitor',
      ...rules,
      MARK_RULE,
    ]);
    // dbus-monitor prints the bus's NameLost for itself once it is a monitor.
    await monitor.waitForOutput(/member=NameLost/, 10_000);
    return new CallCounter(monitor);
  }

  /**
   * Starts counting every call to `destination`, whoever makes it: for a
   * process the bus cannot tell by PID (one started inside another's world).
   */
  static async startForAll(group: ProcessGroup, address: string, destination: string): Promise<CallCounter> {
    const monitor = group.start('dbus-monitor', 'dbus-monitor', [
      '--address',
      address,
      '--monitor',
      `type='method_call',destination='${destination}'`,
      MARK_RULE,
    ]);
    await monitor.waitForOutput(/member=NameLost/, 10_000);
    return new CallCounter(monitor);
  }

  /** The object path of the first call of `member` seen, once it is seen; throws after `timeoutMs`. */
  async waitForCall(member: string, timeoutMs = 10_000): Promise<string> {
    const [, path] = await this.monitor.waitForOutput(
      new RegExp(`^method call .* path=([^;]*); interface=[^;]*; member=${member}$`, 'm'),
      timeoutMs,
    );
    return path as string;
  }

  /** Calls seen so far: all of them, or only those of `member`. */
  count(member?: string): number {
    return this.lines().filter((l) => !isMark(l) && (!member || l.endsWith(`member=${member}`))).length;
  }

  /**
   * Resolves once the monitor has shown every call the bus routed before
   * now: `client` pings the bus daemon at the mark's path, and the ping is
   * awaited in the monitor's output. For "none so far" without a window.
   */
  async caughtUp(client: TestClient, timeoutMs = 10_000): Promise<void> {
    const mark = `${MARK_PATH}/_${randomUUID().replace(/-/g, '')}`;
    // The daemon may refuse a ping at this path; the call itself is the mark.
    await client.call(DBUS[0], mark, 'org.freedesktop.DBus.Peer', 'Ping').catch(() => undefined);
    const on: [EventEmitter, string][] = this.monitor.child.stdout ? [[this.monitor.child.stdout, 'data']] : [];
    await waitFor(() => this.lines().some((l) => l.includes(` path=${mark};`)), {
      what: 'the monitor to show the mark',
      timeoutMs,
      on,
      pollMs: 100,
    });
  }

  private lines(): string[] {
    return this.monitor
      .output()
      .split('\n')
      .filter((l) => l.startsWith('method call '));
  }

  /** Waits until `count` calls (of `member`, or all) have been seen: checked on each line dbus-monitor prints. */
  async until(count: number, member?: string, timeoutMs = 10_000): Promise<void> {
    const on: [EventEmitter, string][] = this.monitor.child.stdout ? [[this.monitor.child.stdout, 'data']] : [];
    await waitFor(() => this.count(member) >= count, {
      what: () => `${count} calls${member ? ` of ${member}` : ''} (saw ${this.count(member)})`,
      timeoutMs,
      on,
      pollMs: 100,
    });
  }

  async stop(): Promise<void> {
    await this.monitor.stop();
  }
}
