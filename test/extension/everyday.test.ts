// The pure parts of live figures, overview search and stop notices in the extension.

import { describe, expect, it } from 'vitest';
import { figuresText, formatMemory, formatPercent } from '../../extension/src/model/figures.js';
import { fold, searchGuests } from '../../extension/src/model/guest-search.js';
import { StatsDemand } from '../../extension/src/model/stats-demand.js';
import { stopNotice } from '../../extension/src/model/stop-notice.js';

describe('live figures as shown', () => {
  it('says CPU use and memory, in the reader’s locale', () => {
    expect(figuresText({ cpuPercent: 3.7, memoryUsedMiB: 48 }, undefined, 'en')).toBe('3.7% CPU · 48 MiB');
    expect(figuresText({ cpuPercent: 42.4, memoryUsedMiB: 3584 }, undefined, 'en')).toBe('42% CPU · 3.5 GiB');
    // German puts a no-break space before the sign.
    expect(formatPercent(3.7, 'de')).toBe('3,7\u00a0%');
    expect(formatMemory(1536, undefined, 'de')).toBe('1,5 GiB');
  });

  it('leaves out what is unknown, and says nothing when nothing is known', () => {
    expect(figuresText({ cpuPercent: -1, memoryUsedMiB: 48 }, undefined, 'en')).toBe('48 MiB');
    expect(figuresText({ cpuPercent: 0, memoryUsedMiB: 0 }, undefined, 'en')).toBe('0.0% CPU');
    expect(figuresText({ cpuPercent: -1, memoryUsedMiB: 0 })).toBe('');
    expect(figuresText({})).toBe('');
  });

  it('translates its words with the function it is given', () => {
    // French writes mebibytes "Mio" and gibibytes "Gio": each word differs from the English one.
    const french: Record<string, string> = { '%s CPU': 'processeur %s', '%s MiB': '%s Mio', '%s GiB': '%s Gio' };
    const translate = (t: string): string => french[t] ?? 'untranslated';
    // (The number as the locale writes it is the test above's; here, the words around it.)
    expect(figuresText({ cpuPercent: 12, memoryUsedMiB: 100 }, translate, 'fr')).toBe(
      `processeur ${formatPercent(12, 'fr')} · 100 Mio`,
    );
    expect(figuresText({ memoryUsedMiB: 1536 }, translate, 'fr')).toBe('1,5 Gio');
  });
});

describe('who needs live figures', () => {
  it('asks the service to watch while the menu or the launcher is open, once', () => {
    const asked: boolean[] = [];
    const demand = new StatsDemand((on) => asked.push(on));
    demand.need('menu', true);
    demand.need('launcher', true);
    demand.need('menu', true);
    demand.need('menu', false);
    expect(asked).toEqual([true]);
    expect(demand.active).toBe(true);
    demand.need('launcher', false);
    expect(asked).toEqual([true, false]);
    demand.need('launcher', false);
    expect(asked).toEqual([true, false]);
  });

  it('lets go when cleared (the extension disabled), only if it held', () => {
    const asked: boolean[] = [];
    const demand = new StatsDemand((on) => asked.push(on));
    demand.clear();
    expect(asked).toEqual([]);
    demand.need('menu', true);
    demand.clear();
    expect(asked).toEqual([true, false]);
    expect(demand.active).toBe(false);
  });
});

describe('searching guests', () => {
  const guests = [
    { path: '/a', name: 'Arch dev', state: 'running', osId: 'http://archlinux.org/archlinux/rolling' },
    { path: '/b', name: 'Gaming', state: 'shutoff', osId: 'http://microsoft.com/win/11' },
    { path: '/c', name: 'Work (Windows 10)', state: 'paused', osId: 'http://microsoft.com/win/10' },
    { path: '/d', name: 'Écrans', state: 'shutoff', osId: '' },
  ];

  it('finds a guest by part of its name, or its OS, case and accents aside', () => {
    expect(searchGuests(guests, ['gam'])).toEqual(['/b']);
    expect(searchGuests(guests, ['DEV'])).toEqual(['/a']);
    expect(searchGuests(guests, ['arch', 'linux'])).toEqual(['/a']);
    expect(searchGuests(guests, ['ecr'])).toEqual(['/d']);
    expect(fold('Écrans')).toBe('ecrans');
  });

  it('puts guests whose name starts with the term first, then the others in reading order', () => {
    expect(searchGuests(guests, ['windows'])).toEqual(['/b', '/c']);
    expect(searchGuests(guests, ['win'])).toEqual(['/b', '/c']);
    expect(searchGuests(guests, ['w'])).toEqual(['/c', '/b']);
  });

  it('finds nothing without terms, or when one term matches nothing', () => {
    expect(searchGuests(guests, [])).toEqual([]);
    expect(searchGuests(guests, ['  '.trim()])).toEqual([]);
    expect(searchGuests(guests, ['gaming', 'linux'])).toEqual([]);
  });
});

describe('why a guest stopped, said aloud', () => {
  it('tells of a crash and of the host stopping it, and of nothing a person asked for', () => {
    expect(stopNotice('crashed')?.title).toBe('%s crashed');
    expect(stopNotice('failed')?.title).toBe('%s was stopped by the host');
    expect(stopNotice('failed')?.body).toMatch(/out of memory/);
    for (const reason of ['shutdown', 'destroyed', 'saved', 'migrated', 'snapshot', 'nonsense'])
      expect(stopNotice(reason)).toBeUndefined();
  });
});
