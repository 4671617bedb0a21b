// Who gets through a share: the password made for it, until it expires.
// Every wrong password counts against the share: after the first, the next
// password is judged only after a wait that doubles each time, and after a
// few the share closes — made for one person, it is not worth guessing at.
// A wrong, an expired and an unreadable password are one and the same
// refusal, so a refusal never says which part was wrong. Pure: time is
// handed in.

import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

export interface FailurePolicy {
  /** The wait before judging another password after the first failure; it doubles with each failure. */
  firstDelayMs: number;
  /** Failures after which the share closes. */
  maxFailures: number;
}

export const DEFAULT_FAILURE_POLICY: FailurePolicy = { firstDelayMs: 500, maxFailures: 5 };

/** Accepted; refused (wrong, expired or unreadable); or refused and the share must close (too many failures). */
export type Verdict = 'accepted' | 'refused' | 'exhausted';

// No 0/o, 1/l/i: read aloud or typed from a screen, each character is one.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const GROUPS = 4;
const GROUP_LENGTH = 4;

/** A new password: 16 characters in groups of four (about 79 bits), as a person can type it. */
export function makePassword(): string {
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    let group = '';
    for (let i = 0; i < GROUP_LENGTH; i++) group += ALPHABET[randomInt(ALPHABET.length)] as string;
    groups.push(group);
  }
  return groups.join('-');
}

const digest = (bytes: Buffer): Buffer => createHash('sha256').update(bytes).digest();

export class ShareGate {
  private readonly expected: Buffer;
  private failures = 0;
  private lastFailureAt = 0;

  constructor(
    password: string,
    /** When the password stops being accepted (ms since the epoch). */
    readonly expiresAt: number,
    private readonly policy: FailurePolicy = DEFAULT_FAILURE_POLICY,
  ) {
    this.expected = digest(Buffer.from(password, 'utf8'));
  }

  get failureCount(): number {
    return this.failures;
  }

  get exhausted(): boolean {
    return this.failures >= this.policy.maxFailures;
  }

  /** When a password presented at `now` may be judged: at once, or later after failures. */
  judgeAt(now: number): number {
    if (this.failures === 0) return now;
    return Math.max(now, this.lastFailureAt + this.policy.firstDelayMs * 2 ** (this.failures - 1));
  }

  /** Judges a password (undefined: one that could not be read) at `now`, which must not be before judgeAt(). */
  judge(presented: Buffer | undefined, now: number): Verdict {
    if (this.exhausted) return 'exhausted';
    // Compared by digest in constant time, whatever its length; the expiry checked after, so the work is the same.
    const matches = timingSafeEqual(digest(presented ?? Buffer.alloc(0)), this.expected);
    if (matches && presented !== undefined && now < this.expiresAt) return 'accepted';
    this.failures++;
    this.lastFailureAt = now;
    return this.exhausted ? 'exhausted' : 'refused';
  }
}
