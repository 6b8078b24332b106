/**
 * 2-D maps of embeddings with UMAP (umap-js, seeded), the nearest-neighbour helpers it is given, and
 * 2-D points as a table. (t-SNE lives in tsne.ts.)
 */
import pl from "nodejs-polars";
import { UMAP } from "umap-js";
import { Rng } from "../rng.ts";
import { rowCount, squaredDistanceMatrix, type Vectors } from "./vectors.ts";

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
