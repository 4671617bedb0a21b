// Generates the TypeScript types of both sides of the D-Bus contract from
// data/me.phyllo.Switcher1.xml, so neither side hand-writes a cast:
//   service/contract/switcher1.ts      values as dbus-next gives and takes them
//   extension/src/client/switcher1.ts  values as GJS's recursiveUnpack() gives them,
//                                      the contract's XML for Gio's proxies, and the
//                                      names the extension's three processes call
//                                      by: the bus name, the Manager's path, each
//                                      method's signatures and the typed errors
// `node tools/contract-types.mjs` writes them; `--check` fails when they are stale
// (the unit tests run it).

import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { splitSignature } from '../service/dbus/signature.mjs';

const root = resolve(import.meta.dirname, '..');
const CONTRACT = join(root, 'data/me.phyllo.Switcher1.xml');

const xml = readFileSync(CONTRACT, 'utf8');
const doc = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => ['interface', 'method', 'property', 'signal', 'arg', 'annotation'].includes(name),
}).parse(xml);

/** The TypeScript type of a D-Bus type, for one side's value forms. */
function tsType(type, side) {
  switch (type[0]) {
    case 's':
    case 'o':
    case 'g':
      return 'string';
    case 'b':
      return 'boolean';
    case 'y':
    case 'n':
    case 'q':
    case 'i':
    case 'u':
    case 'd':
    case 'h':
      return 'number';
    case 'x':
    case 't':
      // dbus-next keeps 64-bit integers exact; GJS unpacks them to numbers.
      return side === 'service' ? 'bigint' : 'number';
    case 'v':
      return side === 'service' ? 'Variant' : 'unknown';
    case '(':
      return `[${splitSignature(type.slice(1, -1))
        .map((t) => tsType(t, side))
        .join(', ')}]`;
    case 'a': {
      const inner = type.slice(1);
      if (inner[0] === '{') {
        const [key, value] = splitSignature(inner.slice(1, -1));
        return `Record<${tsType(key, side)}, ${tsType(value, side)}>`;
      }
      const element = tsType(inner, side);
      return /^[\w]+$/.test(element) ? `${element}[]` : `(${element})[]`;
    }
    default:
      throw new Error(`unsupported D-Bus type ${type}`);
  }
}

const shortName = (iface) => iface.split('.').pop();

// The bus name is the namespace every interface of the contract shares, and
// the Manager lives at the path that spells it (the D-Bus convention the
// contract's opening comment states: /me/phyllo/Switcher1).
const interfaceNames = doc.node.interface.map((iface) => iface.name);
const BUS_NAME = interfaceNames[0].slice(0, interfaceNames[0].lastIndexOf('.'));
if (!interfaceNames.every((name) => name.startsWith(`${BUS_NAME}.`))) {
  throw new Error(`the contract's interfaces do not share one namespace: ${interfaceNames.join(', ')}`);
}
const MANAGER_PATH = `/${BUS_NAME.replaceAll('.', '/')}`;
// The typed errors, as the contract's opening comment lists them.
const errorPrefix = `${BUS_NAME}.Error.`;
const ERRORS = [
  ...new Set(
    [...xml.matchAll(new RegExp(`^\\s*${errorPrefix.replaceAll('.', '\\.')}(\\w+)\\s`, 'gm'))].map((m) => m[1]),
  ),
];
if (ERRORS.length === 0) throw new Error(`the contract lists no ${errorPrefix}* error`);
/** A method's in or out arguments as one D-Bus tuple signature. */
const signature = (args) => `(${args.map((a) => a.type).join('')})`;
const argName = (arg, i) => (arg.name ?? `arg${i}`).replace(/[^A-Za-z0-9_]/g, '_');
const tuple = (args, side) => `[${args.map((a, i) => `${argName(a, i)}: ${tsType(a.type, side)}`).join(', ')}]`;

