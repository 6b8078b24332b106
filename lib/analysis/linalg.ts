/**
 * The little dense linear algebra the post-hoc metrics need (lib/verify/metric.ts): square matrices as
 * row-major Float64Arrays, their products, and symmetric eigendecompositions (from ml-matrix, already
 * in the dependency tree through umap-js) with the inverse square root built on them.
 */
import { EigenvalueDecomposition, Matrix } from "ml-matrix";

/** A d × d matrix, row-major. */
export type Square = Float64Array;

function checkSquare(m: ArrayLike<number>, d: number, what: string): void {
  if (!Number.isInteger(d) || d < 1 || m.length !== d * d) {
    throw new RangeError(`${what}: ${m.length} values for a ${d}×${d} matrix`);
  }
  for (let i = 0; i < m.length; i++) {
    if (!Number.isFinite(m[i])) throw new RangeError(`${what}: entry ${i} is ${m[i]}`);
  }
}

/** The d × d identity. */
export function identity(d: number): Square {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) out[i * d + i] = 1;
  return out;
}

/** A (n × k) · B (k × m), row-major. */
export function matMul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
  k: number,
  m: number,
): Float64Array {
  if (a.length !== n * k || b.length !== k * m) {
    throw new RangeError(`matMul: ${a.length} and ${b.length} values for ${n}×${k} · ${k}×${m}`);
  }
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      const v = a[i * k + t];
      if (v === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] += v * b[t * m + j];
    }
  }
  return out;
}

/** The transpose of an n × m matrix. */
export function transpose(a: ArrayLike<number>, n: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j * n + i] = a[i * m + j];
  return out;
}

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** d × d, row-major; column k is the unit eigenvector of values[k]. */
  vectors: Square;
}

/** Eigenvalues and orthonormal eigenvectors of a symmetric d × d matrix (its mean with its transpose,
 * so rounding asymmetry does not matter), largest eigenvalue first. */
export function symmetricEigen(m: ArrayLike<number>, d: number): SymmetricEigen {
  checkSquare(m, d, "symmetricEigen");
  const rows = Array.from(
    { length: d },
    (_, i) => Array.from({ length: d }, (_, j) => (m[i * d + j] + m[j * d + i]) / 2),
  );
  const e = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const vals = e.realEigenvalues;
  const vecs = e.eigenvectorMatrix;
  const order = vals.map((_, k) => k).sort((a, b) => vals[b] - vals[a]);
  const values = Float64Array.from(order, (k) => vals[k]);
  const vectors = new Float64Array(d * d);
  for (let c = 0; c < d; c++) for (let i = 0; i < d; i++) vectors[i * d + c] = vecs.get(i, order[c]);
  return { values, vectors };
}

/**
 * The symmetric inverse square root M^{-1/2} = V Λ^{-1/2} Vᵀ of a symmetric positive-definite matrix.
 * An eigenvalue ≤ `minEigen` (relative to the largest) is an error naming it: add a ridge first.
 */
export function inverseSqrt(m: ArrayLike<number>, d: number, minEigen = 1e-12): Square {
  const { values, vectors } = symmetricEigen(m, d);
  const floor = minEigen * Math.max(values[0], 0);
  if (!(values[d - 1] > floor)) {
    throw new RangeError(
      `inverseSqrt: the matrix is not positive definite (smallest eigenvalue ${values[d - 1]}, ` +
        `largest ${values[0]}); add a ridge`,
    );
  }
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = 1 / Math.sqrt(values[k]);
    for (let i = 0; i < d; i++) {
      const vi = vectors[i * d + k] * s;
      if (vi === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += vi * vectors[j * d + k];
    }
  }
  return out;
}
