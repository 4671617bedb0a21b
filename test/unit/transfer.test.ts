import { hostname, networkInterfaces } from 'node:os';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlockChecksum, CHECKSUM_BLOCK, checksumOf } from '../../service/copy/block-checksum.js';
import { parseDataMap } from '../../service/copy/data-map.js';
import { dataPerUnit, nonZeroRuns } from '../../service/copy/sparse-copy.js';
import {
  buildManifest,
  bundleName,
  isSafeRelativePath,
  parseManifest,
  serializeManifest,
  type BundleFile,
} from '../../service/bundle/manifest.js';
import { isPrivilegedUri, libvirtStateDirs } from '../../service/libvirt/state-dirs.js';
import {
  migrationFlags,
  migrationParams,
  parseMigrationOptions,
  validateTargetUri,
  refuseTargetResolvingHere,
} from '../../service/transfer/migrate-guest.js';
import { fileError } from '../../service/transfer/transfer-context.js';

const sha = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

/** The scheme written out the slow, obvious way. */
function reference(content: Buffer): string {
  const outer = createHash('sha256');
  for (let offset = 0; offset < content.length; offset += CHECKSUM_BLOCK) {
    outer.update(sha(content.subarray(offset, offset + CHECKSUM_BLOCK)));
  }
  return outer.digest('hex');
}

describe('the block checksum', () => {
  it('is SHA-256 over the SHA-256 of each 4 MiB block, however the content is given', () => {
    const size = 2 * CHECKSUM_BLOCK + 12345;
    const content = Buffer.alloc(size);
    content.fill(7, CHECKSUM_BLOCK + 10, CHECKSUM_BLOCK + 5000); // block 1 has data, 0 and 2 are zeros
    const pieces = new BlockChecksum(size);
    pieces.addHole(0);
    pieces.addData(content.subarray(CHECKSUM_BLOCK, CHECKSUM_BLOCK + 1000));
    pieces.addZeros(0);
    pieces.addData(content.subarray(CHECKSUM_BLOCK + 1000, 2 * CHECKSUM_BLOCK));
    pieces.addZeros(12345);
    expect(pieces.digest()).toBe(reference(content));
    expect(checksumOf(content)).toBe(reference(content));
    expect(checksumOf(Buffer.alloc(0))).toBe(sha(Buffer.alloc(0)).toString('hex'));
  });

  it('refuses blocks out of order or a file given short', () => {
    const checksum = new BlockChecksum(CHECKSUM_BLOCK * 2);
    expect(() => checksum.addHole(1)).toThrow(/out of order/);
    checksum.addHole(0);
    expect(() => checksum.digest()).toThrow(/was given/);
    expect(() => checksum.addData(Buffer.alloc(CHECKSUM_BLOCK + 1))).toThrow(/more than/);
  });

  it('changes when one byte of a disk flips', () => {
    const content = Buffer.alloc(5 * 1024 * 1024, 1);
    const before = checksumOf(content);
    content[4_000_000] = 2;
    expect(checksumOf(content)).not.toBe(before);
  });
});

