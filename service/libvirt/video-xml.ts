// A guest's display as libvirt's definition holds it: the primary video
// device (its model, heads, <resolution>, 3D acceleration and video memory)
// and what its graphics give 3D (SPICE's <gl>, egl-headless). Read from a
// definition, and written back into one with everything else kept as it was.
// Pure; the values written are checked beforehand (guests/display-settings.ts).

import { asNode, asNodes, attribute, type Node } from '../xml/plain.js';
import {
  appendChild,
  attribute as orderedAttribute,
  attributesOf,
  buildOrdered,
  child,
  childrenNamed,
  childrenOf,
  descend,
  element,
  parseOrdered,
  removeAttribute,
  removeChildren,
  setAttribute,
  tagOf,
  type XmlNode,
} from '../xml/ordered.js';

/** The display settings of a guest's video device, as its definition states them. */
export interface VideoFacts {
  /** libvirt's <model type> of the primary video device (virtio, vga, qxl…); '' when the guest has none. */
  model: string;
  /** libvirt's heads; 1 when the definition says none. */
  heads: number;
  /** <resolution x y>; [0, 0] when there is none and the guest follows its viewer's window. */
  resolution: [width: number, height: number];
  /** <acceleration accel3d='yes'>: OpenGL through virgl. */
  accel3d: boolean;
  /** The video memory the model's framebuffers live in, KiB: vram (vga, bochs) or vgamem (qxl); 0: libvirt's default. */
  framebufferKiB: number;
}

export const NO_VIDEO: VideoFacts = { model: '', heads: 1, resolution: [0, 0], accel3d: false, framebufferKiB: 0 };

/** A whole number as libvirt writes one (heads, pixels, KiB), 0 for anything else. */
export const wholeNumber = (value: string | undefined): number =>
  value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : 0;

/** The video device a viewer shows first: the one marked primary, else the first. */
function primaryVideo<T>(videos: T[], isPrimary: (video: T) => boolean): T | undefined {
  return videos.find(isPrimary) ?? videos[0];
}

/** The model element's facts (fast-xml-parser's plain form, as domain-xml.ts reads it). */
export function videoFacts(devices: Node | undefined): VideoFacts {
  const video = primaryVideo(asNodes(devices?.video), (v) => attribute(asNode(v.model), 'primary') === 'yes');
  const model = asNode(video?.model);
  const type = attribute(model, 'type');
  if (!model || !type || type === 'none') return { ...NO_VIDEO, resolution: [0, 0] };
  const resolution = asNode(model.resolution);
  const width = wholeNumber(attribute(resolution, 'x'));
  const height = wholeNumber(attribute(resolution, 'y'));
  return {
    model: type,
    heads: wholeNumber(attribute(model, 'heads')) || 1,
    resolution: width > 0 && height > 0 ? [width, height] : [0, 0],
    accel3d: attribute(asNode(model.acceleration), 'accel3d') === 'yes',
    framebufferKiB: wholeNumber(attribute(model, type === 'qxl' ? 'vgamem' : 'vram')),
  };
}

/** What a definition's display is to be: the video device's settings, each as checked. */
export interface VideoChange {
  heads: number;
  resolution: [width: number, height: number];
  accel3d: boolean;
  /** The video memory to give the model (KiB; 0: leave it as it is). */
  framebufferKiB: number;
}

/**
 * The definition with its primary video device set to `change`: heads,
 * <resolution> (none for [0, 0]), 3D acceleration, and the graphics that
 * carry 3D to a viewer — SPICE's own <gl> for a SPICE display, an
 * egl-headless display beside a VNC one (QEMU renders with OpenGL off
 * screen and the VNC server sends the frames). Everything else stays as it
 * was, other namespaces' metadata included.
 */
export function withVideo(xml: string, change: VideoChange): string {
  const nodes = parseOrdered(xml);
  const domain = nodes.find((n) => tagOf(n) === 'domain');
  const devices = descend(domain, 'devices');
  if (!domain || !devices) throw new Error('not a libvirt domain definition with devices');
  const video = primaryVideo(
    childrenNamed(devices, 'video'),
    (v) => orderedAttribute(child(v, 'model'), 'primary') === 'yes',
  );
  const model = video ? child(video, 'model') : undefined;
  const type = orderedAttribute(model, 'type') ?? '';
  if (!model || !type || type === 'none') throw new Error('the definition has no video device');
  setAttribute(model, 'heads', String(change.heads));
  if (change.framebufferKiB > 0) setAttribute(model, type === 'qxl' ? 'vgamem' : 'vram', String(change.framebufferKiB));
  // libvirt writes <acceleration> before <resolution>; keep that order.
  removeChildren(model, (c) => tagOf(c) === 'resolution');
  const acceleration = child(model, 'acceleration');
  if (change.accel3d) {
    if (acceleration) setAttribute(acceleration, 'accel3d', 'yes');
    else appendChild(model, element('acceleration', { accel3d: 'yes' }));
  } else if (acceleration) {
    removeAttribute(acceleration, 'accel3d');
    // An <acceleration> left with nothing to say goes.
    if (Object.keys(attributesOf(acceleration)).length === 0 && childrenOf(acceleration).length === 0)
      removeChildren(model, (c) => c === acceleration);
  }
  const [width, height] = change.resolution;
  if (width > 0 && height > 0) appendChild(model, element('resolution', { x: String(width), y: String(height) }));
  setGraphicsGl(devices, change.accel3d);
  return buildOrdered(nodes);
}

/**
 * SPICE's own <gl> for a SPICE display shown on this host (no listener, or
 * a unix socket: SPICE GL hands frames over by file descriptor); for any
 * other display (VNC, SPICE on the network) an egl-headless display beside
 * it, which renders off screen (QEMU takes one OpenGL display, not both).
 */
function setGraphicsGl(devices: XmlNode, on: boolean): void {
  const graphics = childrenNamed(devices, 'graphics');
  const localSpice = graphics.filter(
    (g) =>
      orderedAttribute(g, 'type') === 'spice' &&
      childrenNamed(g, 'listen').some((l) => ['none', 'socket'].includes(orderedAttribute(l, 'type') ?? '')),
  );
  for (const g of graphics) {
    if (orderedAttribute(g, 'type') !== 'spice') continue;
    const gl = child(g, 'gl');
    if (on && localSpice.includes(g)) {
      if (gl) setAttribute(gl, 'enable', 'yes');
      else appendChild(g, element('gl', { enable: 'yes' }));
    } else if (gl) removeChildren(g, (c) => c === gl);
  }
  const eglHeadless = (c: XmlNode): boolean =>
    tagOf(c) === 'graphics' && orderedAttribute(c, 'type') === 'egl-headless';
  if (!on || localSpice.length > 0) removeChildren(devices, eglHeadless);
  else if (!childrenOf(devices).some(eglHeadless)) {
    // After the first graphics element, which stays the display viewers are handed.
    const list = childrenOf(devices);
    const first = list.findIndex((c) => tagOf(c) === 'graphics');
    const added = element('graphics', { type: 'egl-headless' });
    const tag = tagOf(devices) as string;
    devices[tag] = first < 0 ? [...list, added] : [...list.slice(0, first + 1), added, ...list.slice(first + 1)];
  }
}
