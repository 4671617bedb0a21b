// Who gets through a share, on a clock of the test's own.

import { describe, expect, it } from 'vitest';
import { makePassword, ShareGate } from '../../service/sharing/share-gate.js';

const POLICY = { firstDelayMs: 500, maxFailures: 5 };
const right = Buffer.from('abcd-efgh-jkmn-pqrs');
const wrong = Buffer.from('abcd-efgh-jkmn-pqrt');

describe('a share’s password', () => {
  it('is accepted until it expires, and not once it has', () => {
    const gate = new ShareGate(right.toString(), 10_000, POLICY);
    expect(gate.judge(right, 0)).toBe('accepted');
    expect(gate.judge(right, 9_999)).toBe('accepted');
    expect(gate.judge(right, 10_000)).toBe('refused');
  });

  it('refuses a wrong, a longer, an empty and an unreadable one alike', () => {
    for (const presented of [wrong, Buffer.concat([right, Buffer.from('x')]), Buffer.alloc(0), undefined]) {
      const gate = new ShareGate(right.toString(), 10_000, POLICY);
      expect(gate.judge(presented, 0)).toBe('refused');
      expect(gate.failureCount).toBe(1);
    }
  });

  it('is judged later after each failure, and the share closes after a few', () => {
    const gate = new ShareGate(right.toString(), 1_000_000, POLICY);
    let now = 0;
    const waits: number[] = [];
    const verdicts: string[] = [];
    for (let i = 0; i < 5; i++) {
      const at = gate.judgeAt(now);
      waits.push(at - now);
      now = at;
      verdicts.push(gate.judge(wrong, now));
    }
    expect(waits).toEqual([0, 500, 1_000, 2_000, 4_000]);
    expect(verdicts).toEqual(['refused', 'refused', 'refused', 'refused', 'exhausted']);
    // Once exhausted, even the right one gets nowhere.
    expect(gate.judge(right, gate.judgeAt(now))).toBe('exhausted');
  });

  it('counts a success as nothing: failures add up over the share’s life', () => {
    const gate = new ShareGate(right.toString(), 1_000_000, POLICY);
    expect(gate.judge(wrong, 0)).toBe('refused');
    expect(gate.judge(right, gate.judgeAt(0))).toBe('accepted');
    expect(gate.judgeAt(500)).toBe(500);
    expect(gate.judgeAt(100)).toBe(500);
    expect(gate.failureCount).toBe(1);
  });
});

describe('a new password', () => {
  it('is 16 unambiguous characters in groups of four, each one new', () => {
    const made = Array.from({ length: 200 }, makePassword);
    for (const password of made) expect(password).toMatch(/^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$/);
    expect(new Set(made).size).toBe(made.length);
  });
});
