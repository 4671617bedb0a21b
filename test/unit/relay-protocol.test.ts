// What the service and its display relay say to each other (service/display/relay-protocol.ts).

import { describe, expect, it } from 'vitest';
import { line, parseCommand, parseEvent } from '../../service/display/relay-protocol.js';

describe('the display relay protocol', () => {
  it('round-trips every command and event, one JSON object per line', () => {
    const listen = {
      op: 'listen',
      path: '/run/d/1000/u.sock',
      domain: '/org/libvirt/QEMU/domain/_u',
      uid: 1000,
      grant: true,
    } as const;
    expect(line(listen).endsWith('\n')).toBe(true);
    expect(parseCommand(line(listen))).toEqual(listen);
    expect(parseCommand(line({ ...listen, grant: false }))).toEqual({ ...listen, grant: false });
    expect(parseCommand(line({ op: 'close', path: '/p' }))).toEqual({ op: 'close', path: '/p' });
    for (const event of [
      { ev: 'listening', path: '/p' },
      { ev: 'failed', path: '/p', message: 'Address already in use' },
      { ev: 'connected', path: '/p', pid: 42, uid: 1000 },
      { ev: 'refused', path: '/p', pid: 43, uid: 1001 },
      { ev: 'error', path: '/p', message: 'guest is not running' },
    ] as const) {
      expect(parseEvent(line(event))).toEqual(event);
    }
  });

  it('drops anything malformed', () => {
    for (const bad of [
      '',
      'not json',
      '[]',
      '{"op":"listen","path":"/p","domain":"/d","uid":-1,"grant":true}',
      '{"op":"listen","path":"/p","domain":"/d","uid":1}',
      '{"op":"listen","path":"/p","domain":"/d","uid":1,"grant":"yes"}',
      '{"op":"listen","path":"/p"}',
      '{"op":"rm","path":"/p"}',
      '{"op":"close","path":""}',
    ]) {
      expect(parseCommand(bad)).toBeUndefined();
    }
    for (const bad of [
      '{"ev":"connected","path":"/p","pid":"x","uid":1}',
      '{"ev":"boom","path":"/p"}',
      '{"ev":"listening"}',
    ]) {
      expect(parseEvent(bad)).toBeUndefined();
    }
  });
});
