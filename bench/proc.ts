// What the benchmarks read of a process: CPU time and memory from /proc, and
// the timer callbacks counted inside the service by bench/timer-probe.ts.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ServiceStack } from '../test/support/stack.js';

export function procStat(pid: number): { cpuMs: number; rssMiB: number; mainSwitches: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  const task = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  const switches =
    Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(task)?.[1]) +
    Number(/nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(task)?.[1]);
  return { cpuMs: (ticks * 1000) / hz, rssMiB: rssKiB / 1024, mainSwitches: switches };
}

export async function timerCount(stack: ServiceStack): Promise<number> {
  const service = stack.service;
  if (!service) throw new Error('no service');
  const before = service.output().length;
  process.kill(service.pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    const match = /timer-probe fired=(\d+).*/.exec(service.output().slice(before));
    if (match) {
      if (process.env.BENCH_VERBOSE) console.log(`   ${match[0]}`);
      return Number(match[1]);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('timer probe did not answer');
}
