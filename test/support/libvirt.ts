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
}

/** Defines a guest for the test driver; returns its UUID. */
export async function defineTestGuest(stack: ServiceStack, name: string, spec: GuestSpec = {}): Promise<string> {
  const uuid = randomUUID();
  const metadata = spec.osId
    ? `<metadata><libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0"><libosinfo:os id="${spec.osId}"/></libosinfo:libosinfo></metadata>`
    : '';
  const xml = `<domain type='test'><name>${name}</name><uuid>${uuid}</uuid>${metadata}
    <memory unit='MiB'>${spec.memoryMiB ?? 256}</memory><vcpu>${spec.vcpus ?? 1}</vcpu>
    <os><type arch='i686'>hvm</type></os></domain>`;
  await libvirtCall(stack, spec.connectPath ?? '/org/libvirt/Test', 'org.libvirt.Connect', 'DomainDefineXML', 's', [
    xml,
  ]);
  return uuid;
}
