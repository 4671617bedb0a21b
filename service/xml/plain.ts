// XML we trust, read as plain objects and written from them, set up once
// for every document of the kind: libvirt's definitions and capabilities,
// libosinfo's database, our D-Bus contract. Every value comes back exactly
// as written: text and attributes untrimmed (' padded ' is a name libvirt
// keeps as it is), entities and character references decoded, numbers left
// as strings. A repeatable element is one object or an array of them
// (asNodes takes either). XML we do not trust is namespaced.ts's; libvirt's
// XML to change and write back, ordered.ts's.

import { XMLBuilder, XMLParser } from 'fast-xml-parser';

export type Node = Record<string, unknown>;

export const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // libxml2 writes &#10; and the like in attributes; decode them.
  htmlEntities: true,
});

export const xmlBuilder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: true,
});

/** A document's elements, {} when it has none. */
export function readXml(xml: string): Node {
  return asNode(xmlParser.parse(xml)) ?? {};
}

/** Text for an element or an attribute value: the five characters XML gives a meaning to, escaped. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export const asNode = (value: unknown): Node | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Node) : undefined;

/** A child element with attributes or children of its own, {} when there is none (or it is only text). */
export const child = (node: Node | undefined, name: string): Node => asNode(node?.[name]) ?? {};

/** Every occurrence of a repeatable child, whether the parser gave one or many: text elements as strings. */
export const asList = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];

/** Every element of a repeatable child that has attributes or children, whether the parser gave one or many. */
export const asNodes = (value: unknown): Node[] =>
  asList(value).filter((v): v is Node => typeof v === 'object' && v !== null);

/** An element's text exactly, whether it has attributes or not. */
export function text(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  const inner = asNode(value)?.['#text'];
  return typeof inner === 'string' || typeof inner === 'number' ? String(inner) : '';
}

/** An attribute's value, '' when absent. */
export function attribute(node: Node | undefined, name: string): string {
  const value = node?.[`@_${name}`];
  return typeof value === 'string' ? value : '';
}
