// Reads D-Bus introspection XML (our contract in data/) into plain specs the
// exporter dispatches and checks against, and writes introspection XML back.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asNodes, attribute, child, escapeXml, readXml } from '../xml/plain.js';

export interface ArgSpec {
  name: string;
  type: string;
}

export interface MethodSpec {
  name: string;
  inArgs: ArgSpec[];
  outArgs: ArgSpec[];
  inSignature: string;
  outSignature: string;
}

export interface PropertySpec {
  name: string;
  type: string;
  access: 'read' | 'write' | 'readwrite';
  /** From org.freedesktop.DBus.Property.EmitsChangedSignal; 'true' by default. */
  emitsChanged: 'true' | 'invalidates' | 'const' | 'false';
}

export interface SignalSpec {
  name: string;
  args: ArgSpec[];
  signature: string;
}

export interface InterfaceSpec {
  name: string;
  methods: Map<string, MethodSpec>;
  properties: Map<string, PropertySpec>;
  signals: Map<string, SignalSpec>;
}

export const CONTRACT_FILE = 'me.phyllo.Switcher1.xml';

function required(value: string, what: string): string {
  if (!value) throw new Error(`interface XML: ${what} lacks a name or type`);
  return value;
}

function args(raw: unknown, direction: 'in' | 'out' | 'signal'): ArgSpec[] {
  return asNodes(raw)
    .filter((a) => direction === 'signal' || (attribute(a, 'direction') || 'in') === direction)
    .map((a, i) => ({ name: attribute(a, 'name') || `arg${i}`, type: required(attribute(a, 'type'), 'an arg') }));
}

function emitsChanged(annotations: unknown, fallback: PropertySpec['emitsChanged']): PropertySpec['emitsChanged'] {
  const found = asNodes(annotations).find(
    (a) => attribute(a, 'name') === 'org.freedesktop.DBus.Property.EmitsChangedSignal',
  );
  const value = attribute(found, 'value');
  return value === 'true' || value === 'invalidates' || value === 'const' || value === 'false' ? value : fallback;
}

export function parseInterfaceXml(xml: string): Map<string, InterfaceSpec> {
  const root = child(readXml(xml), 'node');
  const interfaces = new Map<string, InterfaceSpec>();
  for (const raw of asNodes(root.interface)) {
    const name = required(attribute(raw, 'name'), 'an interface');
    const ifaceDefault = emitsChanged(raw.annotation, 'true');
    const spec: InterfaceSpec = { name, methods: new Map(), properties: new Map(), signals: new Map() };
    for (const m of asNodes(raw.method)) {
      const inArgs = args(m.arg, 'in');
      const outArgs = args(m.arg, 'out');
      const methodName = required(attribute(m, 'name'), 'a method');
      spec.methods.set(methodName, {
        name: methodName,
        inArgs,
        outArgs,
        inSignature: inArgs.map((a) => a.type).join(''),
        outSignature: outArgs.map((a) => a.type).join(''),
      });
    }
    for (const p of asNodes(raw.property)) {
      const access = attribute(p, 'access');
      if (access !== 'read' && access !== 'write' && access !== 'readwrite') {
        throw new Error(`interface XML: property ${attribute(p, 'name') || '?'} has no valid access`);
      }
      const propertyName = required(attribute(p, 'name'), 'a property');
      spec.properties.set(propertyName, {
        name: propertyName,
        type: required(attribute(p, 'type'), 'a property'),
        access,
        emitsChanged: emitsChanged(p.annotation, ifaceDefault),
      });
    }
    for (const sig of asNodes(raw.signal)) {
      const signalArgs = args(sig.arg, 'signal');
      const signalName = required(attribute(sig, 'name'), 'a signal');
      spec.signals.set(signalName, {
        name: signalName,
        args: signalArgs,
        signature: signalArgs.map((a) => a.type).join(''),
      });
    }
    interfaces.set(name, spec);
  }
  return interfaces;
}

