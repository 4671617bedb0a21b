import { describe, expect, it } from 'vitest';
import { canShare, fingerprintLines, SHARE_DURATIONS, shareCredential } from '../../extension/src/model/sharing.js';

describe('sharing in the menu', () => {
  it('offers Share… for a running SPICE guest, not yet shared, where the host allows it', () => {
    const guest = { state: 'running', display: 'spice', shared: false };
    expect(canShare(guest, true)).toBe(true);
    expect(canShare({ ...guest, state: 'paused' }, true)).toBe(true);
    expect(canShare(guest, false)).toBe(false);
    expect(canShare({ ...guest, shared: true }, true)).toBe(false);
    expect(canShare({ ...guest, state: 'shutoff' }, true)).toBe(false);
    expect(canShare({ ...guest, display: 'vnc' }, true)).toBe(false);
    expect(canShare({ ...guest, display: '' }, true)).toBe(false);
  });

  it('offers a quarter of an hour, an hour and four hours', () => {
    expect(SHARE_DURATIONS.map((d) => d.seconds)).toEqual([900, 3600, 14400]);
  });

  it("takes Share's answer only when it holds what another computer needs", () => {
    const answer = {
      address: '192.0.2.10',
      port: 5930,
      password: 'abcd-efgh-jkmn-pqrs',
      expires: 1_796_613_121,
      uri: 'spice://192.0.2.10?tls-port=5930',
      fingerprint: 'AB:CD',
      certificate: '-----BEGIN CERTIFICATE-----',
      'host-subject': 'CN=host',
      'connection-file': '[virt-viewer]\n',
    };
    expect(shareCredential(answer)).toEqual({
      address: '192.0.2.10',
      port: 5930,
      password: 'abcd-efgh-jkmn-pqrs',
      expires: 1_796_613_121,
      uri: 'spice://192.0.2.10?tls-port=5930',
      fingerprint: 'AB:CD',
      connectionFile: '[virt-viewer]\n',
    });
    expect(shareCredential({ ...answer, expires: 1_796_613_121n })?.expires).toBe(1_796_613_121);
    for (const missing of ['password', 'port', 'fingerprint', 'connection-file', 'address'])
      expect(shareCredential({ ...answer, [missing]: undefined })).toBeUndefined();
  });

  it('shows a fingerprint in two lines of 16 bytes', () => {
    const bytes = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase());
    expect(fingerprintLines(bytes.join(':'))).toBe(`${bytes.slice(0, 16).join(':')}\n${bytes.slice(16).join(':')}`);
  });
});
