import { beforeAll, describe, expect, it } from 'vitest';
import { OsinfoDb } from '../../service/create/osinfo.js';

let db: OsinfoDb;

beforeAll(async () => {
  db = await OsinfoDb.load();
});

describe("libosinfo's database", () => {
  it('reads every OS of the osinfo-db package', () => {
    expect(db.size).toBeGreaterThan(500);
  });

  it('resolves Windows 11: its minimum, UEFI only, the winnt family and what it inherits from Windows 10', () => {
    const win11 = db.profile('http://microsoft.com/win/11');
    expect(win11).toMatchObject({
      name: 'Microsoft Windows 11',
      family: 'winnt',
      template: 'windows',
      minimum: { ramMiB: 4096, nCpus: 2, storageGiB: 64 },
      efi: true,
      efiOnly: true,
    });
    expect(win11?.derivesFrom('http://microsoft.com/win/10')).toBe(true);
  });

  it('knows which virtio devices a Linux drives, inherited from the releases before it', () => {
    const debian = db.profile('http://debian.org/debian/11');
    expect(debian).toMatchObject({ template: 'linux', virtio: { block: true, net: true, gpu: true } });
    expect(debian?.minimum.ramMiB).toBeGreaterThan(0);
    expect(debian?.recommended.storageGiB).toBeGreaterThan(0);
  });

  it('sends other systems to the other model', () => {
    expect(db.profile('http://freebsd.org/freebsd/13.0')?.template).toBe('other');
  });

  it('finds OSes by name, short id or id, sorted by name', () => {
    const found = db.search('debian 1');
    expect(found.map(([id]) => id)).toContain('http://debian.org/debian/11');
    expect(found.map(([, name]) => name)).toEqual(
      [...found.map(([, name]) => name)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
    );
    expect(db.search('win11').map(([id]) => id)).toEqual(['http://microsoft.com/win/11']);
    expect(db.profile('http://example.com/nothing')).toBeUndefined();
  });
});
