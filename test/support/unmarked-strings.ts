// Finds the literals a person would read that do not go through gettext, in
// the extension's sources, with the TypeScript compiler's own parser.
// "A person would read" means: given to a known UI sink — the text of a
// Shell menu item or a notification, a widget property such as text, label,
// title, subtitle or description (St, Gtk, Adw alike, in a constructor's
// property bag or assigned), or a setter such as set_title. "Through gettext"
// means inside _(), ngettext() or N_(); a string built around such a call
// (.replace, a template, a join) is checked part by part, and a piece with no
// letter in it (' · ', '%s', '') is no sentence to translate.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** Constructors whose arguments at these places are shown as they are. */
const CONSTRUCTOR_SINKS: Record<string, number[]> = {
  PopupMenuItem: [0],
  PopupSubMenuMenuItem: [0],
  PopupSwitchMenuItem: [0],
  PopupImageMenuItem: [0],
  PopupSeparatorMenuItem: [0],
  Notifier: [0],
};

/** Methods whose arguments at these places are shown as they are. */
const METHOD_SINKS: Record<string, number[]> = {
  notify: [0, 1],
  addAction: [0],
  set_text: [0],
  set_label: [0],
  set_title: [0],
  set_subtitle: [0],
  set_description: [0],
  set_tooltip_text: [0],
  set_placeholder_text: [0],
};

/** Widget properties (in a property bag, or assigned) that are shown. */
const PROPERTY_SINKS = new Set([
  'text',
  'label',
  'title',
  'subtitle',
  'description',
  'body',
  'heading',
  'placeholder_text',
  'tooltip_text',
  'disabled_text',
  'accessible_name',
  'confirmLabel',
  'strings',
]);

/** The gettext functions: a string given to one is marked. */
const MARKERS = new Set(['_', 'ngettext', 'N_']);

export interface UnmarkedString {
  /** file:line */
  where: string;
  /** The literal as written. */
  text: string;
}

const hasLetter = (text: string): boolean => /\p{L}/u.test(text);

/** The unmarked literals a person would read, in one source text. */
export function unmarkedStrings(source: string, fileName = 'source.ts'): UnmarkedString[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: UnmarkedString[] = [];
  const report = (node: ts.Node): void => {
    const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
    found.push({ where: `${fileName}:${line + 1}`, text: node.getText(file) });
  };

  /** Reports the unmarked sentences in an expression shown to a person. */
  const check = (node: ts.Expression): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      if (hasLetter(node.text)) report(node);
    } else if (ts.isTemplateExpression(node)) {
      const pieces = [node.head.text, ...node.templateSpans.map((span) => span.literal.text)];
      if (pieces.some(hasLetter)) report(node);
      for (const span of node.templateSpans) check(span.expression);
    } else if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isNonNullExpression(node)) {
      check(node.expression);
    } else if (ts.isConditionalExpression(node)) {
      check(node.whenTrue);
      check(node.whenFalse);
    } else if (ts.isBinaryExpression(node)) {
      check(node.left);
      check(node.right);
    } else if (ts.isArrayLiteralExpression(node)) {
      for (const element of node.elements) if (!ts.isSpreadElement(element)) check(element);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (ts.isIdentifier(callee) && MARKERS.has(callee.text)) return;
      // A string made from another: 'x'.replace(…), [...].join(' · '), _(…).replace('%s', name).
      if (ts.isPropertyAccessExpression(callee)) {
        check(callee.expression);
        if (callee.name.text === 'replace' && node.arguments[1]) check(node.arguments[1]);
      }
    }
  };

  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node) || ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : '';
      const places = ts.isNewExpression(node) ? CONSTRUCTOR_SINKS[name] : METHOD_SINKS[name];
      for (const index of places ?? []) {
        const argument = node.arguments?.[index];
        if (argument) check(argument);
      }
    } else if (ts.isPropertyAssignment(node) && PROPERTY_SINKS.has(propertyName(node.name))) {
      check(node.initializer);
    } else if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(node.left) &&
      PROPERTY_SINKS.has(node.left.name.text)
    ) {
      check(node.right);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function propertyName(name: ts.PropertyName): string {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : '';
}

/** The unmarked literals in every source file under dir, named relative to root. */
export function unmarkedStringsIn(dir: string, root: string): UnmarkedString[] {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((entry) => {
      const path = join(d, entry.name);
      if (entry.isDirectory()) return walk(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
    });
  return walk(dir).flatMap((path) => unmarkedStrings(readFileSync(path, 'utf8'), relative(root, path)));
}