function generate(side) {
  const lines = [
    `// Generated from data/me.phyllo.Switcher1.xml by tools/contract-types.mjs: do not edit.`,
    `// ${side === 'service' ? 'Values as dbus-next gives and takes them.' : "Values as GJS's recursiveUnpack() gives them."}`,
    '',
  ];
  if (side === 'service') lines.push(`import type { Variant } from '@jellybrick/dbus-next';`, '');
  const map = [];
  for (const iface of doc.node.interface) {
    const name = shortName(iface.name);
    lines.push(
      `export const ${name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}_INTERFACE = '${iface.name}';`,
      '',
    );
    lines.push(`export interface ${name}Properties {`);
    for (const p of iface.property ?? []) {
      lines.push(`  ${p.access === 'read' ? 'readonly ' : ''}${p.name}: ${tsType(p.type, side)};`);
    }
    lines.push('}', '');
    lines.push(`export interface ${name}Methods {`);
    for (const m of iface.method ?? []) {
      const args = m.arg ?? [];
      const ins = args.filter((a) => (a.direction ?? 'in') === 'in');
      const outs = args.filter((a) => a.direction === 'out');
      lines.push(`  ${m.name}: { in: ${tuple(ins, side)}; out: ${tuple(outs, side)} };`);
    }
    lines.push('}', '');
    lines.push(`export interface ${name}Signals {`);
    for (const s of iface.signal ?? []) lines.push(`  ${s.name}: ${tuple(s.arg ?? [], side)};`);
    lines.push('}', '');
    map.push(`  '${iface.name}': { properties: ${name}Properties; methods: ${name}Methods; signals: ${name}Signals };`);
  }
  lines.push('/** Every interface of the contract, by name. */', 'export interface Switcher1 {', ...map, '}', '');
  lines.push('export type InterfaceName = keyof Switcher1;', '');
  if (side === 'extension') {
    lines.push(
      '/** The well-known name the service owns. */',
      `export const BUS_NAME = '${BUS_NAME}';`,
      '',
      '/** Where the Manager (and the ObjectManager of every other object) lives. */',
      `export const MANAGER_PATH = '${MANAGER_PATH}';`,
      '',
      "/** The contract's typed errors, by their short name. */",
      'export const ERROR = {',
      ...ERRORS.map((name) => `  ${name}: '${errorPrefix}${name}',`),
      '} as const;',
      '',
      "/** Each method's in and out arguments as D-Bus tuple signatures, for packing a call and reading its reply. */",
      'export const SIGNATURES = {',
    );
    for (const iface of doc.node.interface) {
      lines.push(`  '${iface.name}': {`);
      for (const m of iface.method ?? []) {
        const args = m.arg ?? [];
        const ins = args.filter((a) => (a.direction ?? 'in') === 'in');
        const outs = args.filter((a) => a.direction === 'out');
        lines.push(`    ${m.name}: { in: '${signature(ins)}', out: '${signature(outs)}' },`);
      }
      lines.push('  },');
    }
    lines.push(
      '} as const;',
      '',
      '/** The methods of an interface, by name. */',
      "export type MethodName<I extends InterfaceName> = keyof Switcher1[I]['methods'] & string;",
      '/** What a method takes (variants as GLib.Variant) and what its reply unpacks to. */',
      "export type MethodIn<I extends InterfaceName, M extends MethodName<I>> = Switcher1[I]['methods'][M] extends { in: infer A } ? A : never;",
      "export type MethodOut<I extends InterfaceName, M extends MethodName<I>> = Switcher1[I]['methods'][M] extends { out: infer A } ? A : never;",
      '',
      '/** The contract itself, for Gio.DBusNodeInfo. */',
      `export const INTERFACE_XML = ${JSON.stringify(xml)};`,
      '',
    );
  }
  return lines.join('\n');
}

const outputs = {
  [join(root, 'service/contract/switcher1.ts')]: generate('service'),
  [join(root, 'extension/src/client/switcher1.ts')]: generate('extension'),
};

if (process.argv.includes('--check')) {
  const stale = Object.entries(outputs).filter(([file, text]) => {
    try {
      return readFileSync(file, 'utf8') !== text;
    } catch {
      return true;
    }
  });
  if (stale.length > 0) {
    console.error(`stale: ${stale.map(([f]) => f).join(', ')}; run: node tools/contract-types.mjs`);
    process.exit(1);
  }
} else {
  for (const [file, text] of Object.entries(outputs)) writeFileSync(file, text);
}
