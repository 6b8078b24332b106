import { assertAllClose, deepEqual, throws } from "../assert.ts";
import { Rng } from "../../lib/rng.ts";
import { identity, inverseSqrt, matMul, symmetricEigen, transpose } from "../../lib/analysis/linalg.ts";

function randomSpd(d: number, seed: number): Float64Array {
  const r = new Rng(seed);
  const a = Float64Array.from({ length: d * d }, () => r.normal());
  const m = matMul(a, transpose(a, d, d), d, d, d); // A Aᵀ: positive semi-definite
  for (let i = 0; i < d; i++) m[i * d + i] += 0.5;
  return m;
}

Deno.test("matMul and transpose on a hand-worked example", () => {
  // [1 2 3; 4 5 6] · [1 0; 0 1; 1 1] = [4 5; 10 11]
  deepEqual(Array.from(matMul([1, 2, 3, 4, 5, 6], [1, 0, 0, 1, 1, 1], 2, 3, 2)), [4, 5, 10, 11]);
  deepEqual(Array.from(transpose([1, 2, 3, 4, 5, 6], 2, 3)), [1, 4, 2, 5, 3, 6]);
  deepEqual(Array.from(identity(2)), [1, 0, 0, 1]);
  throws(() => matMul([1, 2], [1, 2, 3], 1, 2, 2), /matMul/);
});

Deno.test("symmetricEigen: the tridiagonal [2 −1; −1 2 −1; −1 2] has eigenvalues 2 + √2, 2, 2 − √2", () => {
  const m = [2, -1, 0, -1, 2, -1, 0, -1, 2];
  const { values, vectors } = symmetricEigen(m, 3);
  assertAllClose(values, [2 + Math.SQRT2, 2, 2 - Math.SQRT2], 1e-12, "eigenvalues");
  // The eigenvector of 2 is (1, 0, −1)/√2, up to sign.
  const v = [vectors[1], vectors[4], vectors[7]];
  const s = Math.sign(v[0]);
  assertAllClose(v.map((x) => s * x), [Math.SQRT1_2, 0, -Math.SQRT1_2], 1e-12, "eigenvector of 2");
});

Deno.test("symmetricEigen reconstructs a random symmetric matrix with orthonormal vectors", () => {
  const d = 7;
  const m = randomSpd(d, 3);
  const { values, vectors } = symmetricEigen(m, d);
  for (let k = 1; k < d; k++) {
    if (!(values[k] <= values[k - 1])) throw new Error(`eigenvalues not descending at ${k}`);
  }
  const vt = transpose(vectors, d, d);
  assertAllClose(matMul(vt, vectors, d, d, d), identity(d), 1e-10, "VᵀV = I");
  const lam = new Float64Array(d * d);
  for (let k = 0; k < d; k++) lam[k * d + k] = values[k];
  assertAllClose(matMul(matMul(vectors, lam, d, d, d), vt, d, d, d), m, 1e-9, "V Λ Vᵀ = M");
});

Deno.test("inverseSqrt: diagonal by hand, and (M^-1/2)² M = I on a random SPD matrix", () => {
  assertAllClose(inverseSqrt([4, 0, 0, 0.25], 2), [0.5, 0, 0, 2], 1e-12, "diag(4, 1/4)");
  const d = 6;
  const m = randomSpd(d, 11);
  const r = inverseSqrt(m, d);
  assertAllClose(r, transpose(r, d, d), 1e-12, "symmetric");
  assertAllClose(matMul(matMul(r, r, d, d, d), m, d, d, d), identity(d), 1e-9, "R R M = I");
});

Deno.test("inverseSqrt refuses a singular matrix and bad input, naming the problem", () => {
  throws(() => inverseSqrt([1, 1, 1, 1], 2), /not positive definite.*ridge/);
  throws(() => symmetricEigen([1, 2, 3], 2), /3 values for a 2×2/);
  throws(() => symmetricEigen([1, NaN, NaN, 1], 2), /entry 1 is NaN/);
});
