// How a guest's display reaches whoever looks at it, with or without 3D, as
// libvirt's <graphics> elements. QEMU draws 3D (virgl) into OpenGL
// textures; SPICE's own GL hands them to a viewer by file descriptor, so it
// works only for a viewer on this host (no listener, or a unix socket);
// for a viewer on another computer, egl-headless renders the same 3D off
// screen and copies each frame into a display that does listen on the
// network, without GL (libvirt's formatdomain, "egl-headless"). The three
// shapes:
//   local    SPICE with no listener: viewers attach through libvirt
//            (OpenGraphicsFD), as every guest of ours is shown today;
//   socket   SPICE on a unix socket of the host, for a relay of ours;
//   network  SPICE listening on an address, for another computer (issue
//            21's sharing builds on this: its credential and TLS go there),
//            3D then through egl-headless beside it.
// Pure; the values are checked by the caller.

import { xmlBuilder } from '../xml/plain.js';

export type DisplayReach =
  { kind: 'local' } | { kind: 'socket'; socket: string } | { kind: 'network'; address: string };

export interface DisplayShape {
  reach: DisplayReach;
  accel3d: boolean;
  /** The DRM render node 3D uses (/dev/dri/renderD128); undefined: libvirt picks the host's first. */
  renderNode?: string;
}

/** The <graphics> elements of a display of this shape, in the order a viewer finds them (the one it opens first). */
export function graphicsXml(shape: DisplayShape): string {
  const gl = (enable: boolean): Record<string, string> => ({
    ...(enable ? { '@_enable': 'yes' } : {}),
    ...(shape.renderNode ? { '@_rendernode': shape.renderNode } : {}),
  });
  const { reach } = shape;
  const listen =
    reach.kind === 'local'
      ? { '@_type': 'none' }
      : reach.kind === 'socket'
        ? { '@_type': 'socket', '@_socket': reach.socket }
        : { '@_type': 'address', '@_address': reach.address };
  const spiceGl = shape.accel3d && reach.kind !== 'network';
  const spice = {
    '@_type': 'spice',
    ...(reach.kind === 'network' ? { '@_autoport': 'yes' } : {}),
    listen,
    image: { '@_compression': 'off' },
    ...(spiceGl ? { gl: gl(true) } : {}),
  };
  const elements: Record<string, unknown>[] = [{ graphics: spice }];
  // For another computer, 3D is rendered off screen and sent as plain frames.
  if (shape.accel3d && reach.kind === 'network')
    elements.push({ graphics: { '@_type': 'egl-headless', ...(shape.renderNode ? { gl: gl(false) } : {}) } });
  return elements.map((e) => xmlBuilder.build(e) as string).join('');
}
