// Reads an X window dump (XWD, as Xvfb -fbdir keeps its screen) into pixels:
// 24- and 32-bit TrueColor, as Xvfb draws at depth 24.

import type { Image } from './png.js';

export function readXwd(data: Buffer): Image {
  const field = (i: number): number => data.readUInt32BE(i * 4);
  const [headerSize, version, width, height, byteOrder, bitsPerPixel, bytesPerLine, colors] = [
    field(0),
    field(1),
    field(4),
    field(5),
    field(7),
    field(11),
    field(12),
    field(19),
  ];
  if (version !== 7 || (bitsPerPixel !== 32 && bitsPerPixel !== 24)) throw new Error('unsupported XWD');
  const [redMask, greenMask, blueMask] = [field(14), field(15), field(16)];
  const start = headerSize + colors * 12;
  const bytes = bitsPerPixel / 8;
  const channel = (value: number, mask: number): number => {
    const shift = Math.log2(mask & -mask);
    return ((value & mask) >>> shift) & 0xff;
  };
  return {
    width,
    height,
    pixel(x, y) {
      const at = start + y * bytesPerLine + x * bytes;
      // byte_order 0: least significant byte first.
      const value =
        bytes === 4
          ? byteOrder === 0
            ? data.readUInt32LE(at)
            : data.readUInt32BE(at)
          : byteOrder === 0
            ? data.readUIntLE(at, 3)
            : data.readUIntBE(at, 3);
      return [channel(value, redMask), channel(value, greenMask), channel(value, blueMask)];
    },
  };
}
