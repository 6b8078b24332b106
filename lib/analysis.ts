/**
 * The numbers behind the embedding pictures: distances between embeddings (single images and people),
 * the distributions of same-identity (++) and different-identity (+−) pair distances with the threshold
 * that separates them best, and 2-D maps (UMAP; t-SNE lives in tsne.ts). Also a generator of synthetic
 * embeddings with known identity structure, used by the tests and the timing runs.
 *
 * Embeddings are flat row-major arrays (n × dim), as `embed()` returns them; distances are squared L2
 * (0–4 on unit vectors) throughout, as in the FaceNet paper.
 */
import pl from "nodejs-polars";
import { UMAP } from "umap-js";
import { mkdirSync, renameSync } from "node:fs";
import { dirname } from "node:path";
import { Rng } from "./rng.ts";

/** n × dim embeddings, row-major. */
export type Vectors = Float32Array | Float64Array;

/** Number of rows of `x` for the given `dim`, with a clear error when the sizes do not fit. */
export function rowCount(x: Vectors, dim: number, what = "embeddings"): number {
  if (!Number.isInteger(dim) || dim < 1) {
    throw new RangeError(`${what}: dim must be a positive integer, got ${dim}`);
  }
  if (x.length % dim !== 0) {
    throw new RangeError(`${what}: length ${x.length} is not a multiple of dim ${dim}`);
  }
  return x.length / dim;
}

function checkLabels(x: Vectors, dim: number, labels: ArrayLike<number>, what = "embeddings"): number {
  const n = rowCount(x, dim, what);
  if (labels.length !== n) throw new RangeError(`${what}: ${n} rows but ${labels.length} labels`);
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0) {
      throw new RangeError(`${what}: label ${i} is ${labels[i]}, expected a non-negative integer`);
    }
  }
  return n;
}

/** Rows scaled to unit length (zero rows stay zero). */
export function l2Normalize(x: Vectors, dim: number): Float32Array {
  const n = rowCount(x, dim);
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += x[i * dim + d] ** 2;
    const f = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dim; d++) out[i * dim + d] = x[i * dim + d] * f;
  }
  return out;
}

/** Squared L2 distance between row i of `a` and row j of `b`. */
export function squaredDistance(a: Vectors, i: number, b: Vectors, j: number, dim: number): number {
  let s = 0;
  const oa = i * dim, ob = j * dim;
  for (let d = 0; d < dim; d++) {
    const t = a[oa + d] - b[ob + d];
    s += t * t;
  }
  return s;
}

function rowNorms(x: Vectors, n: number, dim: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += x[i * dim + d] ** 2;
    out[i] = s;
  }
  return out;
}

function dot(a: Vectors, oa: number, b: Vectors, ob: number, dim: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let d = 0;
  for (; d + 3 < dim; d += 4) {
    s0 += a[oa + d] * b[ob + d];
    s1 += a[oa + d + 1] * b[ob + d + 1];
    s2 += a[oa + d + 2] * b[ob + d + 2];
    s3 += a[oa + d + 3] * b[ob + d + 3];
  }
  for (; d < dim; d++) s0 += a[oa + d] * b[ob + d];
  return s0 + s1 + s2 + s3;
}

/**
 * All squared distances between the rows of `a` (n × dim) and of `b` (m × dim; default `a`), as an
 * n × m row-major Float32Array. Computed as |a|² + |b|² − 2a·b (clamped at 0; the diagonal of a
 * self-distance matrix is exactly 0). 7,606 × 7,606 × 128 takes a few seconds and 231 MB.
 */
