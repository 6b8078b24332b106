/** A fixture for training tests (not a test file). */
import type { FaceSet } from "../../lib/data/faceset.ts";

/** Pseudo-random 24×24 faces: 8 identities × 4 images (nothing to learn). */
export function noiseFaces(): FaceSet {
  const n = 32, side = 24;
  const pixels = new Uint8Array(n * side * side);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919 + (i >> 5) * 104729) % 256;
  return {
    pixels,
    n,
    height: side,
    width: side,
    labels: Int32Array.from({ length: n }, (_, i) => i >> 2),
    classNames: Array.from({ length: 8 }, (_, c) => `p${c}`),
    paths: Array.from({ length: n }, (_, i) => `x/${i}.png`),
  };
}