describe('data maps and zero runs', () => {
  it('reads qemu-img’s map and refuses anything out of order or short of the end', () => {
    const map = (...entries: [number, number, boolean][]): string =>
      JSON.stringify(entries.map(([start, length, data]) => ({ start, length, data, zero: !data })));
    expect(parseDataMap(map([0, 4096, true], [4096, 4096, false], [8192, 1808, true]), 10_000)).toEqual([
      { offset: 0, length: 4096 },
      { offset: 8192, length: 1808 },
    ]);
    // Adjacent data joined; the last sector cut at the file's end.
    expect(parseDataMap(map([0, 512, true], [512, 512, true]), 700)).toEqual([{ offset: 0, length: 700 }]);
    expect(parseDataMap('[]', 0)).toEqual([]);
    expect(() => parseDataMap(map([100, 10, true], [0, 10, true]), 1000)).toThrow(/order/);
    expect(() => parseDataMap(map([0, 100, true]), 1000)).toThrow(/before the file's end/);
    expect(() => parseDataMap('[{"start": "0 but true", "length": 4096, "data": true}]', 10_000)).toThrow(/unexpected/);
  });

  it('counts data per stretch of the file', () => {
    expect(dataPerUnit(10, [{ offset: 2, length: 5 }], 4)).toEqual([2, 3, 0]);
    expect(dataPerUnit(0, [], 4)).toEqual([]);
  });

  it('writes only the non-zero runs of a piece, down to 4 KiB pages at their ends', () => {
    const unit = 64 * 1024;
    const data = Buffer.alloc(5 * unit);
    data[unit + 1] = 1;
    data[2 * unit] = 1;
    data[5 * unit - 1] = 1;
    // Trimmed to the pages that hold data.
    expect(nonZeroRuns(data)).toEqual([
      [unit, 2 * unit + 4096],
      [5 * unit - 4096, 5 * unit],
    ]);
    expect(nonZeroRuns(Buffer.alloc(unit))).toEqual([]);
    expect(nonZeroRuns(Buffer.from([0, 0, 3]))).toEqual([[0, 3]]);
  });
});

describe('the manifest', () => {
  const hex = 'a'.repeat(64);
  const files: BundleFile[] = [
    { path: 'domain.xml', role: 'definition', size: 10, checksum: hex },
    { path: 'disks/vda.raw', role: 'disk', size: 1 << 30, checksum: hex, target: 'vda', format: 'raw' },
    { path: 'nvram/VARS.fd', role: 'nvram', size: 540672, checksum: hex },
    { path: 'tpm/tpm2/tpm2-00.permall', role: 'tpm', size: 6092, checksum: hex },
  ];
  const guest = { name: 'win11', uuid: '6f8bef35-03be-4c19-a000-5286631e70c5' };

  it('round-trips', () => {
    const manifest = buildManifest(guest, files, new Date('2026-01-02T03:04:05Z'));
    expect(parseManifest(serializeManifest(manifest))).toEqual(manifest);
  });

  it('refuses what is truncated, not ours, unsafe or inconsistent, saying what', () => {
    const text = serializeManifest(buildManifest(guest, files, new Date()));
    const edited = (change: (m: Record<string, unknown>) => void): string => {
      const m = JSON.parse(text) as Record<string, unknown>;
      change(m);
      return JSON.stringify(m);
    };
    const fileList = (m: Record<string, unknown>): Record<string, unknown>[] => m.files as Record<string, unknown>[];
    const cases: [string, RegExp][] = [
      [text.slice(0, text.length / 2), /not complete JSON/],
      [edited((m) => (m.format = 'something.else')), /format/],
      [edited((m) => (m.version = 2)), /version 2/],
      [edited((m) => ((m.guest as Record<string, unknown>).uuid = 'x')), /UUID/],
      [edited((m) => ((fileList(m)[1] as Record<string, unknown>).path = '../../etc/passwd')), /unsafe path/],
      [edited((m) => ((fileList(m)[1] as Record<string, unknown>).path = '/etc/passwd')), /unsafe path/],
      [edited((m) => ((fileList(m)[1] as Record<string, unknown>).checksum = 'abc')), /no checksum/],
      [edited((m) => ((fileList(m)[1] as Record<string, unknown>).size = -1)), /no size/],
      [edited((m) => ((fileList(m)[1] as Record<string, unknown>).target = '../x')), /no disk device/],
      [edited((m) => fileList(m).push({ ...fileList(m)[1], path: 'disks/vdb.raw' })), /same device/],
      [edited((m) => fileList(m).splice(0, 1)), /exactly one definition/],
      [edited((m) => fileList(m).push(fileList(m)[2] as Record<string, unknown>)), /listed twice/],
      // Counted before any is read: the caller's list is as long as a 1 MiB file holds.
      [edited((m) => fileList(m).push(...Array.from({ length: 64 }, () => ({})))), /more than 64 files/],
    ];
    for (const [bad, why] of cases) expect(() => parseManifest(bad)).toThrow(why);
  });

  it('keeps bundle paths inside the bundle and names bundles safely', () => {
    expect(isSafeRelativePath('tpm/tpm1.2/tpm-00.permall')).toBe(true);
    for (const bad of ['', '.', '..', 'a/../b', '/a', 'a//b', '.lock', 'a/.hidden']) {
      expect([bad, isSafeRelativePath(bad)]).toEqual([bad, false]);
    }
    expect(bundleName('Windows 11 (work)')).toBe('Windows_11_work_.phyllome');
    expect(bundleName('../..')).toBe('guest.phyllome');
  });
});

describe('where libvirt keeps UEFI variables and TPM state', () => {
  it('follows the daemon: system for qemu:///system and for root, the user’s config otherwise', () => {
    expect(isPrivilegedUri('qemu:///system', 1000)).toBe(true);
    expect(isPrivilegedUri('qemu:///session', 1000)).toBe(false);
    expect(isPrivilegedUri('qemu:///session', 0)).toBe(true);
    expect(isPrivilegedUri('test:///default', 0)).toBe(false);
    expect(libvirtStateDirs(true)).toEqual({
      nvramDir: '/var/lib/libvirt/qemu/nvram',
      swtpmDir: '/var/lib/libvirt/swtpm',
    });
    expect(libvirtStateDirs(false, { HOME: '/home/ann' })).toEqual({
      nvramDir: '/home/ann/.config/libvirt/qemu/nvram',
      swtpmDir: '/home/ann/.config/libvirt/qemu/swtpm',
    });
    expect(libvirtStateDirs(false, { HOME: '/home/ann', XDG_CONFIG_HOME: '/cfg' }).nvramDir).toBe(
      '/cfg/libvirt/qemu/nvram',
    );
  });
});

describe('live move requests', () => {
  it('take another host’s QEMU libvirt URI only', () => {
    for (const good of [
      'qemu+ssh://host/system',
      'qemu+tcp://10.0.0.2/system',
      'qemu+unix:///system?socket=/run/other/libvirt-sock',
    ]) {
      expect(validateTargetUri(good, 'qemu:///system')).toBe(good);
    }
    for (const bad of ['qemu:///system', 'qemu:///session', 'test:///default', 'http://x/system', 'qemu+ssh://h/x']) {
      expect(() => validateTargetUri(bad, 'qemu:///system')).toThrow();
    }
  });

  // A fresh user's trial: each of these became a job on the host-wide service.
  it('take a host part that is a host name or an IP address, and from any caller another host only', () => {
    for (const uri of [
      'qemu+ssh://-oProxyCommand=x/system',
      'qemu+ssh://h%20-oProxyCommand=x/system',
      'qemu+ssh://h\x1b/system',
      'qemu+ssh://@h/system',
      'qemu+ssh://a@b@h/system',
      // A third trial: a line break in the host part was a TypeError (Internal), not InvalidArgument.
      'qemu+ssh://host\n/system',
      'qemu+ssh://\r/system',
      'qemu+ssh://user@\u2028/system',
    ]) {
      for (const trust of ['caller-is-owner', 'any-caller'] as const)
        expect(() => validateTargetUri(uri, 'qemu:///system', trust), uri).toThrow(/not a host name or an IP address/);
    }
    for (const uri of [
      'qemu+unix:///system',
      'qemu+tcp://127.0.0.1/system',
      'qemu+ssh://root@localhost:22/system',
      'qemu+tls://[::1]/system',
      // This host in other spellings (a second user's attack): every one a URL reads as this host.
      'qemu+tcp://127.1/system',
      'qemu+tcp://0/system',
      'qemu+tcp://0.0.0.0/system',
      'qemu+tcp://[::ffff:127.0.0.1]/system',
      'qemu+tcp://[::]/system',
      'qemu+tcp://[0:0:0:0:0:0:0:1]/system',
      'qemu+tcp://2130706433/system',
      'qemu+tcp://0x7f000001/system',
      'qemu+tcp://127.0.0.1./system',
      'qemu+ssh://LOCALHOST./system',
      'qemu+ssh://x.localhost/system',
      `qemu+ssh://${hostname()}/system`,
      `qemu+ssh://${hostname().toUpperCase()}./system`,
      // And by an address of one of its own network interfaces.
      ...Object.values(networkInterfaces())
        .flat()
        .filter((a) => a && !a.internal && a.family === 'IPv4')
        .map((a) => `qemu+tcp://${a?.address}/system`),
    ]) {
      expect(() => validateTargetUri(uri, 'qemu:///system', 'any-caller'), uri).toThrow(/is this host/);
      expect(validateTargetUri(uri, 'qemu:///system', 'caller-is-owner')).toBe(uri);
    }
    for (const uri of [
      'qemu+ssh://ann@other.example:2222/system',
      'qemu+tcp://[fe80::2]:16509/system',
      'qemu+tcp://10.0.0.99/system',
      'qemu+tcp://[::ffff:10.0.0.99]/system',
    ])
      expect(validateTargetUri(uri, 'qemu:///system', 'any-caller')).toBe(uri);
  });

  it('refuse, host-wide, a name this host resolves to itself: a hosts-file alias of 127.0.0.1, localhost6', async () => {
    const resolves = (addresses: string[]) => async () => addresses;
    const here = /is this host/;
    await expect(
      refuseTargetResolvingHere('qemu+ssh://runsc/system', 'any-caller', resolves(['127.0.0.1'])),
    ).rejects.toThrow(here);
    await expect(
      refuseTargetResolvingHere('qemu+ssh://u@localhost6:22/system', 'any-caller', resolves(['::1'])),
    ).rejects.toThrow(here);
    await expect(
      refuseTargetResolvingHere('qemu+ssh://other/system', 'any-caller', resolves(['10.0.0.9'])),
    ).resolves.toBeUndefined();
    // A name that does not resolve is libvirt's to fail; the per-user service's caller may name any host.
    await expect(
      refuseTargetResolvingHere('qemu+ssh://nowhere/system', 'any-caller', async () => {
        throw new Error('ENOTFOUND');
      }),
    ).resolves.toBeUndefined();
    await expect(
      refuseTargetResolvingHere('qemu+ssh://runsc/system', 'caller-is-owner', resolves(['127.0.0.1'])),
    ).resolves.toBeUndefined();
    // And through this host's own resolver: localhost is in every hosts file.
    await expect(refuseTargetResolvingHere('qemu+tcp://localhost/system', 'any-caller')).rejects.toThrow(here);
  });

  it('read their options strictly and map them onto libvirt’s flags and parameters', () => {
    const options = parseMigrationOptions({
      migrate_uri: { signature: 's', value: 'tcp://127.0.0.1' },
      bandwidth: { signature: 't', value: 100n },
    });
    expect(migrationParams(options)).toEqual({ migrate_uri: 'tcp://127.0.0.1', bandwidth: 100n });
    // live | p2p | persist | undefine source | abort on error | copy storage
    expect(migrationFlags(options)).toBe(1 | 2 | 8 | 16 | 4096 | 64);
    expect(migrationFlags(parseMigrationOptions({ shared_storage: { signature: 'b', value: true } }))).toBe(
      1 | 2 | 8 | 16 | 4096,
    );
    expect(() => parseMigrationOptions({ tunnelled: { signature: 'b', value: true } })).toThrow(/Unknown option/);
    expect(() => parseMigrationOptions({ bandwidth: { signature: 's', value: 'fast' } })).toThrow(/uint64/);
  });

  // The source libvirtd opens the target as root: a URI naming a program or file on this host ran it
  // as root for any caller of the host-wide service (a user's report: ?command=/tmp/evil.sh).
  it('take from any caller only network addresses, never a local program, file or socket', () => {
    const local = [
      'qemu+ssh://example.invalid/system?command=/tmp/evil.sh',
      'qemu+ssh://h/system?netcat=/tmp/nc',
      'qemu+ssh://h/system?keyfile=/root/.ssh/id_rsa',
      'qemu+tls://h/system?pkipath=/root',
      'qemu+ssh://h/system?known_hosts=/etc/shadow',
      'qemu+unix:///system?socket=/run/other/libvirt-sock',
      'qemu+ssh://h/system?no_verify=1&command=/bin/sh',
    ];
    for (const uri of local) {
      expect(() => validateTargetUri(uri, 'qemu:///system', 'any-caller'), uri).toThrow(/program or file on this host/);
      // The per-user service's caller is its own user, who may ask libvirt as much.
      expect(validateTargetUri(uri, 'qemu:///system', 'caller-is-owner')).toBe(uri);
    }
    for (const uri of ['qemu+ssh://h/system?no_verify=1&sshauth=agent,privkey', 'qemu+tls://h/system?no_tty=1'])
      expect(validateTargetUri(uri, 'qemu:///system', 'any-caller')).toBe(uri);
    for (const uri of [
      'qemu+ssh://h/system?evil=1',
      'qemu+ssh://h/system?no_verify=yes; rm',
      'qemu+ext:///system?command=/x',
    ])
      expect(() => validateTargetUri(uri, 'qemu:///system', 'caller-is-owner'), uri).toThrow(
        /not one MigrateTo takes|cannot be|not a libvirt URI/,
      );
    const data = (value: string) => ({ migrate_uri: { signature: 's', value } });
    expect(() => parseMigrationOptions(data('unix:///run/x.sock'), 'any-caller')).toThrow(/no local socket/);
    expect(parseMigrationOptions(data('unix:///run/x.sock'), 'caller-is-owner').migrateUri).toBe('unix:///run/x.sock');
    expect(parseMigrationOptions(data('tcp://[fe80::1]:49152'), 'any-caller').migrateUri).toBe('tcp://[fe80::1]:49152');
    expect(() => parseMigrationOptions(data('exec:/bin/sh'), 'any-caller')).toThrow(/tcp:\/\/HOST/);
    expect(() =>
      parseMigrationOptions({ listen_address: { signature: 's', value: '0.0.0.0; touch /x' } }, 'any-caller'),
    ).toThrow(/host name or an IP address/);
  });
});

describe('file errors', () => {
  it('reach the caller as typed errors naming the file', () => {
    const errno = (code: string): NodeJS.ErrnoException =>
      Object.assign(new Error(code), { code, path: '/var/lib/x.img' });
    expect(fileError(errno('EACCES'), 'read disk vda')).toMatchObject({
      kind: 'AccessDenied',
      message: 'Cannot read disk vda: permission denied on /var/lib/x.img',
    });
    expect(fileError(errno('ENOENT'), 'use /x').kind).toBe('NoSuchFile');
    expect(fileError(errno('ENOTDIR'), 'use /x/y').kind).toBe('NoSuchFile');
    expect(fileError(errno('ENOSPC'), 'export a').kind).toBe('InvalidState');
    expect(fileError(errno('EROFS'), 'export a')).toMatchObject({
      kind: 'InvalidState',
      message: 'Cannot export a: /var/lib/x.img is on a read-only file system',
    });
    expect(fileError(errno('EEXIST'), 'export a').kind).toBe('AlreadyExists');
    expect(fileError(errno('EIO'), 'export a').kind).toBe('Internal');
  });
});
