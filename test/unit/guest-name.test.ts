import { describe, expect, it } from 'vitest';
import { validateGuestName } from '../../service/create/guest-name.js';
import { guestVolumeName } from '../../service/guest-files/protocol.js';

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
  it('are named from its UUID, never from its name: <uuid>-<device or role>.<format>', () => {
    const uuid = '0b6e4b0e-2f1c-4f55-9a4c-6c0c2d6f7e11';
    expect(guestVolumeName(uuid, 'sda', 'raw')).toBe(`${uuid}-sda.raw`);
    expect(guestVolumeName(uuid, 'installer', 'iso')).toBe(`${uuid}-installer.iso`);
  });
});
