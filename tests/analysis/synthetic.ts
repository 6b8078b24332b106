/**
 * Synthetic embeddings with known identity structure (Zipf-sized identities around random unit
 * centres), for the tests of the analysis, t-SNE and classifiers.
 */
import { Rng } from "../../lib/rng.ts";

export interface SyntheticOptions {
  /** Number of identities (default 901, as LFW people with ≥ 3 images). */
  classes?: number;
  /** Total number of embeddings (default 7,606). */
  total?: number;
  dim?: number;
  /** Smallest and largest identity size (default 2 and 530, LFW's George W Bush). */
  minSize?: number;
  maxSize?: number;
  /** Noise added around each identity's centre before re-normalising: per-coordinate standard deviation
   * is spread / √dim (default 1.6: about 85 % KNN accuracy at the default size). Larger is harder. */
  spread?: number;
  seed?: number;
}

export interface SyntheticIdentities {
  /** total × dim unit vectors, grouped by identity (identity 0 first). */
  x: Float32Array;
  labels: Int32Array;
  dim: number;
  /** Members per identity, decreasing (Zipf-like). */
  sizes: number[];
  /** classes × dim unit centres. */
  centres: Float32Array;
}

/** Identity sizes following size_r ≈ maxSize · r^−a (clamped to minSize), with `a` chosen to hit `total`. */
export function zipfSizes(classes: number, total: number, minSize: number, maxSize: number): number[] {
  if (classes * minSize > total || maxSize + (classes - 1) * minSize > total) {
    throw new RangeError(`cannot split ${total} items into ${classes} classes of ${minSize}…${maxSize}`);
  }
  const sizesFor = (a: number) =>
    Array.from({ length: classes }, (_, r) => Math.max(minSize, Math.round(maxSize * (r + 1) ** -a)));
  const sum = (s: number[]) => s.reduce((p, c) => p + c, 0);
  let lo = 0, hi = 20;
  for (let it = 0; it < 100; it++) {
    const mid = (lo + hi) / 2;
    if (sum(sizesFor(mid)) > total) lo = mid;
    else hi = mid;
  }
  const sizes = sizesFor(hi);
  // Rounding leaves a small remainder: spread it over the classes after the largest.
  let diff = total - sum(sizes);
  for (let r = 1; diff !== 0; r = r % (classes - 1) + 1) {
    const step = Math.sign(diff);
    if (sizes[r] + step >= minSize && sizes[r] + step <= maxSize) {
      sizes[r] += step;
      diff -= step;
    }
  }
  return sizes.sort((p, q) => q - p);
}

/**
 * Unit vectors in identity clusters: random unit centres (nearly orthogonal in 128-d) plus Gaussian
 * noise, re-normalised. With the defaults it has the shape of the LFW ≥ 3-images set the slides
 * classify (7,606 × 128, 901 identities, 2–530 images each).
 */
export function syntheticIdentities(opts: SyntheticOptions = {}): SyntheticIdentities {
  const classes = opts.classes ?? 901;
  const total = opts.total ?? 7606;
  const dim = opts.dim ?? 128;
  const spread = opts.spread ?? 1.6;
  const rng = new Rng(opts.seed ?? 0);
  const sizes = zipfSizes(classes, total, opts.minSize ?? 2, opts.maxSize ?? 530);
  const centres = new Float32Array(classes * dim);
  const x = new Float32Array(total * dim);
  const labels = new Int32Array(total);
  const c = new Float64Array(dim);
  const v = new Float64Array(dim);
  let row = 0;
  for (let k = 0; k < classes; k++) {
    let s = 0;
    for (let d = 0; d < dim; d++) {
      c[d] = rng.normal();
      s += c[d] * c[d];
    }
    for (let d = 0; d < dim; d++) c[d] /= Math.sqrt(s);
    centres.set(c, k * dim);
    for (let j = 0; j < sizes[k]; j++, row++) {
      let t = 0;
      for (let d = 0; d < dim; d++) {
        v[d] = c[d] + spread * rng.normal() / Math.sqrt(dim);
        t += v[d] * v[d];
      }
      for (let d = 0; d < dim; d++) x[row * dim + d] = v[d] / Math.sqrt(t);
      labels[row] = k;
    }
  }
  return { x, labels, dim, sizes, centres };
}
