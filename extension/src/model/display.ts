// A guest's display in the Shell's terms: the resolutions and head counts
// its video model takes (from Guest.DescribeDisplay), whether a change waits
// for its next start, and which monitor each of its viewer's windows (one
// per head) goes on. Pure.

import { N_ } from './i18n.js';

/** What Guest.DescribeDisplay says, unpacked. */
export interface DisplayDescription {
  videoModel: string;
  maxHeads: number;
  maxWidth: number;
  maxHeight: number;
  /** Pixels of every head together. */
  maxPixels: number;
  /** '' when this host can give the guest 3D, else why not (the service's sentence). */
  accel3d: string;
}

export function displayDescription(unpacked: Record<string, unknown>): DisplayDescription {
  const number = (key: string): number => Number(unpacked[key] ?? 0) || 0;
  return {
    videoModel: String(unpacked['video-model'] ?? ''),
    maxHeads: number('max-heads'),
    maxWidth: number('max-width'),
    maxHeight: number('max-height'),
    maxPixels: number('max-pixels'),
    accel3d: String(unpacked.accel3d ?? ''),
  };
}

/** Sizes a person picks from, each larger than the last: 5120×2880 is larger than any monitor most people have. */
export const RESOLUTIONS: readonly [number, number][] = [
  [1920, 1080],
  [2560, 1440],
  [3840, 2160],
  [5120, 2880],
];

/** A change to a guest's display, as SetDisplay takes it. */
export interface DisplayChange {
  heads?: number;
  resolution?: [number, number] | 'window';
  accel3d?: boolean;
}

export type ResolutionChoice = { kind: 'window' } | { kind: 'fixed'; width: number; height: number };

/** 'window', or width × height. */
export function resolutionLabel(choice: ResolutionChoice): string {
  return choice.kind === 'window' ? N_('Follow the Window') : `${choice.width} × ${choice.height}`;
}

/**
 * The resolutions to offer: following the window, then each preset the
 * model takes on `heads` heads, and the guest's own if it is none of them.
 */
export function resolutionChoices(
  limits: DisplayDescription,
  heads: number,
  current: [number, number],
): ResolutionChoice[] {
  const fits = ([w, h]: readonly [number, number]): boolean =>
    w <= limits.maxWidth && h <= limits.maxHeight && w * h * Math.max(heads, 1) <= limits.maxPixels;
  const sizes = RESOLUTIONS.filter(fits).map(([width, height]) => ({ kind: 'fixed' as const, width, height }));
  const [w, h] = current;
  if (w > 0 && !sizes.some((s) => s.width === w && s.height === h)) sizes.push({ kind: 'fixed', width: w, height: h });
  return [{ kind: 'window' }, ...sizes];
}

/** Whether a choice is what the guest has (from its next start). */
export function isCurrent(choice: ResolutionChoice, current: [number, number]): boolean {
  return choice.kind === 'window' ? current[0] === 0 : choice.width === current[0] && choice.height === current[1];
}

/** Head counts to offer: 1 to what the model takes; nothing to choose when it takes one. */
export function headChoices(limits: DisplayDescription): number[] {
  return limits.maxHeads > 1 ? Array.from({ length: limits.maxHeads }, (_, i) => i + 1) : [];
}

/** A running guest whose display settings wait for its next start (RunningDisplay has something). */
export function displayPending(runningDisplay: Record<string, unknown> | undefined): boolean {
  return runningDisplay !== undefined && Object.keys(runningDisplay).length > 0;
}

/**
 * Whether the guest runs (or will, once started) at a fixed resolution: its
 * viewer then shows it scaled and must not resize it to the window.
 */
export function fixedResolution(guest: {
  resolution?: [number, number];
  runningDisplay?: Record<string, unknown>;
}): boolean {
  const running = guest.runningDisplay?.resolution;
  const [width] = Array.isArray(running) ? (running as number[]) : (guest.resolution ?? [0, 0]);
  return (width ?? 0) > 0;
}

/** What 3D acceleration costs in isolation, said once, before the first guest gets it (Phyllome's notes). */
export const ACCEL3D_COST_TITLE = N_('3D Acceleration Opens a Door');
export const ACCEL3D_COST = N_(
  "With 3D acceleration, the guest's programs send drawing commands through QEMU to this computer's graphics driver (virgl). It makes the guest's desktop and apps much faster, but the guest then reaches code that was never built to keep it out: a flaw in the graphics driver or in virglrenderer could let a program inside the guest crash this computer's screen or take over the process that runs the guest, and see what it sees. Turn it on for guests you trust, and leave it off for guests that run what you do not.",
);

/** Heads the guest's viewer shows now or from its next start: the more of the two. */
export function headsShown(guest: { heads?: number; runningDisplay?: Record<string, unknown> }): number {
  return Math.max(guest.heads ?? 1, Number(guest.runningDisplay?.heads ?? 0) || 0, 1);
}

/**
 * The monitors of a guest's heads with `head` put on `connector` ('' for
 * none): a head that had that monitor takes this head's old one, so no
 * monitor shows two heads. Trailing '' left out.
 */
export function withHeadMonitor(monitors: readonly string[], head: number, connector: string): string[] {
  const next = Array.from({ length: Math.max(monitors.length, head + 1) }, (_, i) => monitors[i] ?? '');
  const had = next.indexOf(connector);
  if (connector && had >= 0 && had !== head) next[had] = next[head] ?? '';
  next[head] = connector;
  let end = next.length;
  while (end > 0 && next[end - 1] === '') end--;
  return next.slice(0, end);
}

/**
 * The head a viewer's window shows, from its title: virt-viewer and
 * remote-viewer title each window "<title> (<n>)", n counting heads from 1,
 * whatever they put around it (a pointer-grab hint before, " - Virt Viewer"
 * after). Head 0 when the title says none.
 */
export function headOfTitle(windowTitle: string, title: string): number {
  const marker = `${title} (`;
  let at = windowTitle.lastIndexOf(marker);
  while (at >= 0) {
    const match = /^(\d{1,2})\)/.exec(windowTitle.slice(at + marker.length));
    if (match) return Math.max(Number(match[1]) - 1, 0);
    at = at > 0 ? windowTitle.lastIndexOf(marker, at - 1) : -1;
  }
  return 0;
}

/**
 * The monitor (index) each head's window goes on: a head with a connector
 * that is there gets its monitor; the others, in order, the first monitor no
 * other head has — head 1 starting at the pointer's, so a one-head guest
 * goes where the pointer is as before; with more heads than monitors, the
 * pointer's. `connectors` is what Monitors says, head 1 first; `present` the
 * connector of each monitor there is, by index.
 */
export function headMonitors(
  heads: number,
  connectors: readonly string[],
  present: readonly string[],
  pointerMonitor: number,
): number[] {
  const placed = Array.from({ length: heads }, (_, head) => {
    const connector = connectors[head] ?? '';
    return connector ? present.indexOf(connector) : -1;
  });
  const taken = new Set(placed.filter((m) => m >= 0));
  const order = [...present.keys()].map((_, i) => (pointerMonitor + i) % Math.max(present.length, 1));
  return placed.map((monitor) => {
    if (monitor >= 0) return monitor;
    const free = order.find((m) => !taken.has(m));
    if (free === undefined) return pointerMonitor;
    taken.add(free);
    return free;
  });
}
