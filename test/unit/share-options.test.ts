// What one Share may ask for, and what its owner hands to the other computer.

import { describe, expect, it } from 'vitest';
import { Variant } from '@jellybrick/dbus-next';
import { connectionFile, spiceUri } from '../../service/sharing/connection-file.js';
import { parseShareOptions, type SharingSettings } from '../../service/sharing/share-options.js';

const SETTINGS: SharingSettings = { addresses: ['192.0.2.10', 'fd00::1'], firstPort: 6000, lastPort: 6009 };

describe("Share's options", () => {
  it('default to the first address, any free port, an hour', () => {
    expect(parseShareOptions({}, SETTINGS)).toEqual({ address: '192.0.2.10', port: undefined, durationSeconds: 3600 });
    expect(
      parseShareOptions(
        { address: new Variant('s', 'fd00::1'), port: new Variant('u', 6009), duration: new Variant('t', 60n) },
        SETTINGS,
      ),
    ).toEqual({ address: 'fd00::1', port: 6009, durationSeconds: 60 });
    expect(parseShareOptions({ port: new Variant('q', 0) }, SETTINGS).port).toBeUndefined();
  });

  it.each([
    [{ address: new Variant('s', '192.0.2.11') }, /may listen on 192.0.2.10, fd00::1 only/],
    [{ address: new Variant('u', 1) }, /address takes a string/],
    [{ port: new Variant('u', 5999) }, /from 6000 to 6009/],
    [{ port: new Variant('i', -1) }, /from 6000 to 6009/],
    [{ port: new Variant('s', '6000') }, /unsigned integer/],
    [{ duration: new Variant('u', 0) }, /1 to 604800 seconds/],
    [{ duration: new Variant('t', 604801n) }, /1 to 604800 seconds/],
    [{ password: new Variant('s', 'mine') }, /Unknown option 'password'/],
  ])('refuses %o', (options, why) => {
    expect(() => parseShareOptions(options, SETTINGS)).toThrow(why);
  });

  it("never says back more than a line of a caller's words", () => {
    const long = 'x'.repeat(1 << 20);
    for (const options of [{ [long]: new Variant('s', '') }, { address: new Variant('s', long) }]) {
      expect(() => parseShareOptions(options, SETTINGS)).toThrow(
        expect.objectContaining({ message: expect.stringMatching(/^.{1,200}$/) }),
      );
    }
  });
});

describe('the connection file', () => {
  const certificate = '-----BEGIN CERTIFICATE-----\nMIIB\nabc=\n-----END CERTIFICATE-----\n';

  it("is virt-viewer's, every channel over TLS with the host's certificate, its values escaped", () => {
    const text = connectionFile({
      address: '192.0.2.10',
      port: 6001,
      password: 'abcd-efgh-jkmn-pqrs',
      certificate,
      subject: 'CN=host',
      title: '100% win\\11\nX',
    });
    expect(text.split('\n')).toEqual([
      '[virt-viewer]',
      'type=spice',
      'host=192.0.2.10',
      'tls-port=6001',
      'password=abcd-efgh-jkmn-pqrs',
      'secure-channels=all',
      'ca=-----BEGIN CERTIFICATE-----\\nMIIB\\nabc=\\n-----END CERTIFICATE-----\\n',
      'host-subject=CN=host',
      'title=100 win\\\\11\\nX',
      'delete-this-file=1',
      '',
    ]);
  });

  it('names the share as a SPICE URI, IPv6 in brackets', () => {
    expect(spiceUri('192.0.2.10', 6001)).toBe('spice://192.0.2.10?tls-port=6001');
    expect(spiceUri('fd00::1', 6001)).toBe('spice://[fd00::1]?tls-port=6001');
  });
});
