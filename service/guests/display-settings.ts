// What a guest's display may be set to, decided from its video model: how
// many heads, which resolutions (the framebuffers of every head must fit the
// model's video memory), 3D acceleration, and what the host lacks for 3D.
// The models' abilities are libvirt 9's and QEMU 7's, checked on this
// host's real libvirtd: heads only on virtio and qxl ("video type 'vga'
// doesn't support multiple 'heads'"), <resolution> only on virtio, qxl, vga
// and bochs ("model resolution is not supported"), 3D only on virtio. Pure.

import { invalidArgument, missingHostFeature } from '../errors.js';
import type { VideoChange, VideoFacts } from '../libvirt/video-xml.js';
import { count } from '../readable.js';

/** Heads a guest may have (QEMU's virtio-gpu takes 16; four monitors is the most a person sits at). */
export const MAX_HEADS = 4;
/** The smallest display UEFI's and the BIOS's own screens draw on. */
export const MIN_RESOLUTION: readonly [number, number] = [640, 480];
/** The longest side we offer: 8K and a little more, each model's own limit being higher. */
export const MAX_SIDE = 8192;
const BYTES_PER_PIXEL = 4;
const MIB = 1024;

interface ModelAbility {
  maxHeads: number;
  resolution: boolean;
  accel3d: boolean;
  /**
   * The video memory every head's framebuffer must fit in, KiB: the
   * definition's (vram for vga and bochs, vgamem for qxl) or libvirt's
   * default; for virtio-gpu QEMU's max_hostmem (256 MiB), which libvirt does
   * not set. `grow`: raised up to `largestKiB` when a resolution needs more.
   */
  defaultKiB: number;
  fromDefinition: boolean;
  largestKiB: number;
  grow: boolean;
}

const ABILITIES: Record<string, ModelAbility> = {
  virtio: {
    maxHeads: MAX_HEADS,
    resolution: true,
    accel3d: true,
    defaultKiB: 256 * MIB,
    fromDefinition: false,
    largestKiB: 256 * MIB,
    grow: false,
  },
  qxl: {
    maxHeads: MAX_HEADS,
    resolution: true,
    accel3d: false,
    defaultKiB: 16 * MIB,
    fromDefinition: true,
    largestKiB: 16 * MIB,
    grow: false,
  },
  // QEMU's VGA takes up to 512 MiB, bochs-display 256: we grow either to 256 at most.
  vga: {
    maxHeads: 1,
    resolution: true,
    accel3d: false,
    defaultKiB: 16 * MIB,
    fromDefinition: true,
    largestKiB: 256 * MIB,
    grow: true,
  },
  bochs: {
    maxHeads: 1,
    resolution: true,
    accel3d: false,
    defaultKiB: 16 * MIB,
    fromDefinition: true,
    largestKiB: 256 * MIB,
    grow: true,
  },
};
/** Any other model (cirrus, vmvga, ramfb…): one head, no resolution of ours, no 3D. */
const PLAIN: ModelAbility = {
  maxHeads: 1,
  resolution: false,
  accel3d: false,
  defaultKiB: 0,
  fromDefinition: false,
  largestKiB: 0,
  grow: false,
};

const abilityOf = (model: string): ModelAbility => ABILITIES[model] ?? PLAIN;

/** The video memory the model has now, KiB. */
function memoryKiB(facts: VideoFacts, ability: ModelAbility): number {
  return ability.fromDefinition && facts.framebufferKiB > 0 ? facts.framebufferKiB : ability.defaultKiB;
}

/** What DescribeDisplay tells of a guest's video model. */
export interface VideoLimits {
  model: string;
  maxHeads: number;
  /** 0 when the model takes no resolution of ours. */
  maxWidth: number;
  maxHeight: number;
  /** Pixels of every head together the model's video memory holds at most. */
  maxPixels: number;
}

export function videoLimits(facts: VideoFacts): VideoLimits {
  const ability = abilityOf(facts.model);
  const kib = ability.grow ? ability.largestKiB : memoryKiB(facts, ability);
  return {
    model: facts.model,
    maxHeads: facts.model ? ability.maxHeads : 0,
    maxWidth: ability.resolution ? MAX_SIDE : 0,
    maxHeight: ability.resolution ? MAX_SIDE : 0,
    maxPixels: ability.resolution ? Math.floor((kib * 1024) / BYTES_PER_PIXEL) : 0,
  };
}

/** A change SetDisplay asks for; absent keys stay as they are. */
export interface DisplayRequest {
  heads?: number;
  /** A fixed resolution, or 'window': the guest follows its viewer's window (the guest agent resizes it). */
  resolution?: [width: number, height: number] | 'window';
  accel3d?: boolean;
}

/** What a guest lacks for 3D (its own video or display), or the host (render node, QEMU's OpenGL). */
export interface Accel3dHost {
  /** QEMU built with OpenGL (libvirt offers egl-headless). */
  opengl: boolean;
  /** A DRM render node (/dev/dri/renderD*). */
  renderNode: boolean;
  virtioGpu: boolean;
}

