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
  it('finds the rule a guest has for a device, by port or by ids and serial', () => {
    expect(ruleFor([['ask', 'port', '1-2']], device('1-2'))).toBe('ask');
    expect(ruleFor([['always', 'device', '0781:5567']], device('1-3', 'A'))).toBe('always');
    expect(ruleFor([['always', 'device', '0781:5567:B']], device('1-3', 'A'))).toBe('');
    expect(ruleFor([], device('1-3'))).toBe('');
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
