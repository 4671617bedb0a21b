import { describe, expect, it } from 'vitest';
import { count, readable } from '../../service/readable.js';

describe('readable text', () => {
  it('shows every control character, bidi mark and lone surrogate as an escape, and a backslash doubled', () => {
    expect(readable("No guest named or with UUID 'a\x01b\nc\x1b[31mred'", 1000)).toBe(
      "No guest named or with UUID 'a\\x01b\\nc\\x1b[31mred'",
    );
    expect(readable('tab\there\r\x7f\x85\u2028\u202eevil\u2066\ufeff', 1000)).toBe(
      'tab\\there\\r\\x7f\\x85\\u2028\\u202eevil\\u2066\\ufeff',
    );
    expect(readable('a\\nb', 1000)).toBe('a\\\\nb');
    expect(readable('lone \ud800 and \udc00', 1000)).toBe('lone \\ud800 and \\udc00');
    // Printable text of any script stays as it is.
    expect(readable('Gäste 客人 😀 — ok', 1000)).toBe('Gäste 客人 😀 — ok');
  });

  it('shortens a long text in the middle to at most its limit, keeping both ends', () => {
    const text = `The installer path must be absolute, not '${'x'.repeat(10_000_000)}'`;
    const shown = readable(text, 1000);
    expect(shown.length).toBeLessThanOrEqual(1000);
    expect(shown.length).toBeGreaterThan(990);
    expect(shown.startsWith("The installer path must be absolute, not 'xxx")).toBe(true);
    expect(shown.endsWith("xxx'")).toBe(true);
    expect(shown).toContain(' … ');
  });

  it('never cuts an escape or a surrogate pair in two', () => {
    for (let max = 10; max < 40; max++) {
      const escapes = readable('\x1b'.repeat(100), max);
      expect(escapes.length).toBeLessThanOrEqual(max);
      expect(escapes.replace(' … ', '')).toMatch(/^(\\x1b)*$/);
      const faces = readable('😀'.repeat(100), max);
      expect(faces.length).toBeLessThanOrEqual(max);
      expect(faces.replace(' … ', '')).toMatch(/^(😀)*$/u);
    }
  });

  it('leaves a text within its limit whole', () => {
    expect(readable('x'.repeat(1000), 1000)).toBe('x'.repeat(1000));
    expect(readable('x'.repeat(1001), 1000)).toHaveLength(1000);
  });
});

describe('counts', () => {
  it('say one thing, and several things', () => {
    expect(count(1, 'guest')).toBe('1 guest');
    expect(count(0, 'guest')).toBe('0 guests');
    expect(count(2, 'running guest')).toBe('2 running guests');
    expect(count(1n, 'byte')).toBe('1 byte');
    expect(count(3, 'operating system')).toBe('3 operating systems');
  });
});
