// The host's certificate for shares, made by the real openssl in a folder of
// the test's, and used by a real TLS client trusting it as its authority.

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { lstatSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commonName, hostCertificate } from '../../service/sharing/host-certificate.js';

const work = mkdtempSync(join(tmpdir(), 'phyllome-certificate-'));
const dir = join(work, 'state', 'sharing');
const NOW = Date.now();

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A TLS handshake with the certificate, checked as spice-gtk checks it: the certificate as authority, its subject. */
async function handshake(certificate: string, key: string): Promise<string> {
  const server = createServer({ cert: certificate, key }, (socket) => socket.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    return await new Promise<string>((resolve, reject) => {
      const socket: TLSSocket = connect(
        {
          host: '127.0.0.1',
          port,
          ca: certificate,
          checkServerIdentity: (_host, peer) =>
            peer.subject.CN === 'myhost' ? undefined : new Error(`subject ${peer.subject.CN}`),
        },
        () => socket.once('data', (data) => resolve(data.toString())),
      );
      socket.once('error', reject);
    });
  } finally {
    server.close();
  }
}

describe("the host's certificate", () => {
  it('is made once, in a folder and a key file of the service’s alone, naming the addresses', async () => {
    const made = await hostCertificate(dir, ['127.0.0.1', 'fd00::1'], NOW, 'my host!');
    expect(made.subject).toBe('CN=myhost');
    expect(made.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
    expect(lstatSync(join(dir, 'host-key.pem')).mode & 0o777).toBe(0o600);
    expect(await handshake(made.certificate, made.key)).toBe('hello');
    const again = await hostCertificate(dir, ['127.0.0.1'], NOW, 'my host!');
    expect(again.fingerprint).toBe(made.fingerprint);
  });

  it('is made anew for an address it does not name, when its key is open to others, and near its end', async () => {
    const first = (await hostCertificate(dir, ['127.0.0.1'], NOW)).fingerprint;
    const wider = await hostCertificate(dir, ['127.0.0.1', '192.0.2.7'], NOW);
    expect(wider.fingerprint).not.toBe(first);
    chmodSync(join(dir, 'host-key.pem'), 0o644);
    const reKeyed = await hostCertificate(dir, ['127.0.0.1'], NOW);
    expect(reKeyed.fingerprint).not.toBe(wider.fingerprint);
    expect(lstatSync(join(dir, 'host-key.pem')).mode & 0o777).toBe(0o600);
    // One that ends in 20 days, as one made long ago would.
    execFileSync('openssl', [
      'req',
      '-new',
      '-x509',
      '-key',
      join(dir, 'host-key.pem'),
      '-out',
      join(dir, 'host-certificate.pem'),
      '-days',
      '20',
      '-subj',
      '/CN=old',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    const renewed = await hostCertificate(dir, ['127.0.0.1'], NOW);
    expect(renewed.subject).not.toBe('CN=old');
    expect(Date.parse(new X509Certificate(renewed.certificate).validTo)).toBeGreaterThan(NOW + 800 * 24 * 3600 * 1000);
  });

  it('names a host by what a certificate and openssl can hold', () => {
    expect(commonName('phyllome.example')).toBe('phyllome.example');
    expect(commonName('a\nCN = x, [ext]')).toBe('aCNxext');
    expect(commonName('///')).toBe('phyllome-switcher');
  });
});
