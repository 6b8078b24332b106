/**
 * Reader for binary PGM (`P5`) images, the format of the AT&T/ORL faces. The prebuilt libvips in
 * sharp has no PGM loader, so the pixels are read here and handed to sharp as raw data.
 */
import { readFileSync } from "node:fs";

export interface GrayImage {
  width: number;
  height: number;
  /** width × height 8-bit pixels, row-major. */
  pixels: Uint8Array;
}

/** Parse a binary 8-bit PGM; anything else is an error naming the file. */
export function parsePgm(bytes: Uint8Array, file = "image.pgm"): GrayImage {
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (pos < bytes.length && /\s/.test(String.fromCharCode(bytes[pos]))) pos++;
      if (bytes[pos] === 0x23) { // '#' comment to end of line
        while (pos < bytes.length && bytes[pos] !== 0x0a) pos++;
        continue;
      }
      break;
    }
    const start = pos;
    while (pos < bytes.length && !/\s/.test(String.fromCharCode(bytes[pos]))) pos++;
    return String.fromCharCode(...bytes.subarray(start, pos));
  };
  const magic = token();
  if (magic !== "P5") {
    throw new Error(`${file}: not a binary PGM (magic ${JSON.stringify(magic)}, expected "P5")`);
  }
  const width = Number(token());
  const height = Number(token());
  const maxval = Number(token());
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new Error(`${file}: bad PGM size ${width}×${height}`);
  }
  if (maxval !== 255) {
    throw new Error(`${file}: only 8-bit PGM (maxval 255) is supported, got maxval ${maxval}`);
  }
  pos++; // the single whitespace byte before the pixels
  const n = width * height;
  if (bytes.length - pos < n) {
    throw new Error(`${file}: truncated PGM, ${bytes.length - pos} pixel bytes for ${width}×${height}`);
  }
  return { width, height, pixels: bytes.slice(pos, pos + n) };
}

export function readPgm(file: string): GrayImage {
  return parsePgm(readFileSync(file), file);
}
