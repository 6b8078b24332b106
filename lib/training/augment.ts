/**
 * Random geometric augmentation of training faces in the spirit of Keras' ImageDataGenerator:
 * small rotations, shifts, zoom and horizontal flips, with bilinear interpolation and 'nearest'
 * fill at the borders (Keras' default). Every random draw comes from the caller's seeded
 * {@link Rng}, so augmentation is reproducible and resumes with the checkpointed RNG state.
 * Output is the network input directly: scaled pixels (see `scalePixel` in models/embed.ts).
 */
import { type ImageBlock, scalePixel } from "../models/embed.ts";
import type { Rng } from "../rng.ts";

export interface AugmentOptions {
  /** Maximum rotation in degrees, either way (default 10). */
  rotation?: number;
  /** Maximum shift as a fraction of the image side, each axis (default 0.1). */
  shift?: number;
  /** Zoom range: the sampling scale is drawn from [1 − zoom, 1 + zoom], the same for both axes (default 0.1). */
  zoom?: number;
  /** Mirror left–right with probability 1/2 (default true). */
  flip?: boolean;
}

/** The transform applied to one image. */
export interface AugmentParams {
  /** Rotation in degrees (counter-clockwise in image coordinates with y down, i.e. as displayed). */
  rotation: number;
  /** Shift in pixels (output = input moved right by dx, down by dy). */
  dx: number;
  dy: number;
  /** Sampling scale: > 1 shows more of the image (zoom out), < 1 zooms in. */
  zoom: number;
  flip: boolean;
}

export const IDENTITY: AugmentParams = { rotation: 0, dx: 0, dy: 0, zoom: 1, flip: false };

/** Draw one image's transform. Always consumes exactly five RNG values, so sequences stay aligned. */
export function sampleAugmentParams(rng: Rng, size: number, opts: AugmentOptions = {}): AugmentParams {
  const rot = opts.rotation ?? 10;
  const shift = (opts.shift ?? 0.1) * size;
  const zoom = opts.zoom ?? 0.1;
  const r = rng.uniform(-rot, rot);
  const dx = rng.uniform(-shift, shift);
  const dy = rng.uniform(-shift, shift);
  const z = rng.uniform(1 - zoom, 1 + zoom);
  const f = rng.next() < 0.5;
  return { rotation: r, dx, dy, zoom: z, flip: (opts.flip ?? true) && f };
}

/**
 * Write the transformed, scaled image `src` (h × w Uint8) into `out` at `offset`.
 * Each output pixel takes the bilinear sample at the inverse-transformed position; positions
 * outside the image read the nearest border pixel.
 */
export function transformImage(
  src: Uint8Array,
  h: number,
  w: number,
  p: AugmentParams,
  out: Float32Array,
  offset = 0,
): void {
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const th = (p.rotation * Math.PI) / 180;
  // Inverse rotation; with y pointing down, a positive angle turns the face counter-clockwise on screen.
  const cos = Math.cos(th) * p.zoom;
  const sin = Math.sin(th) * p.zoom;
  for (let v = 0; v < h; v++) {
    for (let u = 0; u < w; u++) {
      let qx = u - cx;
      const qy = v - cy - p.dy;
      if (p.flip) qx = -qx;
      qx -= p.flip ? -p.dx : p.dx;
      let sx = cos * qx - sin * qy + cx;
      let sy = sin * qx + cos * qy + cy;
      sx = sx < 0 ? 0 : sx > w - 1 ? w - 1 : sx;
      sy = sy < 0 ? 0 : sy > h - 1 ? h - 1 : sy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = x0 + 1 < w ? x0 + 1 : x0;
      const y1 = y0 + 1 < h ? y0 + 1 : y0;
      const fx = sx - x0;
      const fy = sy - y0;
      const a = src[y0 * w + x0] * (1 - fx) + src[y0 * w + x1] * fx;
      const b = src[y1 * w + x0] * (1 - fx) + src[y1 * w + x1] * fx;
      out[offset + v * w + u] = scalePixel(a * (1 - fy) + b * fy);
    }
  }
}

/**
 * The images at `indices`, each randomly transformed (or only scaled if `opts` is false), as one
 * B × h × w Float32Array ready to become a [B, h, w, 1] input tensor.
 */
export function augmentBatch(
  images: ImageBlock,
  indices: ArrayLike<number>,
  rng: Rng,
  opts: AugmentOptions | false = {},
): Float32Array {
  const { height: h, width: w } = images;
  const px = h * w;
  const out = new Float32Array(indices.length * px);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!Number.isInteger(j) || j < 0 || j >= images.n) {
      throw new RangeError(`image index ${j} outside 0…${images.n - 1}`);
    }
    const src = images.pixels.subarray(j * px, (j + 1) * px);
    const p = opts === false ? IDENTITY : sampleAugmentParams(rng, Math.min(h, w), opts);
    transformImage(src, h, w, p, out, i * px);
  }
  return out;
}
