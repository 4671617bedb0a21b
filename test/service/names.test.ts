// Names exactly as libvirt keeps them: every name libvirt accepts comes out
// of our service byte for byte, and FindGuest finds each guest by it.

import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ServiceStack } from '../support/stack.js';
import { GUEST } from '../support/dbus-client.js';
import { libvirtCall } from '../support/libvirt.js';

let stack: ServiceStack;

beforeAll(async () => {
  stack = await ServiceStack.start();
  await stack.client.watch();
});
afterAll(async () => {
  await stack?.stop();
});

/** Text for XML: markup characters as entities, controls as character references (so libxml2 keeps them). */
// eslint-disable-next-line no-control-regex
const MARKUP_OR_CONTROL = /[&<>"']|[\u0000-\u001f]/g;
const xmlText = (text: string): string =>
  text.replace(
    MARKUP_OR_CONTROL,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? `&#${c.charCodeAt(0)};`,
  );

/** Defines a test-driver guest named `name`; resolves to its UUID, or undefined when libvirt refuses the name. */
async function define(name: string): Promise<string | undefined> {
  const uuid = randomUUID();
  const xml = `<domain type='test'><name>${xmlText(name)}</name><uuid>${uuid}</uuid>
    <memory unit='MiB'>16</memory><vcpu>1</vcpu><os><type arch='i686'>hvm</type></os></domain>`;
  try {
    await libvirtCall(stack, '/org/libvirt/Test', 'org.libvirt.Connect', 'DomainDefineXML', 's', [xml]);
    return uuid;
  } catch {
    return undefined;
  }
}

async function findByName(name: string): Promise<{ path: string; name: string; uuid: string }> {
  const path = await stack.client.waitForGuest(name, 5_000);
  const props = await stack.client.properties(path, GUEST);
  return { path, name: props.Name as string, uuid: props.Uuid as string };
}

it('tells apart names that differ only in spaces, and keeps digits, accents and entities', async () => {
  const names = [' padded ', 'padded', '12345', 'Größe été ✓', 'a & b <c> "d" \'e\'', 'tab\there'];
  const uuids = new Map<string, string>();
  for (const name of names) {
    const uuid = await define(name);
    expect(uuid, `libvirt accepts ${JSON.stringify(name)}`).toBeDefined();
    uuids.set(name, uuid as string);
  }
  for (const name of names) {
    const found = await findByName(name);
    expect([found.name, found.uuid]).toEqual([name, uuids.get(name)]);
  }
});

it('lists every name libvirt accepts exactly, and finds each guest by it', async () => {
  const names = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 });
  const accepted: [string, string][] = [];
  for (const name of fc.sample(names, { numRuns: 150, seed: 0x4e414d45 })) {
    if (accepted.some(([n]) => n === name)) continue;
    const uuid = await define(name);
    if (uuid) accepted.push([name, uuid]);
  }
  expect(accepted.length).toBeGreaterThan(100);
  for (const [name, uuid] of accepted) {
    const found = await findByName(name);
    expect([found.name, found.uuid]).toEqual([name, uuid]);
  }
});
