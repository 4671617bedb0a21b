import { describe, expect, it } from 'vitest';
import { isInput, nextRule, ruleFor, sortedUsb, type UsbSummary } from '../../extension/src/model/usb-list.js';

const device = (port: string, serial = '', classes = ['storage']): UsbSummary => ({
  path: `/me/phyllo/Switcher1/usb/${port.replace(/[-.]/g, '_')}`,
  name: 'SanDisk Cruzer Blade',
  vendor: '0781',
  product: '5567',
  serial,
  port,
  classes,
  owner: '',
});

describe('USB rules in the menu', () => {
  const byDevice = (mode: string, serial?: string) => ({
    mode,
    match_by: 'device',
    vendor: '0781',
    product: '5567',
    ...(serial === undefined ? {} : { serial }),
  });

  it('finds the rule a guest has for a device, by port or by ids and serial', () => {
    expect(ruleFor([{ mode: 'ask', match_by: 'port', port: '1-2' }], device('1-2'))).toBe('ask');
    expect(ruleFor([byDevice('always')], device('1-3', 'A'))).toBe('always');
    expect(ruleFor([byDevice('always', 'B')], device('1-3', 'A'))).toBe('');
    expect(ruleFor([], device('1-3'))).toBe('');
  });

  it('keeps a serial whole, whatever it holds: a MAC-like serial is not the stick whose serial is 00', () => {
    const rules = [byDevice('always', '00:E0:4C:68:00:01')];
    expect(ruleFor(rules, device('1-9', '00:E0:4C:68:00:01'))).toBe('always');
    expect(ruleFor(rules, device('1-10', '00'))).toBe('');
    expect(ruleFor([byDevice('ask', '4C53 0001 2303 1412')], device('1-8', '4C53 0001 2303 1412'))).toBe('ask');
    expect(ruleFor([byDevice('ask', 'Größe ✓ № 7')], device('1-11', 'Größe ✓ № 7'))).toBe('ask');
  });

  it('steps through the rules and back to none', () => {
    expect([nextRule(''), nextRule('always'), nextRule('follow-focus'), nextRule('ask')]).toEqual([
      'always',
      'follow-focus',
      'ask',
      '',
    ]);
  });

  it('sorts by port as numbers, and knows keyboards and pointers', () => {
    expect(sortedUsb([device('1-10'), device('1-2'), device('1-1.4')]).map((d) => d.port)).toEqual([
      '1-1.4',
      '1-2',
      '1-10',
    ]);
    expect(isInput(device('1-2', '', ['keyboard', 'mouse']))).toBe(true);
    expect(isInput(device('1-2'))).toBe(false);
  });
});
