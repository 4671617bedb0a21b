// What the owner of a share hands to the other computer: a connection file
// as virt-viewer reads it (remote-viewer FILE.vv: the [virt-viewer] group of
// a GKeyFile) with the address, TLS port, password, and the host's
// certificate to trust (ca, and host-subject, the certificate's subject)
// — or, for any other SPICE client, a spice:// URI, the password and the
// certificate's fingerprint to check. Pure.

export interface ConnectionDetails {
  address: string;
  port: number;
  password: string;
  /** The host's certificate (PEM), the one the share presents. */
  certificate: string;
  /** Its subject as spice-gtk compares it (host-subject), e.g. CN=host. */
  subject: string;
  /** The window's title on the other computer. */
  title: string;
}

/** A GKeyFile value: backslash, line ends and tabs escaped, a leading space kept (GKeyFile trims them). */
function keyFileValue(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(/^ /, '\\s');
}

/** spice://ADDRESS?tls-port=PORT (brackets around an IPv6 address): TLS on that port, and no other. */
export function spiceUri(address: string, port: number): string {
  return `spice://${address.includes(':') ? `[${address}]` : address}?tls-port=${port}`;
}

export function connectionFile(details: ConnectionDetails): string {
  const entries: [string, string][] = [
    ['type', 'spice'],
    ['host', details.address],
    ['tls-port', String(details.port)],
    ['password', details.password],
    // Every channel over TLS, the host's certificate the one to trust.
    ['secure-channels', 'all'],
    ['ca', details.certificate],
    ['host-subject', details.subject],
    // virt-viewer replaces %d in a title: a guest's name is shown as it is.
    ['title', details.title.replace(/%/g, '')],
    ['delete-this-file', '1'],
  ];
  return `[virt-viewer]\n${entries.map(([key, value]) => `${key}=${keyFileValue(value)}`).join('\n')}\n`;
}