export function squaredDistanceMatrix(a: Vectors, dim: number, b?: Vectors): Float32Array {
  const n = rowCount(a, dim, "a");
  const self = b === undefined;
  const bb = b ?? a;
  const m = rowCount(bb, dim, "b");
  const na = rowNorms(a, n, dim);
  const nb = self ? na : rowNorms(bb, m, dim);
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    const j0 = self ? i + 1 : 0;
    for (let j = j0; j < m; j++) {
      const v = Math.max(0, na[i] + nb[j] - 2 * dot(a, i * dim, bb, j * dim, dim));
      out[i * m + j] = v;
      if (self) out[j * m + i] = v;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Synthetic identities

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

// ---------------------------------------------------------------------------------------------------
// ++ / +− pair distances

export interface PairDistances {
  /** Squared distances of all same-identity pairs (i < j). */
  positive: Float64Array;
  /** Squared distances of a uniform sample of different-identity pairs. */
  negative: Float64Array;
  /** Row indices of the pairs, aligned with the arrays above. */
  positivePairs: Int32Array;
  negativePairs: Int32Array;
}

export interface PairDistanceOptions {
  /** How many different-identity pairs to sample (default: as many as there are same-identity pairs,
   * at least 1,000); "all" takes every one (n² / 2 of them: only for small sets). */
  negatives?: number | "all";
  seed?: number;
}

/**
 * All same-identity (++) pair distances and a seeded uniform sample of distinct different-identity (+−)
 * pairs, the two histograms of the slides.
 */
export function pairDistanceDistributions(
  x: Vectors,
  dim: number,
  labels: ArrayLike<number>,
  opts: PairDistanceOptions = {},
): PairDistances {
  const n = checkLabels(x, dim, labels);
  const pos: number[] = [];
  const posPairs: number[] = [];
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const l = byClass.get(labels[i]);
    if (l) l.push(i);
    else byClass.set(labels[i], [i]);
  }
  for (const members of byClass.values()) {
    for (let a = 0; a < members.length; a++) {
      for (let b = a + 1; b < members.length; b++) {
        pos.push(squaredDistance(x, members[a], x, members[b], dim));
        posPairs.push(members[a], members[b]);
      }
    }
  }
  const totalPairs = n * (n - 1) / 2;
  const negTotal = totalPairs - pos.length;
  const neg: number[] = [];
  const negPairs: number[] = [];
  const want = opts.negatives ?? Math.max(1000, pos.length);
  if (want === "all") {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        if (labels[i] !== labels[j]) {
          neg.push(squaredDistance(x, i, x, j, dim));
          negPairs.push(i, j);
        }
      }
    }
  } else {
    if (!Number.isInteger(want) || want < 0) throw new RangeError(`negatives must be ≥ 0, got ${want}`);
    const count = Math.min(want, negTotal);
    const rng = new Rng(opts.seed ?? 0);
    const seen = new Set<number>();
    // Rejection sampling of distinct pairs; fine while the sample is a small part of all pairs.
    if (count > negTotal / 2) {
      throw new RangeError(
        `asked for ${count} of ${negTotal} different-identity pairs: use negatives: "all"`,
      );
    }
    while (neg.length < count) {
      let i = rng.int(n), j = rng.int(n);
      if (i === j || labels[i] === labels[j]) continue;
      if (i > j) [i, j] = [j, i];
      const key = i * n + j;
      if (seen.has(key)) continue;
      seen.add(key);
      neg.push(squaredDistance(x, i, x, j, dim));
      negPairs.push(i, j);
    }
  }
  return {
    positive: Float64Array.from(pos),
    negative: Float64Array.from(neg),
    positivePairs: Int32Array.from(posPairs),
    negativePairs: Int32Array.from(negPairs),
  };
}

export interface SeparatingThreshold {
  /** Call a pair "same" when its distance is < threshold. */
  threshold: number;
  /** (TPR + TNR) / 2 at that threshold: the two samples weigh the same whatever their sizes. */
  balancedAccuracy: number;
  /** Fraction of ++ pairs below the threshold. */
  tpr: number;
  /** Fraction of +− pairs at or above it. */
  tnr: number;
}

/**
 * The threshold that separates ++ from +− distances best, i.e. maximises balanced accuracy, searched
 * exactly over all cut points; the threshold is placed midway between the two neighbouring distances.
 */
export function separatingThreshold(
  positive: ArrayLike<number>,
  negative: ArrayLike<number>,
): SeparatingThreshold {
  const np = positive.length, nn = negative.length;
  if (np === 0 || nn === 0) throw new RangeError(`need both ++ and +− distances, got ${np} and ${nn}`);
  const all = new Float64Array(np + nn);
  const isPos = new Uint8Array(np + nn);
  for (let i = 0; i < np; i++) all[i] = positive[i], isPos[i] = 1;
  for (let i = 0; i < nn; i++) all[np + i] = negative[i];
  const order = Array.from(all.keys()).sort((a, b) => all[a] - all[b]);
  // Threshold below everything: no ++ accepted, all +− rejected.
  let tp = 0, fp = 0;
  let best = { threshold: all[order[0]] - 1e-9, balancedAccuracy: 0.5, tpr: 0, tnr: 1 };
  for (let k = 0; k < order.length; k++) {
    if (isPos[order[k]]) tp++;
    else fp++;
    // Only cut between distinct values.
    if (k + 1 < order.length && all[order[k + 1]] === all[order[k]]) continue;
    const tpr = tp / np, tnr = 1 - fp / nn;
    const ba = (tpr + tnr) / 2;
    if (ba > best.balancedAccuracy) {
      const next = k + 1 < order.length ? all[order[k + 1]] : all[order[k]] + 1e-9;
      best = { threshold: (all[order[k]] + next) / 2, balancedAccuracy: ba, tpr, tnr };
    }
  }
  return best;
}

