// XML read strictly, its namespaces resolved: what a name means is its URI,
// whatever prefix (or default namespace) its author wrote it with.

import { describe, expect, it } from 'vitest';
import { readNamespaced } from '../../service/xml/namespaced.js';

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
    expect(() => readNamespaced(`<d>${'<e/>'.repeat(11)}</d>`, 'x', { depth: 4, elements: 10 })).toThrow(
      /more than 10 elements/,
    );
  });
});
