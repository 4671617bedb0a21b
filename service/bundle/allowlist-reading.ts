// Reading an untrusted XML element against an allowlist: each attribute
// and child is read, dropped (said once, by a label), dropped quietly, or
// refused (named, with why); whatever no rule names is refused, and so is
// anything in a namespace other than the one read (libvirt's own, none),
// wherever it stands. What was refused and dropped is collected for one
// answer naming all of it. Pure.

import { describeElement, type NamespacedElement } from '../xml/namespaced.js';

export type El = NamespacedElement;

/** An attribute is read (its value returned), dropped with a label said once, dropped quietly, or refused. */
export type AttributeRule = 'read' | 'quiet' | { drop: string } | { refuse: string };
/** A child is handled by a function, dropped (with what it held) with a label, dropped quietly, or refused. */
export type ChildRule = ((child: El, where: string) => void) | 'quiet' | { drop: string } | { refuse: string };

export const FOREIGN = "settings for QEMU or another program, outside libvirt's own";
export const NOT_IN_MODEL = "Phyllome's model has no place for it";

export class Reading {
  readonly refused: string[] = [];
  readonly dropped = new Set<string>();

  refuse(element: El, parent: string, why: string, shown: readonly string[] = ['type', 'model']): void {
    const at = parent && parent !== 'domain' ? ` in <${parent}>` : '';
    this.refused.push(`${describeElement(element, shown)}${at} (${why})`);
  }

  refuseText(what: string, why: string): void {
    this.refused.push(`${what} (${why})`);
  }

  drop(label: string): void {
    this.dropped.add(label);
  }

  /** A subtree dropped whole: anything in another namespace inside it is still refused, named. */
  dropTree(element: El, parent: string, label: string | undefined): void {
    if (label) this.drop(label);
    this.foreignIn(element, parent);
  }

  foreignIn(element: El, parent: string): void {
    if (element.ns !== '') {
      this.refuse(element, parent, `${FOREIGN}: ${element.ns}`, []);
      return;
    }
    for (const attribute of element.attributes) {
      if (attribute.ns !== '')
        this.refuseText(
          `the attribute ${attribute.prefix}:${attribute.name} on <${element.name}>`,
          `${FOREIGN}: ${attribute.ns}`,
        );
    }
    for (const child of element.children) this.foreignIn(child, element.name);
  }

  /** The element's attributes by `rules`: read values returned, anything unnamed refused. */
  attributes(element: El, rules: Record<string, AttributeRule>): Record<string, string> {
    const read: Record<string, string> = {};
    for (const attribute of element.attributes) {
      const where = `the attribute ${attribute.prefix ? `${attribute.prefix}:` : ''}${attribute.name}='${shorten(attribute.value)}' on <${element.name}>`;
      if (attribute.ns !== '') {
        this.refuseText(where, `${FOREIGN}: ${attribute.ns}`);
        continue;
      }
      const rule = rules[attribute.name];
      if (rule === undefined) this.refuseText(where, NOT_IN_MODEL);
      else if (rule === 'read') read[attribute.name] = attribute.value;
      else if (rule === 'quiet') continue;
      else if ('drop' in rule) this.drop(rule.drop);
      else this.refuseText(where, rule.refuse);
    }
    return read;
  }

  /** The element's children by `rules`: anything unnamed or in another namespace refused, named. */
  children(element: El, rules: Record<string, ChildRule>): void {
    for (const child of element.children) {
      if (child.ns !== '') {
        this.refuse(child, element.name, `${FOREIGN}: ${child.ns}`, []);
        continue;
      }
      const rule = rules[child.name];
      if (rule === undefined) this.refuse(child, element.name, NOT_IN_MODEL);
      else if (typeof rule === 'function') rule(child, element.name);
      else if (rule === 'quiet') this.dropTree(child, element.name, undefined);
      else if ('drop' in rule) this.dropTree(child, element.name, rule.drop);
      else this.refuse(child, element.name, rule.refuse);
    }
  }

  /** Refuses text where an element holds none. */
  noText(element: El): void {
    if (element.text.trim() !== '') this.refuseText(`text in <${element.name}>`, NOT_IN_MODEL);
  }

  /** An element that holds nothing but the attributes given. */
  leaf(element: El, rules: Record<string, AttributeRule>): Record<string, string> {
    const read = this.textLeaf(element, rules);
    this.noText(element);
    return read;
  }

  /** An element that holds text (read by the caller) and the attributes given, no elements. */
  textLeaf(element: El, rules: Record<string, AttributeRule>): Record<string, string> {
    const read = this.attributes(element, rules);
    this.children(element, {});
    return read;
  }
}

export function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}

export const attributeOf = (element: El | undefined, name: string): string | undefined =>
  element?.attributes.find((a) => a.ns === '' && a.name === name)?.value;
export const childrenNamed = (element: El, name: string): El[] =>
  element.children.filter((c) => c.ns === '' && c.name === name);
