// A guest's live figures as the menu and the launcher show them: "3.7% CPU
// · 48 MiB", numbers in the reader's locale. Pure; the words are marked for
// translation (N_) and translated by the function the caller hands in.

import { N_ } from './i18n.js';

export interface GuestFigures {
  /** 0..100 of the guest's vCPUs; -1 (or absent) when unknown. */
  cpuPercent?: number;
  /** MiB; 0 (or absent) when unknown. */
  memoryUsedMiB?: number;
}

export type Translate = (text: string) => string;
const untranslated: Translate = (text) => text;

/** CPU use, e.g. "3.7%" (one decimal below 10, whole numbers above). */
export function formatPercent(percent: number, locale?: string): string {
  return new Intl.NumberFormat(locale, {
    style: 'percent',
    maximumFractionDigits: percent < 10 ? 1 : 0,
    minimumFractionDigits: percent < 10 ? 1 : 0,
  }).format(percent / 100);
}

/** Memory, e.g. "310 MiB" or "1.5 GiB". */
export function formatMemory(mib: number, translate: Translate = untranslated, locale?: string): string {
  if (mib < 1024) return translate(N_('%s MiB')).replace('%s', new Intl.NumberFormat(locale).format(Math.round(mib)));
  const gib = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(mib / 1024);
  return translate(N_('%s GiB')).replace('%s', gib);
}

/** The figures known now, e.g. "3.7% CPU · 48 MiB"; '' when none is. */
export function figuresText(figures: GuestFigures, translate: Translate = untranslated, locale?: string): string {
  const parts: string[] = [];
  const cpu = figures.cpuPercent ?? -1;
  const memory = figures.memoryUsedMiB ?? 0;
  // TRANSLATORS: %s is the share of its processors a guest uses, e.g. "12%".
  if (cpu >= 0) parts.push(translate(N_('%s CPU')).replace('%s', formatPercent(cpu, locale)));
  if (memory > 0) parts.push(formatMemory(memory, translate, locale));
  return parts.join(' · ');
}
