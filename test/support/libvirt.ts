// Talking to libvirt-dbus directly, as something other than our service would.

import { randomUUID } from 'node:crypto';
import type { ServiceStack } from './stack.js';

export function libvirtCall(
  stack: ServiceStack,
  path: string,
  iface: string,
  member: string,
  signature = '',
  body: unknown[] = [],
): Promise<unknown[]> {
  return stack.client.call('org.libvirt', path, iface, member, signature, body);
}

export interface GuestSpec {
  osId?: string;
  vcpus?: number;
  memoryMiB?: number;
  connectPath?: string;
  /** What goes inside <devices> (a display and video device, say). */
  devices?: string;
}

/** Defines a guest for the test driver; returns its UUID. */
export async function defineTestGuest(stack: ServiceStack, name: string, spec: GuestSpec = {}): Promise<string> {
  const uuid = randomUUID();
  const metadata = spec.osId
    ? `<metadata><libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0"><libosinfo:os id="${spec.osId}"/></libosinfo:libosinfo></metadata>`
    : '';
  const xml = `<domain type='test'><name>${name}</name><uuid>${uuid}</uuid>${metadata}
    <memory unit='MiB'>${spec.memoryMiB ?? 256}</memory><vcpu>${spec.vcpus ?? 1}</vcpu>
    <os><type arch='i686'>hvm</type></os>${spec.devices ? `<devices>${spec.devices}</devices>` : ''}</domain>`;
  await libvirtCall(stack, spec.connectPath ?? '/org/libvirt/Test', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
    xml,
  ]);
  return uuid;
}

/** libvirt-dbus's object for a domain, by name. */
export async function libvirtDomainPath(
  stack: ServiceStack,
  name: string,
  connectPath = '/org/libvirt/Test',
): Promise<string> {
  const [path] = await libvirtCall(stack, connectPath, 'org.libvirt.Connect', 'DomainLookupByName', 's', [name]);
  return path as string;
}

/**
 * The CPU time a running domain's vCPUs have had, s (vcpu.N.time, which
 * libvirt reads from /proc for each vCPU thread); libvirt's cpu.time (from
 * cgroups) where it gives no vCPU times.
 */
export async function domainCpuSeconds(stack: ServiceStack, domainPath: string): Promise<number> {
  const CPU_TOTAL = 2;
  const VCPU = 8;
  const [stats] = (await libvirtCall(stack, domainPath, 'org.libvirt.Domain', 'GetStats', 'uu', [
    CPU_TOTAL | VCPU,
    0,
  ])) as [Record<string, { value: unknown }>];
  const ns = (key: string): number | undefined => {
    const value = stats[key]?.value;
    return typeof value === 'bigint' || typeof value === 'number' ? Number(value) : undefined;
  };
  const vcpus = Object.keys(stats).filter((key) => /^vcpu\.\d+\.time$/.test(key));
  if (vcpus.length > 0) return vcpus.reduce((sum, key) => sum + (ns(key) ?? 0), 0) / 1e9;
  const total = ns('cpu.time');
  if (total === undefined) throw new Error('libvirt gives no CPU time for the guest');
  return total / 1e9;
}

/** Our element in a domain's metadata, as libvirt gives it back. */
export async function switcherMetadata(stack: ServiceStack, name: string): Promise<string> {
  const path = await libvirtDomainPath(stack, name);
  const [metadata] = await libvirtCall(stack, path, 'org.libvirt.Domain', 'GetMetadata', 'isu', [
    2,
    'https://phyllo.me/xmlns/switcher/1',
    0,
  ]);
  return metadata as string;
}

/**
 * A tiny diskless guest QEMU can run under software emulation: 64 MiB, q35,
 * with a VNC or SPICE display and virtio video (for viewers), an xHCI
 * controller (for USB), and a seat in our metadata.
 */
export function tinyQemuGuestXml(
  name: string,
  devices: { display?: boolean | 'spice'; usb?: boolean; seat?: string } = {},
): string {
  // SPICE with no listener, as Phyllome's model has it: only libvirt hands it out (OpenGraphicsFD).
  const graphics =
    devices.display === 'spice'
      ? "<graphics type='spice'><listen type='none'/></graphics>"
      : devices.display
        ? "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>"
        : '';
  const metadata = devices.seat
    ? `<metadata><phyllome:switcher xmlns:phyllome="https://phyllo.me/xmlns/switcher/1"><phyllome:seat id="${devices.seat}"/></phyllome:switcher></metadata>`
    : '';
  return `<domain type='qemu'>
  <name>${name}</name>
  ${metadata}
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    ${devices.usb ? "<controller type='usb' model='qemu-xhci'/>" : ''}
    ${graphics}
    <video><model type='virtio'/></video>
  </devices>
</domain>`;
}

/** libvirt's own autostart flag of a domain, by name. */
export async function libvirtAutostart(
  stack: ServiceStack,
  name: string,
  connectPath = '/org/libvirt/Test',
): Promise<boolean> {
  const path = await libvirtDomainPath(stack, name, connectPath);
  const [value] = (await libvirtCall(stack, path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [
    'org.libvirt.Domain',
    'Autostart',
  ])) as [{ value: unknown }];
  return value.value === true;
}

/** virDomainState as libvirt reports it (1 running, 3 paused, 5 shut off…). */
export async function libvirtState(
  stack: ServiceStack,
  name: string,
  connectPath = '/org/libvirt/Test',
): Promise<number> {
  const path = await libvirtDomainPath(stack, name, connectPath);
  const [[state]] = (await libvirtCall(stack, path, 'org.libvirt.Domain', 'GetState', 'u', [0])) as [[number, number]];
  return state;
}

/**
 * Asks libvirtd for every running domain's CPU statistics once: the first
 * such call after libvirtd starts takes it seconds here (its own set-up), and
 * a test of what the service reads should not time that.
 */
export async function warmUpDomainStats(stack: ServiceStack, connectPath = '/org/libvirt/QEMU'): Promise<void> {
  await stack.client.call('org.libvirt', connectPath, 'org.libvirt.Connect', 'GetAllDomainStats', 'uu', [2, 1], 30_000);
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A definition's <nvram> naming `path` (and `template`, when given), as each
 * libvirt writes it: 9.0 as it was defined (<nvram>PATH</nvram>); 9.2 and
 * later (Debian 13's 11), which resolve a UEFI guest's firmware when it is
 * defined, add the template and the formats (template='…'
 * templateFormat='raw' format='raw').
 */
export function nvramElement(path: string, template?: string): RegExp {
  const first = template === undefined ? '' : ` template='${escapeRegExp(template)}'`;
  return new RegExp(`<nvram${first}(?: [^>]*)?>${escapeRegExp(path)}</nvram>`);
}
