import { describe, expect, it } from 'vitest';
import {
  displayDescription,
  displayPending,
  fixedResolution,
  headChoices,
  headMonitors,
  headOfTitle,
  headsShown,
  isCurrent,
  resolutionChoices,
  withHeadMonitor,
  type DisplayDescription,
} from '../../extension/src/model/display.js';

const VIRTIO: DisplayDescription = displayDescription({
  'video-model': 'virtio',
  'max-heads': 4,
  'max-width': 8192,
  'max-height': 8192,
  'max-pixels': 67108864n,
  accel3d: 'This host has no GPU render node (/dev/dri/renderD*): 3D needs a GPU with a Mesa driver',
});
const sizes = (choices: ReturnType<typeof resolutionChoices>): string[] =>
  choices.map((c) => (c.kind === 'window' ? 'window' : `${c.width}x${c.height}`));

describe("a guest's display in the menu", () => {
  it('reads what DescribeDisplay says', () => {
    expect(VIRTIO).toMatchObject({ videoModel: 'virtio', maxHeads: 4, maxPixels: 67108864 });
    expect(displayDescription({})).toEqual({
      videoModel: '',
      maxHeads: 0,
      maxWidth: 0,
      maxHeight: 0,
      maxPixels: 0,
      accel3d: '',
    });
  });

  it('offers following the window and the sizes the model holds on its heads, 5120×2880 among them', () => {
    expect(sizes(resolutionChoices(VIRTIO, 1, [0, 0]))).toEqual([
      'window',
      '1920x1080',
      '2560x1440',
      '3840x2160',
      '5120x2880',
    ]);
    // Three million pixels: 1920×1080 fits one head, not two.
    const small = { ...VIRTIO, maxHeads: 2, maxPixels: 3_000_000 };
    expect(sizes(resolutionChoices(small, 1, [0, 0]))).toEqual(['window', '1920x1080']);
    expect(sizes(resolutionChoices(small, 2, [0, 0]))).toEqual(['window']);
    // A size set elsewhere is offered too, so it can be seen checked.
    expect(sizes(resolutionChoices(VIRTIO, 1, [1280, 800]))).toContain('1280x800');
    expect(isCurrent({ kind: 'window' }, [0, 0])).toBe(true);
    expect(isCurrent({ kind: 'fixed', width: 5120, height: 2880 }, [5120, 2880])).toBe(true);
  });

  it('offers 1 to the heads the model takes, and nothing to choose for one', () => {
    expect(headChoices(VIRTIO)).toEqual([1, 2, 3, 4]);
    expect(headChoices({ ...VIRTIO, maxHeads: 1 })).toEqual([]);
  });

  it('tells a change waiting for the next start, and a fixed resolution, now or then', () => {
    expect(displayPending({})).toBe(false);
    expect(displayPending(undefined)).toBe(false);
    expect(displayPending({ heads: 2 })).toBe(true);
    expect(fixedResolution({ resolution: [5120, 2880], runningDisplay: {} })).toBe(true);
    expect(fixedResolution({ resolution: [0, 0] })).toBe(false);
    // It runs at 5120×2880 until its next start, whatever its definition says now.
    expect(fixedResolution({ resolution: [0, 0], runningDisplay: { resolution: [5120, 2880] } })).toBe(true);
    expect(headsShown({ heads: 1, runningDisplay: { heads: 2 } })).toBe(2);
    expect(headsShown({})).toBe(1);
  });
});

describe("a guest's windows, one per head", () => {
  it("know their head from the viewer's title, whatever it puts around it", () => {
    expect(headOfTitle('duo (1) - Virt Viewer', 'duo')).toBe(0);
    expect(headOfTitle('duo (2) - Virt Viewer', 'duo')).toBe(1);
    expect(headOfTitle('(Press Ctrl+Alt to release pointer) duo (2) - Virt Viewer', 'duo')).toBe(1);
    expect(headOfTitle('duo (2) - Remote Viewer', 'duo')).toBe(1);
    // A name that holds what looks like a head.
    expect(headOfTitle('win (3) (2) - Virt Viewer', 'win (3)')).toBe(1);
    expect(headOfTitle('Virt Viewer', 'duo')).toBe(0);
    expect(headOfTitle('duo (x) - Virt Viewer', 'duo')).toBe(0);
  });

  it('go each on its own monitor: its own where it is there, else the next free one from the pointer', () => {
    const present = ['Meta-0', 'Meta-1', 'Meta-2'];
    expect(headMonitors(2, ['Meta-0', 'Meta-1'], present, 0)).toEqual([0, 1]);
    expect(headMonitors(2, ['Meta-1', 'Meta-0'], present, 0)).toEqual([1, 0]);
    // One head of none goes where the pointer is, as a one-head guest always did.
    expect(headMonitors(1, [], present, 2)).toEqual([2]);
    // Head 2 of none goes beside head 1, never on its monitor.
    expect(headMonitors(2, ['Meta-1'], present, 1)).toEqual([1, 2]);
    expect(headMonitors(2, ['', 'Meta-0'], present, 0)).toEqual([1, 0]);
    // A monitor that went: the next free one.
    expect(headMonitors(2, ['Meta-0', 'DP-9'], present, 0)).toEqual([0, 1]);
    // More heads than monitors: the last go where the pointer is.
    expect(headMonitors(3, [], ['Meta-0', 'Meta-1'], 0)).toEqual([0, 1, 0]);
  });

  it('are given a monitor one head at a time, a head that had it taking the old one', () => {
    expect(withHeadMonitor(['Meta-0'], 1, 'Meta-1')).toEqual(['Meta-0', 'Meta-1']);
    expect(withHeadMonitor(['Meta-0', 'Meta-1'], 1, 'Meta-0')).toEqual(['Meta-1', 'Meta-0']);
    expect(withHeadMonitor(['Meta-0', 'Meta-1'], 1, '')).toEqual(['Meta-0']);
    expect(withHeadMonitor([], 2, 'Meta-2')).toEqual(['', '', 'Meta-2']);
  });
});