/** ++ and +− distances as one long table: columns `kind` ("++" / "+-"), `i`, `j`, `distance`. */
export function pairDistancesFrame(p: PairDistances): pl.DataFrame {
  const np = p.positive.length, nn = p.negative.length;
  const kind: string[] = new Array(np + nn);
  const i = new Int32Array(np + nn), j = new Int32Array(np + nn);
  const d = new Float64Array(np + nn);
  for (let k = 0; k < np; k++) {
    kind[k] = "++";
    i[k] = p.positivePairs[2 * k];
    j[k] = p.positivePairs[2 * k + 1];
    d[k] = p.positive[k];
  }
  for (let k = 0; k < nn; k++) {
    kind[np + k] = "+-";
    i[np + k] = p.negativePairs[2 * k];
    j[np + k] = p.negativePairs[2 * k + 1];
    d[np + k] = p.negative[k];
  }
  return pl.DataFrame({ kind, i: pl.Series("i", i, pl.Int32), j: pl.Series("j", j, pl.Int32), distance: d });
}

// ---------------------------------------------------------------------------------------------------
// Distance matrices

export interface IdentityDistances {
  /** The identities in matrix order (label values). */
  classes: number[];
  /** k × k: entry (a, b) is the mean squared distance between images of a and images of b; the diagonal
   * is the mean over distinct pairs within a (NaN for an identity with one image). */
  matrix: Float64Array;
  /** Images per identity, in matrix order. */
  counts: number[];
}

/** Mean embedding distance within and between identities (optionally only the listed ones, in that order). */
export function identityDistanceMatrix(
  x: Vectors,
  dim: number,
  labels: ArrayLike<number>,
  classes?: number[],
): IdentityDistances {
  const n = checkLabels(x, dim, labels);
  const cls = classes ?? [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const pos = new Map(cls.map((c, k) => [c, k]));
  if (pos.size !== cls.length) throw new RangeError(`classes list has duplicates: ${cls}`);
  const members: number[][] = cls.map(() => []);
  for (let i = 0; i < n; i++) {
    const k = pos.get(labels[i]);
    if (k !== undefined) members[k].push(i);
  }
  members.forEach((m, k) => {
    if (m.length === 0) throw new RangeError(`identity ${cls[k]} has no images`);
  });
  // #region exercise 5: Own faces: the distance matrix and the nearest-identity decision
  // Task (distance matrix): return { classes: cls, matrix, counts }: `matrix` is k×k (k = cls.length),
  //   row-major, symmetric; entry (a, b) is the mean squared distance over all pairs of one image of
  //   identity cls[a] and one of cls[b] (members[a] and members[b] list their images); on the
  //   diagonal, over the distinct pairs of two images of the identity (NaN if it has only one).
  //   counts[a] is the number of images of cls[a].
  // Hint: squaredDistance(x, i, x, j, dim) is the squared distance of rows i and j; compute b ≥ a only.
  // Tests: identity and image distance matrices
  const k = cls.length;
  const matrix = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      let s = 0, c = 0;
      for (let p = 0; p < members[a].length; p++) {
        for (let q = a === b ? p + 1 : 0; q < members[b].length; q++) {
          s += squaredDistance(x, members[a][p], x, members[b][q], dim);
          c++;
        }
      }
      matrix[a * k + b] = matrix[b * k + a] = c > 0 ? s / c : NaN;
    }
  }
  return { classes: cls, matrix, counts: members.map((m) => m.length) };
  // #endregion exercise 5
}

/** A square matrix as a long table `row`, `column`, `value` (names label rows and columns). */
export function matrixFrame(matrix: ArrayLike<number>, names: string[]): pl.DataFrame {
  const k = names.length;
  if (matrix.length !== k * k) throw new RangeError(`matrix has ${matrix.length} entries, expected ${k}²`);
  const row: string[] = [], column: string[] = [], value: number[] = [];
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      row.push(names[a]);
      column.push(names[b]);
      value.push(matrix[a * k + b]);
    }
  }
  return pl.DataFrame({ row, column, value });
}

