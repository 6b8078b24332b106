/**
 * Embeddings as flat row-major arrays (n × dim), as `embed()` returns them: row counts, L2
 * normalisation and squared L2 distances (0–4 on unit vectors, as in the FaceNet paper), single and as
 * matrices. Used by distances, t-SNE, classifiers, verification and the training's distance snapshots.
 */
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

export function checkLabels(x: Vectors, dim: number, labels: ArrayLike<number>, what = "embeddings"): number {
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

/** The rows `idx` of `x` (n × dim, row-major), in that order, as a new m × dim array. */
export function selectRows(x: Vectors, dim: number, idx: ArrayLike<number>): Float32Array {
  const n = rowCount(x, dim);
  const out = new Float32Array(idx.length * dim);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r];
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`row ${i} outside 0…${n - 1}`);
    out.set(x.subarray(i * dim, (i + 1) * dim), r * dim);
  }
  return out;
}
