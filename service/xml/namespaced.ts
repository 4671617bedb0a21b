// XML from someone we do not trust, read strictly and with its namespaces
// resolved: every element and attribute carries the namespace URI its prefix
// (or the default namespace) stands for where it is, so that what a document
// means is compared by URI, never by the prefix its author chose. Only plain
// XML 1.0 with the five predefined entities and character references is
// taken: a document type declaration (entities of its own), a processing
// instruction, an undeclared prefix, two roots or text before the root is
// refused with a sentence saying what. Reading costs time linear in the
// document's size: an element shares its parent's namespace scope and only
// one that declares namespaces gets a scope of its own, and what no honest
// libvirt definition needs (hundreds of declarations or attributes) is
// refused, so that neither term of a product grows with what a caller
// writes. Pure.

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { invalidArgument } from '../errors.js';

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export interface NamespacedAttribute {
  /** Local name, without prefix. */
  name: string;
  /** The prefix as written ('' for none): for messages only. */
  prefix: string;
  /** Namespace URI; '' for an unprefixed attribute (XML gives those no namespace). */
  ns: string;
  value: string;
}

export interface NamespacedElement {
  name: string;
  prefix: string;
  /** Namespace URI; '' for none (libvirt's own elements). */
  ns: string;
  attributes: NamespacedAttribute[];
  children: NamespacedElement[];
  /** Its own text and CDATA, joined, as written (not trimmed). */
  text: string;
}

export interface ReadLimits {
  /** Deepest nesting of elements taken. */
  depth: number;
  /** Most elements taken. */
  elements: number;
  /** Most attributes (namespace declarations included) on one element. */
  attributes: number;
  /** Most namespace declarations on one element. */
  declarations: number;
  /** Most namespace declarations in the whole document. */
  allDeclarations: number;
}

// libvirt's own definitions stay far inside these: its widest element has a
// dozen attributes, and metadata declares a namespace or two per application.
export const DEFAULT_LIMITS: ReadLimits = {
  depth: 48,
  elements: 20_000,
  attributes: 64,
  declarations: 16,
  allDeclarations: 64,
};

/** What a read did, for tests that count work instead of timing it. */
export interface ReadWork {
  /** Namespace bindings copied into new scopes. */
  scopeEntriesCopied: number;
  /** Elements and attributes whose namespace was looked up. */
  lookups: number;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  commentPropName: '#comment',
  cdataPropName: '#cdata',
  processEntities: true,
  // Character references (&#10;, &#x2F;) decoded; named entities other than XML's five were refused before.
  htmlEntities: true,
  ignorePiTags: false,
  ignoreDeclaration: false,
});

type Raw = Record<string, unknown>;
const ATTRIBUTES = ':@';

