// polkit's CheckAuthorization (org.freedesktop.PolicyKit1) on the system bus,
// with a deadline: quiet calls must not hold a caller up; one that lets
// polkit ask the user for a password waits as long as a person may take.
// Every failure is an answer too ('failed'), which refuses.

import { readFile } from 'node:fs/promises';
import { callWithDeadline, Message, Variant, type MessageBus } from '../dbus/bus.js';
import { log } from '../log.js';
import { polkitAnswer, polkitFlags, type PolkitAnswer } from './policy.js';
import { errorMessage } from '../errors.js';

/**
 * Whom polkit decides for. A caller on the system bus, where polkit is too,
 * is named by its bus name (polkit asks the bus itself, so no PID can be
 * reused in between); a caller on another bus by its process.
 */
export type PolkitSubject =
  { kind: 'system-bus-name'; name: string } | { kind: 'unix-process'; pid: number; uid: number };

export interface PolkitDeadlines {
  /** For a call that may not ask the user. */
  quietMs: number;
  /** For a call that may: someone may be typing a password. */
  interactiveMs: number;
}

export const DEFAULT_POLKIT_DEADLINES: PolkitDeadlines = { quietMs: 5_000, interactiveMs: 120_000 };

/** The process start time polkit's unix-process subject needs (field 22 of /proc/PID/stat). */
async function startTime(pid: number): Promise<bigint> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return BigInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '0');
}

async function subjectStruct(subject: PolkitSubject): Promise<[string, Record<string, Variant>]> {
  if (subject.kind === 'system-bus-name') return ['system-bus-name', { name: new Variant('s', subject.name) }];
  return [
    'unix-process',
    {
      pid: new Variant('u', subject.pid),
      'start-time': new Variant('t', await startTime(subject.pid)),
      uid: new Variant('i', subject.uid),
    },
  ];
}

export class PolkitClient {
  constructor(
    /** The system bus; undefined when there is none (every answer is then 'failed'). */
    private readonly bus: MessageBus | undefined,
    private readonly deadlines: PolkitDeadlines = DEFAULT_POLKIT_DEADLINES,
  ) {}

  async check(
    subject: PolkitSubject,
    actionId: string,
    details: Record<string, string>,
    interactive: boolean,
  ): Promise<PolkitAnswer> {
    if (!this.bus) return 'failed';
    try {
      const message = new Message({
        destination: 'org.freedesktop.PolicyKit1',
        path: '/org/freedesktop/PolicyKit1/Authority',
        interface: 'org.freedesktop.PolicyKit1.Authority',
        member: 'CheckAuthorization',
        signature: '(sa{sv})sa{ss}us',
        body: [await subjectStruct(subject), actionId, details, polkitFlags(interactive), ''],
      });
      const deadline = interactive ? this.deadlines.interactiveMs : this.deadlines.quietMs;
      const [result] = (await callWithDeadline(this.bus, message, deadline)).body as [
        [boolean, boolean, Record<string, string>],
      ];
      return polkitAnswer(result);
    } catch (error) {
      log.warning(`polkit did not answer for ${actionId}: ${errorMessage(error)}`);
      return 'failed';
    }
  }
}
