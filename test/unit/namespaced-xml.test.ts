// XML read strictly, its namespaces resolved: what a name means is its URI,
// whatever prefix (or default namespace) its author wrote it with.

import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, readNamespaced, type ReadWork } from '../../service/xml/namespaced.js';

const QEMU = 'http://libvirt.org/schemas/domain/qemu/1.0';
const read = (xml: string) => readNamespaced(xml, 'The document');

describe('namespaces', () => {
  it('resolves prefixes, the default namespace and its reset by URI', () => {
    const root = read(
      `<domain xmlns:a='${QEMU}'><a:commandline/><commandline xmlns='${QEMU}'><arg/></commandline>` +
        `<x xmlns:q='${QEMU}'><q:y/></x><z xmlns=''/><w xmlns:a='urn:other'><a:v/></w></domain>`,
    );
    expect(root.ns).toBe('');
    const [prefixed, defaulted, x, z, w] = root.children;
    expect([prefixed?.name, prefixed?.ns]).toEqual(['commandline', QEMU]);
    expect([defaulted?.name, defaulted?.ns, defaulted?.children[0]?.ns]).toEqual(['commandline', QEMU, QEMU]);
    expect(x?.children[0]?.ns).toBe(QEMU);
    expect(z?.ns).toBe('');
    // A prefix means what its nearest declaration says.
    expect(w?.children[0]?.ns).toBe('urn:other');
  });

  it('gives unprefixed attributes no namespace and prefixed ones theirs; declarations are no attributes', () => {
    const root = read(`<domain xmlns:q='${QEMU}' xmlns='urn:d' a='1' q:b='2'/>`);
    expect(root.ns).toBe('urn:d');
    expect(root.attributes).toEqual([
      { name: 'a', prefix: '', ns: '', value: '1' },
      { name: 'b', prefix: 'q', ns: QEMU, value: '2' },
    ]);
  });

  it('joins text and CDATA, decodes character references, and keeps comments out', () => {
    const root = read(`<d><n> a <![CDATA[<b>&amp;]]>&#x2F;&lt;<!-- no --></n></d>`);
    expect(root.children[0]?.text).toBe(' a <b>&amp;/<');
  });
});

describe('what is refused, saying what', () => {
  it.each([
    ['a document type with entities', `<!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>`, /document type declaration/],
    ['an entity of HTML', `<d>&nbsp;</d>`, /'&nbsp;' is no XML entity/],
    ['an undeclared prefix', `<d><q:x/></d>`, /prefix q, declared nowhere/],
    ['a processing instruction', `<?xml version="1.0"?><?evil x?><d/>`, /processing instruction/],
    ['two top elements', `<d/><e/>`, /more than one top element/],
    ['text outside', `x<d/>`, /is not expected/],
    ['a tag left open', `<d><e></d>`, /not plain XML/],
    ['an attribute twice', `<d a='1' a='2'/>`, /repeated|twice/],
    ['the same attribute under two prefixes', `<d xmlns:a='urn:x' xmlns:b='urn:x' a:z='1' b:z='2'/>`, /twice/],
  ])('%s', (_what, xml, why) => {
    expect(() => read(xml)).toThrow(why);
    expect(() => read(xml)).toThrow(expect.objectContaining({ kind: 'InvalidArgument' }));
  });

  it('refuses nesting and sizes beyond its limits', () => {
    const deep = `${'<a>'.repeat(60)}${'</a>'.repeat(60)}`;
    expect(() => read(deep)).toThrow(/nested deeper than 48/);
    expect(() =>
      readNamespaced(`<d>${'<e/>'.repeat(11)}</d>`, 'x', { ...DEFAULT_LIMITS, depth: 4, elements: 10 }),
    ).toThrow(/more than 10 elements/);
  });
});

// Attack finding 1: <domain> with thousands of namespace declarations and
// thousands of children cost elements × declarations (a copy of the whole
// scope per element) on the service's one thread. The cost is counted here,
// never timed.
describe('what reading costs', () => {
  const declarations = (count: number, from = 0): string =>
    Array.from({ length: count }, (_, i) => ` xmlns:p${from + i}="urn:x"`).join('');
  const fresh = (): ReadWork => ({ scopeEntriesCopied: 0, lookups: 0 });

  it("refuses the attacker's definition, naming the limit, before any scope is made", () => {
    const work = fresh();
    const xml = `<domain type='qemu'${declarations(10_000)}>${'<a/>'.repeat(4000)}</domain>`;
    expect(() => readNamespaced(xml, 'The definition', DEFAULT_LIMITS, work)).toThrow(
      /<domain> has more than 64 attributes/,
    );
    expect(work).toEqual(fresh());
  });

  it.each([
    ['on one element', `<d${declarations(17)}/>`, /<d> declares more than 16 namespaces/],
    [
      'in all',
      `<d${declarations(16)}>${Array.from({ length: 4 }, (_, i) => `<e${declarations(16, 16 * (i + 1))}/>`).join('')}</d>`,
      /declares more than 64 namespaces/,
    ],
    [
      'attributes on one element',
      `<d>${`<e ${Array.from({ length: 65 }, (_, i) => `a${i}=''`).join(' ')}/>`}</d>`,
      /<e> has more than 64 attributes/,
    ],
    [
      'attributes written without space, seen after parsing',
      `<d><e a='' ${Array.from({ length: 64 }, (_, i) => `b${i}=''`).join('')}/></d>`,
      /<e> has more than 64 attributes/,
    ],
  ])('refuses namespace declarations and attributes beyond the limits: %s', (_what, xml, why) => {
    expect(() => read(xml)).toThrow(why);
    expect(() => read(xml)).toThrow(expect.objectContaining({ kind: 'InvalidArgument' }));
  });

  it('shares scopes: at the limits, work grows with elements and attributes, not their product', () => {
    // Every limit reached at once: 64 declarations (16 on the root), 20,000 elements, 64 attributes on each
    // element that declares, prefixed names resolved everywhere.
    const { elements, allDeclarations, declarations: perElement, attributes } = DEFAULT_LIMITS;
    const declaring = allDeclarations / perElement;
    const wide = (from: number): string =>
      `${declarations(perElement, from)}${Array.from({ length: attributes - perElement }, (_, i) => ` p${from}:a${i}=''`).join('')}`;
    const inner = Array.from({ length: declaring - 1 }, (_, i) => `<x${wide(perElement * (i + 1))}/>`).join('');
    const plain = elements - declaring;
    const xml = `<d${wide(0)}>${inner}${"<p0:e p1:a=''/>".repeat(plain)}</d>`;
    const work = fresh();
    const root = readNamespaced(xml, 'x', DEFAULT_LIMITS, work);
    expect(root.children).toHaveLength(elements - 1);
    // A scope is copied only where an element declares: at most allDeclarations elements, each copy no longer
    // than allDeclarations entries (the old reader copied the root's 17 entries for every one of 20,000).
    expect(work.scopeEntriesCopied).toBeLessThanOrEqual(declaring * (allDeclarations + 1));
    // One lookup per element and per attribute.
    const attributesWritten = declaring * (attributes - perElement) + plain;
    expect(work.lookups).toBe(elements + attributesWritten);
  });
});
