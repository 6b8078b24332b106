/**
 * Post-hoc linear metrics for verification, fitted on labelled embeddings of the training people and
 * applied to new ones as y = A (x − μ), then L2-normalised, so that squared distances stay in 0…4 (the
 * threshold grid of verification.ts) and cosine and squared-L2 scoring rank pairs alike:
 *
 * - **WCCN** (within-class covariance normalisation, Hatch et al. 2006): A = (W + r)^{-1/2}, so that the
 *   within-class covariance W becomes the identity: directions in which one person's images vary are
 *   shrunk, directions in which they agree are stretched.
 * - **LDA** (Fisher's linear discriminant): the `dims` directions with the largest ratio of between- to
 *   within-class variance, A = U_kᵀ (W + r)^{-1/2} with U_k the top eigenvectors of the whitened
 *   between-class covariance. With `dims` equal to the input size it is WCCN up to a rotation, so only
 *   smaller `dims` are a different metric.
 *
 * W and the between-class covariance B average over people, not images (every person weighs the same,
 * so LFW's 530 photos of one person do not set the metric): W = mean over people of their images'
 * covariance about their mean; B = covariance of the people's means about the mean of those means;
 * people with one image have no within-class variation and are left out of both. μ is the mean of all
 * the training embeddings. The ridge r = `ridge` × (trace W / d) × I (default 1e-3, relative so that it
 * does not depend on the embeddings' scale) keeps W invertible when an embedding collapses.
 */
import { inverseSqrt, matMul, symmetricEigen } from "../analysis/linalg.ts";
import { checkLabels, l2Normalize, type Vectors } from "../analysis/vectors.ts";

/** Default ridge, relative to the mean within-class variance per dimension. */
export const METRIC_RIDGE = 1e-3;

/** A fitted linear metric: y = A (x − μ), then L2-normalised. */
export interface LinearMetric {
  kind: "wccn" | "lda";
  inDim: number;
  outDim: number;
  /** outDim × inDim, row-major. */
  matrix: Float64Array;
  /** The training embeddings' mean (inDim). */
  mean: Float64Array;
}

/** The within- and between-class covariances (per-person averages, see the module) and the mean. */
export interface ClassScatter {
  within: Float64Array;
  between: Float64Array;
  mean: Float64Array;
  /** People with ≥ 2 images (those that count). */
  classes: number;
}

/** W, B and μ of labelled embeddings; fewer than two people with ≥ 2 images is an error. */
export function classScatter(x: Vectors, dim: number, labels: ArrayLike<number>): ClassScatter {
  const n = checkLabels(x, dim, labels);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let t = 0; t < dim; t++) mean[t] += x[i * dim + t] / n;
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const g = members.get(labels[i]);
    if (g) g.push(i);
    else members.set(labels[i], [i]);
  }
  const groups = [...members.values()].filter((g) => g.length >= 2);
  if (groups.length < 2) {
    throw new RangeError(`a metric needs at least 2 people with ≥ 2 images, got ${groups.length}`);
  }
  const within = new Float64Array(dim * dim);
  const means = groups.map((g) => {
    const mu = new Float64Array(dim);
    for (const i of g) for (let t = 0; t < dim; t++) mu[t] += x[i * dim + t] / g.length;
    const c = new Float64Array(dim);
    for (const i of g) {
      for (let t = 0; t < dim; t++) c[t] = x[i * dim + t] - mu[t];
      const w = 1 / (g.length * groups.length);
      for (let a = 0; a < dim; a++) {
        const ca = c[a] * w;
        for (let b = 0; b < dim; b++) within[a * dim + b] += ca * c[b];
      }
    }
    return mu;
  });
  const grand = new Float64Array(dim);
  for (const mu of means) for (let t = 0; t < dim; t++) grand[t] += mu[t] / means.length;
  const between = new Float64Array(dim * dim);
  const c = new Float64Array(dim);
  for (const mu of means) {
    for (let t = 0; t < dim; t++) c[t] = mu[t] - grand[t];
    for (let a = 0; a < dim; a++) {
      const ca = c[a] / means.length;
      for (let b = 0; b < dim; b++) between[a * dim + b] += ca * c[b];
    }
  }
  return { within, between, mean, classes: groups.length };
}

/** `m` + ridge × (trace m / d) × I. */
function withRidge(m: Float64Array, d: number, ridge: number): Float64Array {
  if (!(ridge >= 0)) throw new RangeError(`ridge must be ≥ 0, got ${ridge}`);
  let tr = 0;
  for (let i = 0; i < d; i++) tr += m[i * d + i];
  const out = Float64Array.from(m);
  for (let i = 0; i < d; i++) out[i * d + i] += ridge * (tr / d);
  return out;
}

/** WCCN fitted on labelled embeddings (see the module). */
export function fitWccn(
  x: Vectors,
  dim: number,
  labels: ArrayLike<number>,
  opts: { ridge?: number } = {},
): LinearMetric {
  const s = classScatter(x, dim, labels);
  const matrix = inverseSqrt(withRidge(s.within, dim, opts.ridge ?? METRIC_RIDGE), dim);
  return { kind: "wccn", inDim: dim, outDim: dim, matrix, mean: s.mean };
}

/** LDA to `dims` dimensions fitted on labelled embeddings (see the module). */
export function fitLda(
  x: Vectors,
  dim: number,
  labels: ArrayLike<number>,
  opts: { dims: number; ridge?: number },
): LinearMetric {
  const k = opts.dims;
  if (!Number.isInteger(k) || k < 1 || k > dim) {
    throw new RangeError(`LDA dims must be an integer in 1…${dim}, got ${k}`);
  }
  const s = classScatter(x, dim, labels);
  const white = inverseSqrt(withRidge(s.within, dim, opts.ridge ?? METRIC_RIDGE), dim);
  // Whitened between-class covariance W^{-1/2} B W^{-1/2}; its top eigenvectors are the LDA directions.
  const m = matMul(matMul(white, s.between, dim, dim, dim), white, dim, dim, dim);
  const { vectors } = symmetricEigen(m, dim);
  const top = new Float64Array(k * dim); // U_kᵀ: row c is eigenvector c
  for (let c = 0; c < k; c++) for (let i = 0; i < dim; i++) top[c * dim + i] = vectors[i * dim + c];
  return { kind: "lda", inDim: dim, outDim: k, matrix: matMul(top, white, k, dim, dim), mean: s.mean };
}

/** y = A (x − μ) for every row of `x`, L2-normalised: n × outDim. */
export function applyMetric(m: LinearMetric, x: Vectors, dim: number): Float32Array {
  if (dim !== m.inDim) throw new RangeError(`metric fitted on ${m.inDim}-d embeddings, got ${dim}-d`);
  const n = x.length / dim;
  if (!Number.isInteger(n)) throw new RangeError(`${x.length} values are not rows of ${dim}`);
  const out = new Float64Array(n * m.outDim);
  const c = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < dim; t++) c[t] = x[i * dim + t] - m.mean[t];
    for (let r = 0; r < m.outDim; r++) {
      let s = 0;
      for (let t = 0; t < dim; t++) s += m.matrix[r * dim + t] * c[t];
      out[i * m.outDim + r] = s;
    }
  }
  return l2Normalize(out, m.outDim);
}
