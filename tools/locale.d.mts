// Types of tools/locale.mjs, for the tests that use it.

export const ROOT: string;
export const DOMAIN: string;
export const PO_DIR: string;
export const TEMPLATE: string;
export function sourceFiles(): string[];
export function makeTemplate(out: string): void;
export function messageIds(text: string): Set<string>;
export function compileCatalogs(poDir: string, localeDir: string, domain?: string): string[];
