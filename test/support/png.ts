// Reads the PNG screenshots libvirt takes (8-bit RGB or RGBA, not
// interlaced) into pixels, to check what a guest's screen shows.

import { inflateSync } from 'node:zlib';

export interface Image {
  width: number;
  height: number;
  /** RGB of a pixel. */
  pixel(x: number, y: number): [number, number, number];
}

export function readPng(data: Buffer): Image {
  if (data.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < data.length) {
    const length = data.readUInt32BE(offset);
    const type = data.toString('latin1', offset + 4, offset + 8);
    const body = data.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, color, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
      if (depth !== 8 || (color !== 2 && color !== 6) || interlace !== 0) throw new Error('unsupported PNG');
      channels = color === 2 ? 3 : 4;
    } else if (type === 'IDAT') idat.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i] as number;
      const a = i >= channels ? (out[y * stride + i - channels] as number) : 0;
      const b = y > 0 ? (out[(y - 1) * stride + i] as number) : 0;
      const c = y > 0 && i >= channels ? (out[(y - 1) * stride + i - channels] as number) : 0;
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter] ?? 0;
      out[y * stride + i] = (x + predictor) & 0xff;
    }
  }
  return {
    width,
    height,
    pixel: (x, y) => {
      const at = y * stride + x * channels;
      return [out[at] as number, out[at + 1] as number, out[at + 2] as number];
    },
  };
}

/**
 * Rows where most of the width (of the columns from x0 to x1) is one light,
 * non-white grey: a text menu's highlighted entry, such as GRUB's.
 */
export function highlightedRows(image: Image, x0 = 0, x1 = image.width): number[] {
  const rows: number[] = [];
  for (let y = 0; y < image.height; y++) {
    let grey = 0;
    for (let x = x0; x < x1; x += 4) {
      const [r, g, b] = image.pixel(x, y);
      if (r === g && g === b && r > 64 && r < 250) grey++;
    }
    if (grey > ((x1 - x0) / 4) * 0.6) rows.push(y);
  }
  return rows;
}
