// A bundle's manifest (service/bundle/manifest.ts) as another host or an
// attacker may write it: each field checked, each refusal the sentence the
// caller reads, and what is accepted exactly what the import goes on with.

import { describe, expect, it } from 'vitest';
import {
  buildManifest,
  bundleName,
  isSafeRelativePath,
  MANIFEST_NAME,
  MAX_SMALL_FILE,
  parseManifest,
} from '../../service/bundle/manifest.js';

const HEX = 'a'.repeat(64);
const UUID = '6f8bef35-03be-4c19-a000-5286631e70c5';

/** A manifest as an exported bundle holds it, written out by hand: the format as documented. */
function written(): Record<string, unknown> {
  return {
    format: 'me.phyllo.Switcher1.bundle',
    version: 1,
    guest: { name: 'win11', uuid: UUID, autostart: true },
    created: '2026-01-02T03:04:05.000Z',
    checksum: 'sha256-4MiB-blocks',
    files: [
      { path: 'domain.xml', role: 'definition', size: 10, checksum: HEX },
      { path: 'disks/vda.raw', role: 'disk', size: 0, checksum: HEX, target: 'vda', format: 'raw' },
      { path: 'nvram/VARS.fd', role: 'nvram', size: 540672, checksum: HEX },
      { path: 'tpm/tpm2/tpm2-00.permall', role: 'tpm', size: 6092, checksum: HEX },
    ],
  };
}

type Json = Record<string, unknown>;
const guestOf = (m: Json): Json => m.guest as Json;
const filesOf = (m: Json): Json[] => m.files as Json[];
const disk = (m: Json): Json => filesOf(m)[1] as Json;

/** The refusal a manifest changed by `change` gets, or 'accepted'. */
function verdict(change: (m: Json) => void): string {
  const m = written();
  change(m);
  try {
    parseManifest(JSON.stringify(m));
    return 'accepted';
  } catch (error) {
    return (error as Error).message.replace(/^The bundle is damaged or not ours: /, '');
  }
}

describe('a manifest as the format documents it', () => {
  it('is read field for field', () => {
    expect(parseManifest(JSON.stringify(written()))).toStrictEqual({
      format: 'me.phyllo.Switcher1.bundle',
      version: 1,
      guest: { name: 'win11', uuid: UUID, autostart: true },
      created: '2026-01-02T03:04:05.000Z',
      checksum: 'sha256-4MiB-blocks',
      files: [
        { path: 'domain.xml', role: 'definition', size: 10, checksum: HEX },
        { path: 'disks/vda.raw', role: 'disk', size: 0, checksum: HEX, target: 'vda', format: 'raw' },
        { path: 'nvram/VARS.fd', role: 'nvram', size: 540672, checksum: HEX },
        { path: 'tpm/tpm2/tpm2-00.permall', role: 'tpm', size: 6092, checksum: HEX },
      ],
    });
  });

  it('is what an export writes: the format, its version and the checksums named', () => {
    const files = parseManifest(JSON.stringify(written())).files;
    const made = buildManifest({ name: 'win11', uuid: UUID, autostart: true }, files, new Date('2026-01-02T03:04:05Z'));
    expect(made).toStrictEqual(parseManifest(JSON.stringify(written())));
    expect(MANIFEST_NAME).toBe('manifest.json');
    // A manifest or definition larger than this is refused unread.
    expect(MAX_SMALL_FILE).toBe(1048576);
  });

  it('says whether the guest starts with the host: only a true autostart does', () => {
    const autostart = (value: unknown): unknown =>
      parseManifest(JSON.stringify({ ...written(), guest: { name: 'g', uuid: UUID, autostart: value } })).guest
        .autostart;
    expect([autostart(true), autostart(false), autostart(undefined)]).toEqual([true, false, false]);
    const build = (value?: boolean): unknown =>
      buildManifest({ name: 'g', uuid: UUID, ...(value === undefined ? {} : { autostart: value }) }, [], new Date(0))
        .guest.autostart;
    expect([build(true), build(false), build()]).toEqual([true, false, false]);
  });

  it('marks a disk flattened only when it says true, and leaves the mark out otherwise', () => {
    const diskRead = (flattened: unknown): Json => {
      const m = written();
      disk(m).flattened = flattened;
      return parseManifest(JSON.stringify(m)).files[1] as unknown as Json;
    };
    expect(diskRead(true).flattened).toBe(true);
    expect(diskRead(false)).not.toHaveProperty('flattened');
    expect(diskRead(undefined)).not.toHaveProperty('flattened');
  });

  it('takes a name of 1024 characters, a disk of 0 bytes, and disks of different devices', () => {
    expect(verdict((m) => (guestOf(m).name = 'n'.repeat(1024)))).toBe('accepted');
    expect(verdict((m) => filesOf(m).push({ ...disk(m), path: 'disks/vdb.raw', target: 'vdb' }))).toBe('accepted');
    expect(verdict((m) => (disk(m).path = 'a/b/c/d/e/f/g/vda.raw'))).toBe('accepted');
  });
});

