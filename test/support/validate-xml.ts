// libvirt's own schema check of a domain definition (virt-xml-validate, which
// reads a file): written to a temporary folder that is removed again. The
// schema is that of the libvirt the tests run on.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** virt-xml-validate's exit status and what it printed (the file's path as FILE). */
export function validateDomainXml(xml: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'phyllome-xml-'));
  try {
    const file = join(dir, 'domain.xml');
    writeFileSync(file, xml);
    // On another release's libvirt (test/libvirt/run.sh), that release's schema: virt-xml-validate is
    // xmllint with /usr/share/libvirt/schemas/domain.rng, and libvirt 11 writes elements 9.0's lacks.
    const root = process.env.LIBVIRT_ROOT;
    const run = root
      ? spawnSync('xmllint', ['--noout', '--relaxng', join(root, 'usr/share/libvirt/schemas/domain.rng'), file], {
          encoding: 'utf8',
        })
      : spawnSync('virt-xml-validate', [file, 'domain'], { encoding: 'utf8' });
    return { status: run.status, output: `${run.stdout}${run.stderr}`.trim().replaceAll(file, 'FILE') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** '' when libvirt's schema takes the domain definition, else what virt-xml-validate said. */
export function domainXmlProblems(xml: string): string {
  const { status, output } = validateDomainXml(xml);
  return status === 0 ? '' : output;
}

/** A minimal domain holding these devices, as libvirt's schema checks them. */
export function validateDevicesXml(devicesXml: string): { status: number | null; output: string } {
  return validateDomainXml(
    `<domain type='kvm'><name>g</name><memory>65536</memory><os><type arch='x86_64'>hvm</type></os><devices>${devicesXml}</devices></domain>`,
  );
}