/** Squared distances between the chosen images (k × k, row-major). */
export function imageDistanceMatrix(x: Vectors, dim: number, indices: ArrayLike<number>): Float64Array {
  const n = rowCount(x, dim);
  const k = indices.length;
  for (let a = 0; a < k; a++) {
    if (!Number.isInteger(indices[a]) || indices[a] < 0 || indices[a] >= n) {
      throw new RangeError(`image index ${indices[a]} outside 0…${n - 1}`);
    }
  }
  const out = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      out[a * k + b] = out[b * k + a] = squaredDistance(x, indices[a], x, indices[b], dim);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// 2-D maps

export interface UmapOptions {
  nNeighbors?: number;
  minDist?: number;
  /** Optimisation epochs (umap-js default: 500 below 10,000 points). */
  nEpochs?: number;
  seed?: number;
}

/** Exact k nearest neighbours (self first) by brute force, with Euclidean (not squared) distances. */
export function nearestNeighbours(
  x: Vectors,
  dim: number,
  k: number,
): { indices: number[][]; distances: number[][] } {
  const n = rowCount(x, dim);
  if (k > n) throw new RangeError(`k = ${k} neighbours but only ${n} points`);
  const indices: number[][] = [], distances: number[][] = [];
  const block = 256;
  for (let s = 0; s < n; s += block) {
    const e = Math.min(n, s + block);
    const d = squaredDistanceMatrix(x.subarray(s * dim, e * dim), dim, x);
    for (let i = s; i < e; i++) {
      const row = d.subarray((i - s) * n, (i - s + 1) * n);
      row[i] = -1; // self first, whatever rounding says
      const idx = smallestK(row, k);
      indices.push(idx);
      distances.push(idx.map((j) => j === i ? 0 : Math.sqrt(row[j])));
    }
  }
  return { indices, distances };
}

/** Indices of the k smallest entries, ascending (ties: lower index first). */
export function smallestK(values: ArrayLike<number>, k: number): number[] {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be ≥ 1, got ${k}`);
  const idx: number[] = [];
  const val: number[] = [];
  for (let j = 0; j < values.length; j++) {
    const v = values[j];
    let p: number;
    if (idx.length === k) {
      if (v >= val[k - 1]) continue;
      p = k - 1; // drop the current worst
    } else {
      idx.push(j);
      val.push(v);
      p = idx.length - 1;
    }
    while (p > 0 && val[p - 1] > v) {
      idx[p] = idx[p - 1];
      val[p] = val[p - 1];
      p--;
    }
    idx[p] = j;
    val[p] = v;
  }
  return idx;
}

/**
 * UMAP to 2-D with umap-js, seeded (its random source is a seeded generator, and the neighbour graph
 * is computed exactly here instead of by umap-js's randomised NN-descent). Returns n × 2 row-major.
 */
export function umap2d(x: Vectors, dim: number, opts: UmapOptions = {}): Float32Array {
  const n = rowCount(x, dim);
  const nNeighbors = Math.min(opts.nNeighbors ?? 15, n - 1);
  const rng = new Rng(opts.seed ?? 0);
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors,
    minDist: opts.minDist ?? 0.1,
    random: () => rng.next(),
    ...(opts.nEpochs !== undefined ? { nEpochs: opts.nEpochs } : {}),
  });
  const knn = nearestNeighbours(x, dim, nNeighbors);
  umap.setPrecomputedKNN(knn.indices, knn.distances);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from(x.subarray(i * dim, (i + 1) * dim)));
  const y = umap.fit(rows);
  const out = new Float32Array(n * 2);
  y.forEach((p, i) => {
    out[2 * i] = p[0];
    out[2 * i + 1] = p[1];
  });
  return out;
}

/** 2-D points with labels as a table `x`, `y`, `label`, `name`. */
export function pointsFrame(
  xy: ArrayLike<number>,
  labels: ArrayLike<number>,
  names?: string[],
): pl.DataFrame {
  const n = labels.length;
  if (xy.length !== 2 * n) throw new RangeError(`${xy.length / 2} points but ${n} labels`);
  const xs = new Float64Array(n), ys = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = xy[2 * i], ys[i] = xy[2 * i + 1];
  const label = Int32Array.from(labels);
  return pl.DataFrame({
    x: xs,
    y: ys,
    label: pl.Series("label", label, pl.Int32),
    name: Array.from(label, (l) => names?.[l] ?? String(l)),
  });
}

/** Write a DataFrame as CSV atomically (`path.tmp`, then rename); returns the path. */
export function writeCsv(df: pl.DataFrame, path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  df.writeCSV(tmp);
  renameSync(tmp, path);
  return path;
}
