// The one way we read and write libvirt's XML, so that every value comes
// back exactly as libvirt keeps it: text and attributes untrimmed, libvirt's
// entities and character references decoded, numbers left as strings.

import { XMLBuilder, XMLParser } from 'fast-xml-parser';

export type Node = Record<string, unknown>;

export const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  // ' padded ' is a name libvirt keeps as it is.
  trimValues: false,
  // libxml2 writes &#10; and the like in attributes; decode them.
  htmlEntities: true,
});

export const xmlBuilder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: true,
});

export const asNode = (value: unknown): Node | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Node) : undefined;

/** Every element of a repeatable child, whether the parser gave one or many. */
export const asNodes = (value: unknown): Node[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter(
    (v): v is Node => typeof v === 'object' && v !== null,
  );

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