describe('a manifest refused, saying what is wrong', () => {
  it('when it is not JSON, or not an object', () => {
    expect(() => parseManifest('{"format": "me.phyllo')).toThrow(
      'The bundle is damaged: its manifest is not complete JSON',
    );
    for (const text of ['[]', 'null', '"manifest"', '42'])
      expect(() => parseManifest(text), text).toThrow('The bundle is damaged or not ours: the manifest is missing');
  });

  it('when it is not of our format, version or checksums', () => {
    expect(verdict((m) => (m.format = 'org.example.bundle'))).toBe('format is not me.phyllo.Switcher1.bundle');
    expect(verdict((m) => (m.version = 2))).toBe('version 2 is not 1');
    expect(verdict((m) => (m.checksum = 'md5'))).toBe('checksums are not sha256-4MiB-blocks');
  });

  it('for its guest: missing, unnamed, without a UUID, or with an autostart that is not a boolean', () => {
    expect(verdict((m) => delete m.guest)).toBe('the guest is missing');
    expect(verdict((m) => (m.guest = ['win11']))).toBe('the guest is missing');
    for (const name of [undefined, 7, '', 'n'.repeat(1025)])
      expect(verdict((m) => (guestOf(m).name = name))).toBe('no guest name');
    // A UUID is the string itself: not something that reads as one, nor one with more around it.
    for (const uuid of [undefined, [UUID], `x${UUID}`, `${UUID}0`, UUID.toUpperCase()])
      expect(verdict((m) => (guestOf(m).uuid = uuid))).toBe('no guest UUID');
    expect(verdict((m) => (guestOf(m).autostart = 'yes'))).toBe('autostart is not true or false');
  });

  it('without a creation time or a file list', () => {
    expect(verdict((m) => (m.created = 1767323045))).toBe('no creation time');
    expect(verdict((m) => (m.files = { 'domain.xml': {} }))).toBe('no file list');
  });

  it('for a file that is no object, or whose path, role, size or checksum is off', () => {
    expect(verdict((m) => (m.files as unknown[]).push('domain.xml'))).toBe('file 4 is missing');
    for (const path of [['disks', 'vda.raw'], 7, '../vda.raw', 'a/b/c/d/e/f/g/h/vda.raw'])
      expect(verdict((m) => (disk(m).path = path))).toBe('file 1 has an unsafe path');
    expect(verdict((m) => (disk(m).path = 'domain.xml'))).toBe('domain.xml is listed twice');
    expect(verdict((m) => (disk(m).role = 'kernel'))).toBe('disks/vda.raw has no known role');
    for (const size of ['10', -1, 1.5, 2 ** 53])
      expect(verdict((m) => (disk(m).size = size))).toBe('disks/vda.raw has no size');
    for (const checksum of [[HEX], `x${HEX.slice(1)}`, `${HEX}0`, `0${HEX}`, HEX.toUpperCase()])
      expect(verdict((m) => (disk(m).checksum = checksum))).toBe('disks/vda.raw has no checksum');
  });

  it('for a disk whose device, format or flattened mark is off', () => {
    for (const target of [['vda'], '1vda', 'vda/', 'v', undefined])
      expect(verdict((m) => (disk(m).target = target))).toBe('disks/vda.raw names no disk device');
    for (const format of [['raw'], '-raw', 'raw-', 'r', undefined])
      expect(verdict((m) => (disk(m).format = format))).toBe('disks/vda.raw names no image format');
    expect(verdict((m) => (disk(m).flattened = 'yes'))).toBe('disks/vda.raw: flattened is not true or false');
  });

  it('when the definition is not one file named domain.xml, or two files claim one role', () => {
    const oneDefinition = 'there must be exactly one definition, domain.xml';
    expect(verdict((m) => filesOf(m).splice(0, 1))).toBe(oneDefinition);
    expect(verdict((m) => filesOf(m).push({ ...filesOf(m)[0], path: 'other.xml' }))).toBe(oneDefinition);
    // The definition elsewhere, and domain.xml holding something else.
    expect(
      verdict((m) => {
        (filesOf(m)[0] as Json).path = 'other.xml';
        (filesOf(m)[3] as Json).path = 'domain.xml';
      }),
    ).toBe(oneDefinition);
    expect(verdict((m) => ((filesOf(m)[0] as Json).path = 'other.xml'))).toBe(oneDefinition);
    expect(verdict((m) => filesOf(m).push({ ...filesOf(m)[2], path: 'nvram/B.fd' }))).toBe(
      'there is more than one UEFI variables file',
    );
    expect(verdict((m) => filesOf(m).push({ ...disk(m), path: 'disks/vdb.raw' }))).toBe(
      'two disks have the same device',
    );
  });
});

describe("a bundle's paths and name", () => {
  it('go at most eight folders deep, in plain segments', () => {
    expect(isSafeRelativePath('a/b/c/d/e/f/g/h')).toBe(true);
    expect(isSafeRelativePath('a/b/c/d/e/f/g/h/i')).toBe(false);
    expect(isSafeRelativePath('disk+1_a-b.raw')).toBe(true);
    for (const bad of ['a b', 'a/b\n', 'é', `${'a'.repeat(129)}`]) expect(isSafeRelativePath(bad), bad).toBe(false);
  });

  it('name a bundle after its guest: unsafe runs as one _, no leading dot or dash, 100 characters at most', () => {
    expect(bundleName('Windows 11 (work)')).toBe('Windows_11_work_.phyllome');
    expect(bundleName('..-.hidden')).toBe('hidden.phyllome');
    expect(bundleName('ü')).toBe('guest.phyllome');
    expect(bundleName('g'.repeat(150))).toBe(`${'g'.repeat(100)}.phyllome`);
  });
});
