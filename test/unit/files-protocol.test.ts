// What the guest-files helper takes from the service: every line checked as
// hostile before anything is done. A guest is a canonical UUID, a file it
// makes is named from that UUID (volumes <uuid>-<device>.<format>, swtpm's
// own file names), a caller is uid and groups; nothing else gets through.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { guestVolumeName, parseEvent, parseRequest, TPM_STATE_FILE } from '../../service/guest-files/protocol.js';

const UUID = '0b6e4b0e-2f1c-4f55-9a4c-6c0c2d6f7e11';
const caller = { uid: 1000, gid: 1000, groups: [24, 27] };
const line = (value: Record<string, unknown>): string => JSON.stringify({ id: 7, ...value });

const importRequest = (files: Record<string, unknown>[], uuid = UUID): string =>
  line({ op: 'import', job: 'import-1', caller, uuid, bundle: '/home/ada/w.phyllome', uefi: true, files });

const disk = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  role: 'disk',
  bundlePath: 'disks/vda.raw',
  size: 1024,
  checksum: 'a'.repeat(64),
  target: 'vda',
  format: 'raw',
  pool: 'default',
  volume: `${UUID}-vda.raw`,
  ...overrides,
});

describe('a request to the helper', () => {
  it('is taken when every part is what it must be', () => {
    expect(parseRequest(importRequest([disk()])).request).toMatchObject({ op: 'import', uuid: UUID });
    expect(parseRequest(line({ op: 'cancel' }))).toEqual({ id: 7, control: { op: 'cancel' } });
    expect(
      parseRequest(
        line({
          op: 'export',
          job: 'e-1',
          caller,
          uuid: UUID,
          directory: '/home/ada',
          bundleName: 'w 11.phyllome'.replace(' ', '_'),
        }),
      ).request,
    ).toMatchObject({ op: 'export', bundleName: 'w_11.phyllome' });
  });

  it('names a guest by a canonical UUID only', () => {
    for (const uuid of [UUID.toUpperCase(), `../${UUID}`, `${UUID}/..`, '', 'x', `${UUID}\n`])
      expect(() => parseRequest(line({ op: 'inspect-guest', uuid }))).toThrow(/UUID/);
  });

  it("makes no file but the guest's own: volumes named from its UUID, swtpm's file names", () => {
    expect(() => parseRequest(importRequest([disk({ volume: 'win11-vda.raw' })]))).toThrow(/not the guest's/);
    expect(() => parseRequest(importRequest([disk({ volume: `../${UUID}-vda.raw` })]))).toThrow(/not the guest's/);
    expect(() => parseRequest(importRequest([disk({ format: 'vmdk', volume: `${UUID}-vda.vmdk` })]))).toThrow(
      /raw or qcow2/,
    );
    expect(() => parseRequest(importRequest([disk({ target: '../x' })]))).toThrow(/disk device/);
    const tpm = (tpmPath: string): Record<string, unknown> => ({
      role: 'tpm',
      bundlePath: `tpm/${tpmPath}`,
      size: 1,
      checksum: 'b'.repeat(64),
      tpmPath,
    });
    expect(parseRequest(importRequest([tpm('tpm2/tpm2-00.permall')])).request).toBeDefined();
    for (const bad of ['../../etc/cron.d/x', 'tpm2/../../x', '/etc/shadow', 'tpm2/tpm2-00.permall/x', 'tpm2/.lock'])
      expect(() => parseRequest(importRequest([tpm(bad)]))).toThrow(/swtpm/);
    expect(() => parseRequest(importRequest([tpm('tpm2/tpm2-00.permall'), tpm('tpm2/tpm2-00.permall')]))).toThrow(
      /twice/,
    );
  });

  it('takes a caller as numbers the kernel takes, and a path as a string without NUL', () => {
    const inspect = (who: unknown, path = '/x.iso'): string =>
      line({ op: 'inspect-media', caller: who, media: [{ path, what: 'installer' }], detect: true });
    for (const who of [
      { ...caller, uid: -1 },
      { ...caller, uid: 1.5 },
      { ...caller, uid: 0xffffffff },
      { ...caller, gid: '0' },
      { ...caller, groups: Array.from({ length: 2000 }, (_, i) => i) },
      null,
    ])
      expect(() => parseRequest(inspect(who))).toThrow();
    expect(() => parseRequest(inspect(caller, '/a\0b'))).toThrow(/path/);
    expect(() => parseRequest(inspect(caller, 'x'.repeat(5000)))).toThrow(/path/);
  });

  it('refuses what is no request: no id, an unknown operation, no JSON, a clone of itself', () => {
    expect(() => parseRequest('{"op":"inspect-guest"}')).toThrow(/id/);
    expect(() => parseRequest(line({ op: 'rm -rf' }))).toThrow(/unknown/);
    expect(() => parseRequest('not json')).toThrow(/JSON/);
    expect(() => parseRequest(line({ op: 'clone', job: 'c', source: UUID, uuid: UUID, disks: [] }))).toThrow(/itself/);
  });

  it('never takes a volume name that is not exactly the one the UUID gives (any string tried)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (volume) => {
        let taken = false;
        try {
          parseRequest(importRequest([disk({ volume })]));
          taken = true;
        } catch {
          taken = false;
        }
        return taken === (volume === guestVolumeName(UUID, 'vda', 'raw'));
      }),
    );
  });

  it("never takes a TPM file name that could leave the guest's folder (any string tried)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (name) => {
        if (!TPM_STATE_FILE.test(name)) return true;
        return !name.includes('..') && !name.startsWith('/') && name.split('/').length === 2;
      }),
    );
  });
});

describe('an event from the helper', () => {
  it('is read for its shape, an unknown error kind made Internal', () => {
    expect(parseEvent('{"id":3,"ev":"error","kind":"RootShell","message":"x"}')).toEqual({
      id: 3,
      ev: 'error',
      kind: 'Internal',
      message: 'x',
    });
    expect(parseEvent('{"id":3,"ev":"progress","bytes":10}')).toEqual({ id: 3, ev: 'progress', bytes: 10 });
    expect(() => parseEvent('{"id":3,"ev":"progress","bytes":-1}')).toThrow();
  });
});
