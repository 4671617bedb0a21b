// npm run bench -- flood [--smoke]: seat0's ListGuests at rest and while
// another user floods the host-wide service (issue 18, item 7) — rounds of
// 120 DescribeInstaller at once, with Export and Import attempts beside
// them, each round after a stretch at rest — and the ratio (target: p99
// within 2× of rest). Then floods of well-typed calls costly to decode
// (16 000 variants in 64 KiB; 1000 strings): how the service answered them
// (their shape, the sender's budget), its CPU time for all of them, and
// seat0's ListGuests meanwhile. Smoke: tiny sizes, one round, no target.

import { MANAGER, MANAGER_PATH, SERVICE, GUEST } from '../test/support/dbus-client.js';
import { COSTLY_BUNDLE, startFloodedService, type FloodedService } from '../test/support/flood.js';
import { DEFAULT_CALL_LIMITS } from '../service/access/call-limiter.js';
import { procStat } from './proc.js';
import { RawClient } from './raw-client.js';
import { hrMs, ms, summarize, type Summary } from './stats.js';
import { join } from 'node:path';

interface FloodSizes {
  guests: number;
  rounds: number;
  /** DescribeInstaller calls at once, per round. */
  calls: number;
  /** Export and Import attempts at once, per round, each. */
  transfers: number;
  /** How long ListGuests is timed at rest: long enough that the host's own noise shows there too. */
  restMs: number;
  /** Calls of 16 000 variants each, at once. */
  costlyBodies: number;
}

const FULL: FloodSizes = { guests: 100, rounds: 5, calls: 120, transfers: 4, restMs: 15_000, costlyBodies: 120 };
const SMOKE: FloodSizes = { guests: 5, rounds: 1, calls: 12, transfers: 1, restMs: 300, costlyBodies: 4 };
const DEADLINE_MS = DEFAULT_CALL_LIMITS.maxWaitMs + 15_000;

const fmt = (s: Summary): string => `p50 ${ms(s.p50).padStart(9)}  p99 ${ms(s.p99).padStart(9)}  (n=${s.n})`;

/** ListGuests as seat0 calls it, timed one after another until `until` says stop (at least `least` times). */
async function timeListGuests(raw: RawClient, until: () => boolean, least: number): Promise<number[]> {
  const samples: number[] = [];
  while (samples.length < least || !until()) {
    const start = process.hrtime.bigint();
    const type = await raw.call(SERVICE, MANAGER_PATH, MANAGER, 'ListGuests', []);
    samples.push(hrMs(start));
    if (type !== 2) throw new Error('ListGuests failed');
  }
  return samples;
}

/** One round of bob's: DescribeInstaller, Export and Import, each kind all at once. */
interface Answer {
  method: string;
  error: string;
  ms: number;
}

async function floodRound(flood: FloodedService, sizes: FloodSizes): Promise<Answer[]> {
  const { bob, iso, guest, bobsFolder } = flood;
  // The transfers first, so that they take places before the burst of DescribeInstaller fills the rest.
  const [exported, imported, costly, described] = await Promise.all([
    bob.calls(sizes.transfers, DEADLINE_MS, SERVICE, guest, GUEST, 'Export', 's', [bobsFolder]),
    bob.calls(sizes.transfers, DEADLINE_MS, SERVICE, MANAGER_PATH, MANAGER, 'Import', 's', [
      join(bobsFolder, 'flood-0000.phyllome'),
    ]),
    // Attack finding 1: a definition that once held the service's thread 15 s per Import.
    bob.calls(1, DEADLINE_MS, SERVICE, MANAGER_PATH, MANAGER, 'Import', 's', [join(bobsFolder, COSTLY_BUNDLE)]),
    bob.calls(sizes.calls, DEADLINE_MS, SERVICE, MANAGER_PATH, MANAGER, 'DescribeInstaller', 's', [iso]),
  ]);
  const tag = (method: string, answers: { error: string; ms: number }[]): Answer[] =>
    answers.map((answer) => ({ method, ...answer }));
  return [
    ...tag('DescribeInstaller', described),
    ...tag('Export', exported),
    ...tag('Import', imported),
    ...tag('Import (costly)', costly),
  ];
}

