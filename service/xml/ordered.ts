// libvirt XML as an ordered tree that can be changed and written back with
// everything we did not touch kept: elements in order, attributes, text,
// other namespaces' metadata. fast-xml-parser's preserveOrder form:
// each element is { [tag]: children[], ':@': { '@_attr': value } }, text is
// { '#text': value }.

import { XMLBuilder, XMLParser } from 'fast-xml-parser';

export type XmlNode = Record<string, unknown>;

const OPTIONS = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  // Text is data (paths, names): never trimmed.
  trimValues: false,
  commentPropName: '#comment',
  processEntities: true,
} as const;

const parser = new XMLParser(OPTIONS);
const builder = new XMLBuilder({ ...OPTIONS, suppressEmptyNode: true, format: false });

const ATTRIBUTES = ':@';
const TEXT = '#text';

/** Parses a document; returns its top-level nodes. */
export function parseOrdered(xml: string): XmlNode[] {
  return parser.parse(xml) as XmlNode[];
}

export function buildOrdered(nodes: XmlNode[]): string {
  return builder.build(nodes) as string;
}

/** The element's tag, or undefined for text and comments. */
export function tagOf(node: XmlNode): string | undefined {
  return Object.keys(node).find((key) => key !== ATTRIBUTES && key !== TEXT && key !== '#comment');
}

export function childrenOf(node: XmlNode): XmlNode[] {
  const tag = tagOf(node);
  const children = tag ? node[tag] : undefined;
  return Array.isArray(children) ? (children as XmlNode[]) : [];
}

export function child(node: XmlNode, tag: string): XmlNode | undefined {
  return childrenOf(node).find((c) => tagOf(c) === tag);
}

export function childrenNamed(node: XmlNode, tag: string): XmlNode[] {
  return childrenOf(node).filter((c) => tagOf(c) === tag);
}

/** Follows a path of tags from `node` (the first match at each step). */
export function descend(node: XmlNode | undefined, ...tags: string[]): XmlNode | undefined {
  let current = node;
  for (const tag of tags) current = current ? child(current, tag) : undefined;
  return current;
}

export function attribute(node: XmlNode | undefined, name: string): string | undefined {
  const attributes = node?.[ATTRIBUTES] as Record<string, unknown> | undefined;
  const value = attributes?.[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

/** Every attribute of an element, by name (without our parser's prefix). */
export function attributesOf(node: XmlNode): Record<string, string> {
  const raw = (node[ATTRIBUTES] ?? {}) as Record<string, string>;
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key.slice(2), String(value)]));
}

export function setAttribute(node: XmlNode, name: string, value: string): void {
  const attributes = (node[ATTRIBUTES] as Record<string, unknown> | undefined) ?? {};
  attributes[`@_${name}`] = value;
  node[ATTRIBUTES] = attributes;
}

export function removeAttribute(node: XmlNode, name: string): void {
  const attributes = node[ATTRIBUTES] as Record<string, unknown> | undefined;
  if (attributes) node[ATTRIBUTES] = Object.fromEntries(Object.entries(attributes).filter(([k]) => k !== `@_${name}`));
}

/** The element's own text (its text children joined). */
export function textOf(node: XmlNode | undefined): string {
  if (!node) return '';
  return childrenOf(node)
    .map((c) => (typeof c[TEXT] === 'string' || typeof c[TEXT] === 'number' ? String(c[TEXT]) : ''))
    .join('');
}

/** Replaces the element's text ('' leaves it empty), keeping its child elements. */
export function setText(node: XmlNode, text: string): void {
  const tag = tagOf(node) as string;
  const elements = childrenOf(node).filter((c) => !(TEXT in c));
  node[tag] = text === '' ? elements : [{ [TEXT]: text }, ...elements];
}

/** A new element, with attributes and text. */
export function element(tag: string, attributes: Record<string, string> = {}, text = ''): XmlNode {
  const node: XmlNode = { [tag]: text === '' ? [] : [{ [TEXT]: text }] };
  if (Object.keys(attributes).length > 0) {
    node[ATTRIBUTES] = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [`@_${k}`, v]));
  }
  return node;
}

export function appendChild(node: XmlNode, added: XmlNode): void {
  const tag = tagOf(node) as string;
  node[tag] = [...childrenOf(node), added];
}

/** Removes the children for which `drop` is true. */
export function removeChildren(node: XmlNode, drop: (child: XmlNode) => boolean): void {
  const tag = tagOf(node) as string;
  node[tag] = childrenOf(node).filter((c) => !drop(c));
}

/** Replaces one child with another, in place. */
export function replaceChild(node: XmlNode, old: XmlNode, replacement: XmlNode): void {
  const tag = tagOf(node) as string;
  node[tag] = childrenOf(node).map((c) => (c === old ? replacement : c));
}
