// Two computers on one cable, for tests of what the network sees: two
// network namespaces of their own — "host" (where the service under test
// listens) and "remote" (the other computer) — joined by a veth pair, each
// with an address of a /24 no host uses. Each namespace lives as long as a
// process that holds it (unshare --net, tracked by PID); there is no
// mount (no `ip netns add`), and the namespaces, the pair and every address
// go with those processes. Commands run in either with nsenter --net.

import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import type { ProcessGroup, TrackedProcess } from './processes.js';

export interface Computer {
  /** Its address on the cable. */
  address: string;
  /** The process holding its namespace. */
  holder: TrackedProcess;
  /** nsenter's arguments that run a command in its namespace. */
  enter: string[];
}

/** Runs `ip` in a namespace. */
function ip(computer: Computer, args: string[]): void {
  execFileSync('nsenter', [...computer.enter, 'ip', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function holdNamespace(group: ProcessGroup, name: string): Promise<TrackedProcess> {
  // cat waits on the pipe until stopped: the namespace is held that long, and needs nothing else.
  const holder = group.start(
    `network namespace (${name})`,
    'unshare',
    ['--net', '--', 'sh', '-c', 'echo in its namespace; exec cat'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  await holder.waitForOutput(/in its namespace/);
  return holder;
}

export class NetworkPair {
  private constructor(
    readonly host: Computer,
    readonly remote: Computer,
  ) {}

  static async start(group: ProcessGroup): Promise<NetworkPair> {
    const subnet = `10.${randomInt(200, 250)}.${randomInt(1, 255)}`;
    const computers = await Promise.all(
      (['host', 'remote'] as const).map(async (name, i): Promise<Computer> => {
        const holder = await holdNamespace(group, name);
        return { address: `${subnet}.${i + 1}`, holder, enter: [`--net=/proc/${holder.pid}/ns/net`, '--'] };
      }),
    );
    const [host, remote] = computers as [Computer, Computer];
    // Made in the host's namespace, its peer born in the remote one: neither end ever sits in ours.
    ip(host, ['link', 'add', 'cable', 'type', 'veth', 'peer', 'name', 'cable', 'netns', String(remote.holder.pid)]);
    for (const computer of [host, remote]) {
      ip(computer, ['addr', 'add', `${computer.address}/24`, 'dev', 'cable']);
      ip(computer, ['link', 'set', 'cable', 'up']);
      ip(computer, ['link', 'set', 'lo', 'up']);
    }
    return new NetworkPair(host, remote);
  }
}
