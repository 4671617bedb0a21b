// The certificate shares present to the other computer: made once for this
// host (a key of its own, self-signed, naming the addresses shares listen
// on) and kept in the service's state folder, DIR/sharing/, which is the
// service's alone (0700; the key 0600). The other computer trusts it as
// its own authority (the connection file's ca) or by its fingerprint, which
// the owner is shown. Made again when missing, unreadable, not covering the
// addresses, or near its end. openssl (every host has it) signs it; Node
// cannot make certificates.

import { execFile } from 'node:child_process';
import { generateKeyPair, X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { errorMessage, SwitcherError } from '../errors.js';
import { log } from '../log.js';

export interface HostCertificate {
  /** PEM. */
  certificate: string;
  /** PEM (PKCS #8), for the TLS listener only. */
  key: string;
  /** SHA-256 of the certificate, as AB:CD:… (what `openssl x509 -fingerprint -sha256` shows). */
  fingerprint: string;
  /** Its subject, e.g. CN=host (spice-gtk's host-subject). */
  subject: string;
}

const CERTIFICATE = 'host-certificate.pem';
const KEY = 'host-key.pem';
const DAYS = 825;
/** Made anew this long before it ends, so no share runs into its end. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;
const OPENSSL_TIMEOUT_MS = 10_000;

const run = promisify(execFile);
const ownUid = (): number => process.geteuid?.() ?? 0;

/** A host name as a certificate's CN and openssl's configuration can hold it. */
export function commonName(hostname: string): string {
  const name = hostname.replace(/[^A-Za-z0-9.-]/g, '').slice(0, 63);
  return name || 'phyllome-switcher';
}

/** The certificate in `dir` if it is sound for `addresses`; undefined when one must be made. */
async function existing(dir: string, addresses: string[], now: number): Promise<HostCertificate | undefined> {
  try {
    for (const file of [CERTIFICATE, KEY]) {
      const stats = await lstat(join(dir, file));
      if (!stats.isFile() || stats.uid !== ownUid() || (file === KEY && (stats.mode & 0o077) !== 0)) return undefined;
    }
    const [certificate, key] = await Promise.all([
      readFile(join(dir, CERTIFICATE), 'utf8'),
      readFile(join(dir, KEY), 'utf8'),
    ]);
    const parsed = new X509Certificate(certificate);
    const sound =
      Date.parse(parsed.validTo) - now > RENEW_BEFORE_MS &&
      addresses.every((address) => parsed.checkIP(address) !== undefined) &&
      parsed.checkPrivateKey(createPrivateKey(key));
    return sound
      ? { certificate, key, fingerprint: parsed.fingerprint256, subject: parsed.subject.replace(/\n/g, ',') }
      : undefined;
  } catch {
    return undefined;
  }
}

/** openssl's configuration for the certificate: self-signed, its own authority, naming the addresses. */
function opensslConfig(name: string, addresses: string[]): string {
  const altNames = [...addresses.filter((a) => isIP(a) !== 0).map((a) => `IP:${a}`), `DNS:${name}`];
  return [
    '[req]',
    'distinguished_name = dn',
    'x509_extensions = ext',
    'prompt = no',
    '[dn]',
    `CN = ${name}`,
    '[ext]',
    'basicConstraints = critical,CA:TRUE',
    'keyUsage = critical,digitalSignature,keyCertSign',
    `subjectAltName = ${altNames.join(',')}`,
    'subjectKeyIdentifier = hash',
    '',
  ].join('\n');
}

async function make(dir: string, addresses: string[], name: string): Promise<void> {
  const pair = await promisify(generateKeyPair)('ec', { namedCurve: 'P-256' });
  const key = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const [newKey, newCertificate, config] = [`${KEY}.new`, `${CERTIFICATE}.new`, 'host-certificate.cnf'].map((f) =>
    join(dir, f),
  ) as [string, string, string];
  try {
    // The folder is the service's alone: nobody else can have put anything at these names.
    await writeFile(newKey, key, { mode: 0o600 });
    await chmod(newKey, 0o600);
    await writeFile(config, opensslConfig(name, addresses), { mode: 0o600 });
    await run(
      'openssl',
      ['req', '-new', '-x509', '-config', config, '-key', newKey, '-out', newCertificate, '-days', String(DAYS)],
      { timeout: OPENSSL_TIMEOUT_MS },
    );
    await rename(newKey, join(dir, KEY));
    await rename(newCertificate, join(dir, CERTIFICATE));
  } finally {
    await Promise.all([newKey, newCertificate, config].map((f) => rm(f, { force: true })));
  }
}

/**
 * The host's certificate for shares on `addresses`, from `dir` (made if
 * missing, mode 0700) or made anew there. ViewerFailed when it cannot be.
 */
export async function hostCertificate(
  dir: string,
  addresses: string[],
  now: number,
  hostname: string = osHostname(),
): Promise<HostCertificate> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const own = await lstat(dir);
    if (!own.isDirectory() || own.uid !== ownUid()) throw new Error(`${dir} is not a folder of the service's`);
    await chmod(dir, 0o700);
    const found = await existing(dir, addresses, now);
    if (found) return found;
    await make(dir, addresses, commonName(hostname));
    const made = await existing(dir, addresses, now);
    if (!made) throw new Error('openssl made a certificate that does not fit');
    log.info(`made the host's certificate for shares on ${addresses.join(', ')}: SHA-256 ${made.fingerprint}`);
    return made;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && (error as { path?: string }).path === 'openssl')
      throw new SwitcherError(
        'MissingHostFeature',
        'Sharing needs openssl to make the host’s certificate: install openssl',
      );
    throw new SwitcherError(
      'ViewerFailed',
      `The host's certificate for sharing could not be made: ${errorMessage(error)}`,
    );
  }
}
