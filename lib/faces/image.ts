/**
 * Decoded photos as plain RGB pixel buffers, the common currency of detection, cropping and group
 * photos. JPEG/PNG/WebP/TIFF go through sharp (which also applies EXIF orientation, as phone photos
 * need); binary PGM (the AT&T/ORL faces) goes through `lib/data/pgm.ts`, as sharp cannot read it.
 */
import sharp from "sharp";
import { type GrayImage, parsePgm } from "../data/pgm.ts";

/** An RGB image: `width × height × 3` bytes, row-major, channels interleaved. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Anything `readImage` accepts: a file path, encoded file bytes, or an already-decoded image. */
export type ImageSource = string | Uint8Array | RgbImage;

function isRgbImage(x: ImageSource): x is RgbImage {
  return typeof x === "object" && !(x instanceof Uint8Array) && "data" in x && "width" in x;
}

/** Check that a decoded image's buffer matches its stated size. */
export function checkRgbImage(img: RgbImage, what = "image"): RgbImage {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
    throw new RangeError(`${what}: bad size ${img.width}×${img.height}`);
  }
  if (img.data.length !== img.width * img.height * 3) {
    throw new RangeError(
      `${what}: ${img.data.length} bytes, expected ${img.width}×${img.height}×3 = ${
        img.width * img.height * 3
      }`,
    );
  }
  return img;
}

/** Replicate a grayscale image into the three RGB channels. */
export function grayToRgb(img: GrayImage): RgbImage {
  const data = new Uint8Array(img.width * img.height * 3);
  for (let i = 0; i < img.width * img.height; i++) {
    data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = img.pixels[i];
  }
  return { data, width: img.width, height: img.height };
}

const isPgmBytes = (b: Uint8Array) => b.length >= 2 && b[0] === 0x50 && b[1] === 0x35; // "P5"

/**
 * Decode a photo to RGB. Paths and bytes may be JPEG, PNG, WebP, TIFF, GIF or binary PGM; an error names
 * the file and what went wrong.
 */
export async function readImage(src: ImageSource): Promise<RgbImage> {
  if (isRgbImage(src)) return checkRgbImage(src);
  const name = typeof src === "string" ? src : `image bytes (${src.length} B)`;
  let bytes: Uint8Array | undefined = src instanceof Uint8Array ? src : undefined;
  if (typeof src === "string") {
    try {
      bytes = await Deno.readFile(src);
    } catch (e) {
      throw new Error(`cannot read image ${src}: ${e instanceof Error ? e.message : e}`);
    }
  }
  if (isPgmBytes(bytes!)) return grayToRgb(parsePgm(bytes!, name));
  try {
    const { data, info } = await sharp(bytes!)
      .rotate() // honour EXIF orientation
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
    };
  } catch (e) {
    throw new Error(`cannot decode image ${name}: ${e instanceof Error ? e.message : e}`);
  }
}

/** Encode an RGB image as PNG bytes (for display in notebooks and for writing figures). */
export async function encodePng(img: RgbImage): Promise<Uint8Array> {
  checkRgbImage(img);
  const buf = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png()
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}