/** A reference that is not one of XML's five entities or a character reference. */
const FOREIGN_REFERENCE = /&(?!(?:lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)/;

function splitName(qualified: string): [prefix: string, local: string] {
  const colon = qualified.indexOf(':');
  return colon < 0 ? ['', qualified] : [qualified.slice(0, colon), qualified.slice(colon + 1)];
}

const START_TAG = /<[^/!?]/g;

/** Whether the text has more than `limit` start tags; counted natively and no further than the limit. */
function moreStartTags(xml: string, limit: number): boolean {
  START_TAG.lastIndex = 0;
  let count = 0;
  while (START_TAG.exec(xml)) if (++count > limit) return true;
  return false;
}

const widerTags = new Map<number, RegExp>();

/**
 * A start tag with more than `limit` attributes (namespace declarations
 * too), name captured. Names are parted by space or a value's closing
 * quote and hold neither, a value holds no quote of its kind: each part can
 * match one way only, so the search is linear. Attributes written in ways
 * it does not see are still counted after parsing.
 */
function widerTag(limit: number): RegExp {
  let found = widerTags.get(limit);
  if (!found) {
    found = new RegExp(
      `<([^\\s/!?<>'"=]+)(?:(?:\\s+|(?<=['"]))[^\\s=<>/'"]+\\s*=\\s*(?:"[^"<]*"|'[^'<]*')){${limit + 1}}`,
    );
    widerTags.set(limit, found);
  }
  return found;
}

function shortText(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 3)}...` : text;
}

function tagOf(node: Raw): string | undefined {
  return Object.keys(node).find((key) => key !== ATTRIBUTES);
}

/**
 * The document's one element, its namespaces resolved. `what` names the
 * document in messages ("the bundle's definition").
 */
export function readNamespaced(
  xml: string,
  what: string,
  limits: ReadLimits = DEFAULT_LIMITS,
  work: ReadWork = { scopeEntriesCopied: 0, lookups: 0 },
): NamespacedElement {
  const bad = (why: string): never => {
    throw invalidArgument(`${what} is not plain XML: ${why}`);
  };
  if (/<!DOCTYPE/i.test(xml)) bad('it has a document type declaration (entities of its own)');
  if (/<!ENTITY/i.test(xml)) bad('it declares an entity');
  const reference = FOREIGN_REFERENCE.exec(xml);
  if (reference) bad(`'${xml.slice(reference.index, reference.index + 12).split(/[\s<]/)[0]}' is no XML entity`);
  // The cheapest bound first, before any parser spends a pass on the document.
  if (moreStartTags(xml, limits.elements)) bad(`it has more than ${limits.elements} elements`);
  const wide = widerTag(limits.attributes).exec(xml);
  if (wide) bad(`<${shortText(wide[1] ?? '', 40)}> has more than ${limits.attributes} attributes`);
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  // The validator's message can quote the caller's document at length (every open tag).
  if (valid !== true) bad(`${shortText(valid.err.msg, 160)} (line ${valid.err.line})`);
  let nodes: Raw[];
  try {
    nodes = parser.parse(xml) as Raw[];
  } catch (error) {
    return bad(shortText((error as Error).message, 160));
  }
  let root: Raw | undefined;
  for (const node of nodes) {
    const tag = tagOf(node);
    if (tag === undefined || tag === '#comment') continue;
    if (tag === '#text') {
      if (String((node['#text'] as unknown) ?? '').trim() !== '') bad('it has text outside its element');
      continue;
    }
    if (tag === '?xml') continue;
    if (tag.startsWith('?')) bad(`it has a processing instruction <${shortText(tag, 40)}>`);
    if (root) bad('it has more than one top element');
    root = node;
  }
  if (!root) return bad('it has no element');
  let count = 0;
  let declarations = 0;
  const scopeRoot: ReadonlyMap<string, string> = new Map<string, string>([['xml', XML_NS]]);
  const convert = (node: Raw, scope: ReadonlyMap<string, string>, depth: number): NamespacedElement => {
    if (depth > limits.depth) bad(`its elements are nested deeper than ${limits.depth}`);
    if (++count > limits.elements) bad(`it has more than ${limits.elements} elements`);
    const qualified = tagOf(node) as string;
    const raw = (node[ATTRIBUTES] ?? {}) as Record<string, unknown>;
    const entries = Object.entries(raw);
    if (entries.length > limits.attributes) {
      bad(`<${shortText(qualified, 40)}> has more than ${limits.attributes} attributes`);
    }
    const declared = entries.filter(([key]) => key === '@_xmlns' || key.startsWith('@_xmlns:'));
    if (declared.length > limits.declarations) {
      bad(`<${shortText(qualified, 40)}> declares more than ${limits.declarations} namespaces`);
    }
    declarations += declared.length;
    if (declarations > limits.allDeclarations) bad(`it declares more than ${limits.allDeclarations} namespaces`);
    // Shared with the parent unless this element declares: the copy is then at most allDeclarations long,
    // and at most allDeclarations elements make one.
    let inner = scope;
    if (declared.length > 0) {
      const own = new Map(scope);
      work.scopeEntriesCopied += scope.size;
      for (const [key, value] of declared) {
        const name = key.slice(2);
        if (name === 'xmlns') own.set('', String(value));
        else {
          const prefix = name.slice(6);
          if (String(value) === '') bad(`the prefix ${shortText(prefix, 40)} is undeclared with an empty namespace`);
          own.set(prefix, String(value));
        }
      }
      inner = own;
    }
    const resolve = (prefix: string, forElement: boolean, shown: string): string => {
      work.lookups++;
      if (prefix === '') return forElement ? (inner.get('') ?? '') : '';
      if (prefix === 'xmlns') return 'http://www.w3.org/2000/xmlns/';
      const ns = inner.get(prefix);
      if (ns === undefined)
        return bad(`<${shortText(shown, 40)}> uses the prefix ${shortText(prefix, 40)}, declared nowhere`);
      return ns;
    };
    const [prefix, name] = splitName(qualified);
    const element: NamespacedElement = {
      name,
      prefix,
      ns: resolve(prefix, true, qualified),
      attributes: [],
      children: [],
      text: '',
    };
    for (const [key, value] of entries) {
      const attributeName = key.slice(2);
      if (attributeName === 'xmlns' || attributeName.startsWith('xmlns:')) continue;
      const [attributePrefix, local] = splitName(attributeName);
      element.attributes.push({
        name: local,
        prefix: attributePrefix,
        ns: resolve(attributePrefix, false, qualified),
        value: String(value),
      });
    }
    const seen = new Set<string>();
    for (const attribute of element.attributes) {
      const key = `${attribute.ns} ${attribute.name}`;
      if (seen.has(key)) bad(`<${shortText(qualified, 40)}> has the attribute ${shortText(attribute.name, 40)} twice`);
      seen.add(key);
    }
    const children = Array.isArray(node[qualified]) ? (node[qualified] as Raw[]) : [];
    for (const child of children) {
      const tag = tagOf(child);
      if (tag === undefined || tag === '#comment') continue;
      if (tag === '#text') element.text += String((child['#text'] as unknown) ?? '');
      else if (tag === '#cdata') {
        for (const part of Array.isArray(child['#cdata']) ? (child['#cdata'] as Raw[]) : [])
          element.text += String(part['#text'] ?? '');
      } else if (tag.startsWith('?')) bad(`it has a processing instruction <${shortText(tag, 40)}>`);
      else element.children.push(convert(child, inner, depth + 1));
    }
    return element;
  };
  return convert(root, scopeRoot, 1);
}

/** How an element is written in a message: <prefix:name a='…'>, values shortened. */
export function describeElement(element: NamespacedElement, shownAttributes: readonly string[] = []): string {
  const qualified = element.prefix ? `${element.prefix}:${element.name}` : element.name;
  const attributes = element.attributes
    .filter((a) => a.ns === '' && shownAttributes.includes(a.name))
    .map((a) => ` ${a.name}='${a.value.length > 60 ? `${a.value.slice(0, 57)}...` : a.value}'`)
    .join('');
  return `<${qualified}${attributes}>`;
}
