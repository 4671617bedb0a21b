// When a viewer that died is opened again: only once the settle time has
// passed on the manager's clock, and only if its guest still runs. The
// viewer is a stand-in process that says what virt-viewer says once it
// shows a display, then waits; its death is a real SIGKILL.

import { afterEach, expect, it } from 'vitest';
import type { Guest } from '../../service/guests/guest.js';
import { DEFAULT_VIEWER_OPTIONS, ViewerManager } from '../../service/viewers/viewer-manager.js';
import { ManualClock } from '../support/manual-clock.js';
import { nextEvent, flush } from '../support/wait.js';

const guest = {
  path: '/me/phyllo/Switcher1/guest/a',
  name: 'alpha',
  uuid: '00000000-0000-0000-0000-00000000000a',
  display: 'vnc',
  video: { resolution: [0, 0] },
  runningVideo: null,
} as unknown as Guest;

const STAND_IN = ['/bin/sh', '-c', 'echo "Insert display 0"; exec sleep 300', 'viewer'];
/** One turn of the event loop, for the manager's handling of an answer it was given at once. */

let viewers: ViewerManager | undefined;
afterEach(() => viewers?.stop());

/** A manager on a clock of its own, whose guest runs or not as `running` says; counts its questions. */
function manager(running: boolean): { clock: ManualClock; asked: () => number; viewers: ViewerManager } {
  const clock = new ManualClock();
  let asked = 0;
  viewers = new ViewerManager(
    { ...DEFAULT_VIEWER_OPTIONS, command: STAND_IN, uri: 'test:///default' },
    async () => {
      asked++;
      return running;
    },
    clock,
  );
  return { clock, asked: () => asked, viewers };
}

/** Kills the viewer as a crash would; resolves once the manager has seen it go. */
async function crash(viewers: ViewerManager, pid: number): Promise<void> {
  const gone = nextEvent(viewers, 'pid', { match: (_path, next) => next === 0 });
  process.kill(pid, 'SIGKILL');
  await gone;
}

it('reopens a viewer that died only once the settle time has passed, while its guest runs', async () => {
  const { clock, asked, viewers } = manager(true);
  const first = await viewers.open(guest);
  expect(first).toBeGreaterThan(0);
  await crash(viewers, first);
  clock.advance(DEFAULT_VIEWER_OPTIONS.settleMs - 1);
  await flush();
  expect(asked()).toBe(0);
  expect(viewers.pid(guest.path)).toBe(0);
  const reopened = nextEvent<[string, number]>(viewers, 'pid');
  clock.advance(1);
  const [, second] = await reopened;
  expect(asked()).toBe(1);
  expect(second).toBeGreaterThan(0);
  expect(second).not.toBe(first);
});

it('does not reopen the viewer of a guest that stopped', async () => {
  const { clock, asked, viewers } = manager(false);
  const pids: number[] = [];
  viewers.on('pid', (_path, pid) => pids.push(pid));
  const first = await viewers.open(guest);
  await crash(viewers, first);
  clock.advance(DEFAULT_VIEWER_OPTIONS.settleMs);
  await flush();
  expect(asked()).toBe(1); // the settle time passed and libvirt was asked
  expect(pids).toEqual([first, 0]);
  expect(viewers.pid(guest.path)).toBe(0);
  expect(clock.pending).toBe(0);
});

it('does not reopen a viewer it closed itself', async () => {
  const { clock, asked, viewers } = manager(true);
  const first = await viewers.open(guest);
  const gone = nextEvent(viewers, 'pid', { match: (_path, next) => next === 0 });
  viewers.close(guest.path);
  await gone;
  expect(clock.pending).toBe(0); // no settle timer at all
  clock.advance(DEFAULT_VIEWER_OPTIONS.settleMs);
  await flush();
  expect(asked()).toBe(0);
  expect(() => process.kill(first, 0)).toThrow();
});

it('gives a viewer that says nothing the show deadline, then fails it as ViewerFailed', async () => {
  const clock = new ManualClock();
  viewers = new ViewerManager(
    { ...DEFAULT_VIEWER_OPTIONS, command: ['/bin/sh', '-c', 'exec sleep 300', 'viewer'], uri: 'test:///default' },
    async () => true,
    clock,
  );
  let outcome: unknown;
  const opening = viewers.open(guest).then(
    () => (outcome = 'shown'),
    (error: unknown) => (outcome = error),
  );
  // A slow viewer is not a failed one: nothing is decided before the deadline.
  clock.advance(DEFAULT_VIEWER_OPTIONS.showDeadlineMs - 1);
  await flush();
  expect(outcome).toBeUndefined();
  clock.advance(1);
  await opening;
  expect(outcome).toMatchObject({ kind: 'ViewerFailed', message: expect.stringMatching(/showed nothing within 10 s/) });
});
