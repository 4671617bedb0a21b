// Which guests a search in the overview finds: every term must be found in
// the guest's name or its OS (case and accents aside); guests whose name
// starts with the first term come first, then the rest, each in reading
// order. Pure.

import type { GuestSummary } from './guest-list.js';
import { osLabel } from './os-label.js';

/** Text folded for matching: lower case, accents and other marks dropped. */
export function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLocaleLowerCase();
}

/** The paths of the guests that match every term, best first. */
export function searchGuests(guests: readonly GuestSummary[], terms: readonly string[]): string[] {
  const wanted = terms.map(fold).filter((t) => t !== '');
  if (wanted.length === 0) return [];
  const first: string[] = [];
  const rest: string[] = [];
  for (const guest of guests) {
    const name = fold(guest.name);
    const haystack = `${name} ${fold(osLabel(guest.osId))}`;
    if (!wanted.every((term) => haystack.includes(term))) continue;
    (name.startsWith(wanted[0] as string) ? first : rest).push(guest.path);
  }
  return [...first, ...rest];
}