/** Per method: how its calls were answered, and the slowest answer. */
function outcomes(answers: Answer[]): string {
  const lines: string[] = [];
  for (const method of [...new Set(answers.map((a) => a.method))]) {
    const mine = answers.filter((a) => a.method === method);
    const kinds = new Map<string, number>();
    for (const { error } of mine) {
      const kind = error.replace(/^me\.phyllo\.Switcher1\.Error\./, '');
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    lines.push(
      `     ${method.padEnd(18)} ${[...kinds].map(([kind, n]) => `${kind} ${n}`).join(', ')}; slowest answer ${ms(Math.max(...mine.map((a) => a.ms)))}`,
    );
  }
  return lines.join('\n');
}

export async function benchFlood(smoke: boolean): Promise<void> {
  const sizes = smoke ? SMOKE : FULL;
  console.log(
    `\n== Flood: seat0's ListGuests while another uid floods the host-wide service (test driver, ${sizes.guests} guests${smoke ? ', smoke' : ''})`,
  );
  const flood = await startFloodedService(sizes.guests);
  const raw = await RawClient.connect(flood.stack.bus.address);
  try {
    // Not counted: the first DescribeInstaller reads libosinfo's database.
    await flood.stack.client.call(SERVICE, MANAGER_PATH, MANAGER, 'DescribeInstaller', 's', [flood.iso], 30_000);
    await timeListGuests(raw, () => true, 200); // warm-up
    flood.detect.reset();
    // Rest and flood take turns, so that the host's own load (other work on its cores) weighs on both alike.
    const restSamples: number[] = [];
    const floodSamples: number[] = [];
    const answers: Answer[] = [];
    for (let round = 0; round < sizes.rounds; round++) {
      const restEnds = Date.now() + sizes.restMs / sizes.rounds;
      restSamples.push(...(await timeListGuests(raw, () => Date.now() > restEnds, 1)));
      let flooding = true;
      const flooded = floodRound(flood, sizes).finally(() => {
        flooding = false;
      });
      floodSamples.push(...(await timeListGuests(raw, () => !flooding, 1)));
      answers.push(...(await flooded));
    }
    const rest = summarize(restSamples);
    const during = summarize(floodSamples);
    const runs = flood.detect.runs();
    const ratio = (during.p99 / rest.p99).toFixed(1);
    console.log(
      `   at rest                  ${fmt(rest)}\n` +
        `   while flooded            ${fmt(during)}\n` +
        `   ratio                    p50 ${(during.p50 / rest.p50).toFixed(1)}×  p99 ${ratio}×${smoke ? '' : '  (target p99 <= 2×)'}\n` +
        `   the flood: ${sizes.rounds} × (${sizes.calls} DescribeInstaller + ${sizes.transfers} Export + ${sizes.transfers} Import + 1 costly Import at once), answered:\n` +
        `${outcomes(answers)}\n` +
        `   osinfo-detect            ${runs.started} run, at most ${runs.atOnce} at once (limit ${DEFAULT_CALL_LIMITS.total}), nice ${[...runs.niceness].join('/')}, ${[...runs.ioClasses].join('/')}`,
    );
    await costlyBodies(flood, raw, sizes);
  } finally {
    raw.close();
    await flood.stop();
  }
}

/**
 * bob's well-typed calls that are costly to decode, all at once: 16 000 variants in the variant of a Set
 * (refused by their shape), then the most a call may hold (1000 strings); what the service read of them
 * and what it cost.
 */
async function costlyBodies(flood: FloodedService, raw: RawClient, sizes: FloodSizes): Promise<void> {
  const pid = flood.stack.service?.pid as number;
  const deep = { $variant: ['av', Array.from({ length: 16_000 }, () => ({ $variant: ['y', 1] }))] };
  const connectors = Array.from({ length: 1000 }, (_, i) => `DP-${i}`);
  const kinds = [
    ['16 000 variants in Set', MANAGER_PATH, 'org.freedesktop.DBus.Properties', 'Set', 'ssv', [MANAGER, 'x', deep]],
    ['1000 strings in SetMonitors', flood.guest, GUEST, 'SetMonitors', 'as', [connectors]],
  ] as const;
  for (const [name, path, iface, member, signature, body] of kinds) {
    const cpuBefore = procStat(pid).cpuMs;
    const started = process.hrtime.bigint();
    let flooding = true;
    const sent = flood.bob
      .calls(sizes.costlyBodies, 30_000, SERVICE, path, iface, member, signature, [...body])
      .finally(() => {
        flooding = false;
      });
    const during = summarize(await timeListGuests(raw, () => !flooding, 1));
    const answers = await sent;
    const seconds = hrMs(started) / 1000;
    const cpuMs = procStat(pid).cpuMs - cpuBefore;
    const kinds = new Map<string, number>();
    for (const { error } of answers) {
      const kind = error.replace(/^org\.freedesktop\.DBus\.Error\./, '');
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    console.log(
      `   ${sizes.costlyBodies} × ${name} at once, sent over ${seconds.toFixed(1)} s: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}\n` +
        `     the service's CPU time ${cpuMs.toFixed(0)} ms; seat0's ListGuests meanwhile ${fmt(during)}`,
    );
  }
}