/** Finds data/me.phyllo.Switcher1.xml from the source tree, the build tree or the installed system. */
export function locateContract(): string {
  const override = process.env.PHYLLOME_INTERFACE_XML;
  if (override) return override;
  let dir = dirname(fileURLToPath(import.meta.url));
  // Installed: the XML sits beside the executable. In the tree: data/ above it.
  const sibling = join(dir, CONTRACT_FILE);
  if (existsSync(sibling)) return sibling;
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'data', CONTRACT_FILE);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return join('/usr/share/dbus-1/interfaces', CONTRACT_FILE);
}

export function loadContract(path = locateContract()): Map<string, InterfaceSpec> {
  return parseInterfaceXml(readFileSync(path, 'utf8'));
}

// The standard interfaces every object of ours answers.
const STANDARD_INTERFACES = `  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect"><arg name="xml_data" type="s" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId"><arg name="machine_uuid" type="s" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get"><arg name="interface_name" type="s" direction="in"/><arg name="property_name" type="s" direction="in"/><arg name="value" type="v" direction="out"/></method>
    <method name="GetAll"><arg name="interface_name" type="s" direction="in"/><arg name="properties" type="a{sv}" direction="out"/></method>
    <method name="Set"><arg name="interface_name" type="s" direction="in"/><arg name="property_name" type="s" direction="in"/><arg name="value" type="v" direction="in"/></method>
    <signal name="PropertiesChanged"><arg name="interface_name" type="s"/><arg name="changed_properties" type="a{sv}"/><arg name="invalidated_properties" type="as"/></signal>
  </interface>
`;

// The root object manages every object below it.
const OBJECT_MANAGER_INTERFACE = `  <interface name="org.freedesktop.DBus.ObjectManager">
    <method name="GetManagedObjects"><arg name="objects" type="a{oa{sa{sv}}}" direction="out"/></method>
    <signal name="InterfacesAdded"><arg name="object" type="o"/><arg name="interfaces" type="a{sa{sv}}"/></signal>
    <signal name="InterfacesRemoved"><arg name="object" type="o"/><arg name="interfaces" type="as"/></signal>
  </interface>
`;

function argXml(arg: ArgSpec, direction?: 'in' | 'out'): string {
  const dir = direction ? ` direction="${direction}"` : '';
  return `<arg name="${escapeXml(arg.name)}" type="${escapeXml(arg.type)}"${dir}/>`;
}

export function introspectionXml(interfaces: InterfaceSpec[], children: string[], objectManager = false): string {
  const parts = [
    '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n<node>\n',
  ];
  if (interfaces.length > 0) parts.push(STANDARD_INTERFACES);
  if (objectManager) parts.push(OBJECT_MANAGER_INTERFACE);
  for (const iface of interfaces) {
    parts.push(`  <interface name="${escapeXml(iface.name)}">\n`);
    for (const m of iface.methods.values()) {
      const inner = [...m.inArgs.map((a) => argXml(a, 'in')), ...m.outArgs.map((a) => argXml(a, 'out'))].join('');
      parts.push(`    <method name="${escapeXml(m.name)}">${inner}</method>\n`);
    }
    for (const s of iface.signals.values()) {
      parts.push(`    <signal name="${escapeXml(s.name)}">${s.args.map((a) => argXml(a)).join('')}</signal>\n`);
    }
    for (const p of iface.properties.values()) {
      const note =
        p.emitsChanged === 'true'
          ? ''
          : `<annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="${p.emitsChanged}"/>`;
      parts.push(
        `    <property name="${escapeXml(p.name)}" type="${escapeXml(p.type)}" access="${p.access}">${note}</property>\n`,
      );
    }
    parts.push('  </interface>\n');
  }
  for (const child of children) parts.push(`  <node name="${escapeXml(child)}"/>\n`);
  parts.push('</node>\n');
  return parts.join('');
}
