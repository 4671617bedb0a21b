import { describe, expect, it } from 'vitest';
import { validateGuestName, volumeName } from '../../service/create/guest-name.js';

describe('the name of a new guest (CreateGuest and Clone alike)', () => {
  it('is 1 to 63 letters, digits, spaces and . _ + -, starting with a letter or digit', () => {
    for (const good of ['W11', 'work copy', 'a', 'x'.repeat(63), 'debian-12.5_test+1', '9lives'])
      expect(validateGuestName(good)).toBe(good);
  });

  it('refuses anything else, saying the rule', () => {
    for (const bad of [
      '',
      '-x',
      '.hidden',
      ' x',
      'x ',
      'a/b',
      'a\nb',
      '../evil',
      'x'.repeat(64),
      'é',
      'a:b',
      'a\u202eb',
    ])
      expect(() => validateGuestName(bad)).toThrow(/^A guest name is 1 to 63 letters, digits, spaces and \. _ \+ -/);
  });
});

describe('the volumes we make for a guest', () => {
  it('are <guest>-<device>.<format>, then -2, -3… when taken', () => {
    expect(volumeName('W11', 'sda', 'raw')).toBe('W11-sda.raw');
    expect(volumeName('work copy', 'vda', 'raw')).toBe('work_copy-vda.raw');
    expect(volumeName('work copy', 'vdb', 'qcow2', 2)).toBe('work_copy-vdb-2.qcow2');
  });

  it('hold no character a file name had better not, whatever an older guest is called', () => {
    expect(volumeName('a/b:c é', 'vda', 'raw')).toBe('a_b_c_-vda.raw');
  });
});