/** Why a guest cannot have 3D: whose lack it is, and a sentence; undefined when it can. */
export function whyNoAccel3d(
  host: Accel3dHost | Error,
  facts: VideoFacts,
  display: string,
): { host: boolean; message: string } | undefined {
  if (host instanceof Error) return { host: true, message: host.message };
  if (!host.renderNode)
    return {
      host: true,
      message: 'This host has no GPU render node (/dev/dri/renderD*): 3D needs a GPU with a Mesa driver',
    };
  if (!host.opengl)
    return { host: true, message: "This host's QEMU has no OpenGL (egl-headless): install its OpenGL display module" };
  if (!host.virtioGpu) return { host: true, message: "This host's QEMU has no virtio-gpu" };
  if (!display) return { host: false, message: 'It shows on a screen of its own, with no display for 3D' };
  if (!abilityOf(facts.model).accel3d)
    return {
      host: false,
      message: `Its video device is ${facts.model || 'none'}: 3D needs a virtio one (virtio-gpu)`,
    };
  return undefined;
}

const whole = (value: number): boolean => Number.isInteger(value) && value >= 0;

/**
 * The video device a request leaves the guest with, each value checked
 * against the API's bounds and the guest's video model: InvalidArgument
 * naming what is wrong, or MissingHostFeature for 3D on a host without it.
 */
export function planVideo(
  name: string,
  facts: VideoFacts,
  display: string,
  request: DisplayRequest,
  host: Accel3dHost | Error,
): VideoChange {
  if (request.heads === undefined && request.resolution === undefined && request.accel3d === undefined)
    throw invalidArgument('Say what to change: heads, resolution or accel3d');
  const heads = request.heads ?? facts.heads;
  if (!whole(heads) || heads < 1 || heads > MAX_HEADS)
    throw invalidArgument(`A guest has 1 to ${MAX_HEADS} heads, not ${heads}`);
  if (!facts.model) throw invalidArgument(`${name} has no video device to set`);
  const ability = abilityOf(facts.model);
  if (heads > ability.maxHeads)
    throw invalidArgument(
      `${name}'s ${facts.model} video device takes ${count(ability.maxHeads, 'head')}, not ${heads}: a virtio one takes up to ${MAX_HEADS}`,
    );
  if (heads > 1 && display !== 'spice')
    throw invalidArgument(
      `${name}'s ${display || 'missing'} display shows one head: give it a SPICE display for ${heads}`,
    );
  const resolution: [number, number] =
    request.resolution === undefined ? facts.resolution : request.resolution === 'window' ? [0, 0] : request.resolution;
  // A resolution asked for is checked whatever it is; one the definition has, again against the heads asked for.
  const fixed = Array.isArray(request.resolution) || resolution[0] !== 0 || resolution[1] !== 0;
  const framebufferKiB = fixed ? checkResolution(name, facts, ability, heads, resolution) : 0;
  const accel3d = request.accel3d ?? facts.accel3d;
  if (accel3d && !facts.accel3d) {
    const why = whyNoAccel3d(host, facts, display);
    if (why) throw why.host ? missingHostFeature(why.message) : invalidArgument(`${name}: ${why.message}`);
  }
  return { heads, resolution, accel3d, framebufferKiB };
}

/** A fixed resolution on `heads` heads of the guest's model; the video memory to give it (KiB, 0: as it is). */
function checkResolution(
  name: string,
  facts: VideoFacts,
  ability: ModelAbility,
  heads: number,
  [width, height]: [number, number],
): number {
  if (!whole(width) || !whole(height) || width < MIN_RESOLUTION[0] || height < MIN_RESOLUTION[1])
    throw invalidArgument(`A resolution is at least ${MIN_RESOLUTION[0]}×${MIN_RESOLUTION[1]}, not ${width}×${height}`);
  if (!ability.resolution)
    throw invalidArgument(
      `${name}'s ${facts.model} video device takes no resolution: give it a virtio, qxl, vga or bochs one`,
    );
  if (width > MAX_SIDE || height > MAX_SIDE)
    throw invalidArgument(`A resolution is at most ${MAX_SIDE}×${MAX_SIDE}, not ${width}×${height}`);
  const neededKiB = Math.ceil((heads * width * height * BYTES_PER_PIXEL) / 1024);
  const haveKiB = memoryKiB(facts, ability);
  if (neededKiB <= haveKiB) return 0;
  const mostKiB = ability.grow ? ability.largestKiB : haveKiB;
  if (neededKiB > mostKiB)
    throw invalidArgument(
      `${heads > 1 ? `${heads} heads of ` : ''}${width}×${height} need ${Math.ceil(neededKiB / MIB)} MiB of video memory; ${name}'s ${facts.model} video device has ${Math.floor(mostKiB / MIB)} MiB${ability.grow ? ' at most' : ''}`,
    );
  // libvirt's vram for vga and bochs: a power of two MiB (QEMU rounds it up to one anyway).
  return MIB * 2 ** Math.ceil(Math.log2(neededKiB / MIB));
}

/** The display settings a running guest was started with where they differ from its definition's. */
export function runningDifferences(
  next: VideoFacts,
  running: VideoFacts | null,
): { heads?: number; resolution?: [number, number]; accel3d?: boolean } {
  if (!running) return {};
  return {
    ...(running.heads !== next.heads ? { heads: running.heads } : {}),
    ...(running.resolution[0] !== next.resolution[0] || running.resolution[1] !== next.resolution[1]
      ? { resolution: running.resolution }
      : {}),
    ...(running.accel3d !== next.accel3d ? { accel3d: running.accel3d } : {}),
  };
}
