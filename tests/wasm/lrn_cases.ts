/**
 * LRN test cases and the by-definition reference that the wasm (JavaScript) and oneDNN LRN kernels
 * are both checked against.
 */

import * as tf from "@tensorflow/tfjs-core";
import { rand } from "./conv_cases.ts";

/** [NHWC shape, depth radius, bias, alpha, beta]. */
export const LRN_CASES: [number[], number, number, number, number][] = [
  [[2, 3, 3, 7], 2, 1, 1e-4 / 5, 0.75], // Inception's setting (PyTorch size 5)
  [[1, 2, 4, 12], 2, 2, 0.3, 0.75], // large alpha: the second term matters
  [[2, 2, 2, 3], 2, 1, 0.5, 0.5], // window wider than the channels
  [[1, 3, 2, 9], 1, 0.5, 0.2, 0.6], // general beta
  [[1, 1, 2, 1], 3, 1, 0.7, 0.75],
  [[2, 5, 4, 64], 2, 1, 1e-4 / 5, 0.75], // Inception's channel counts: vector-wide channels
  [[1, 3, 3, 35], 2, 2, 0.3, 0.75], // channels not a multiple of the vector width
];

/** y = x·N^−β and its gradient by the definition, one element at a time (float64). */
export function lrnReference(
  x: Float32Array,
  dy: Float32Array,
  depth: number,
  r: number,
  bias: number,
  alpha: number,
  beta: number,
): { y: Float64Array; dx: Float64Array } {
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const norm = (i: number) => {
    const base = i - (i % depth);
    let s = 0;
    for (let k = Math.max(base, i - r); k <= Math.min(base + depth - 1, i + r); k++) s += x[k] * x[k];
    return bias + alpha * s;
  };
  for (let i = 0; i < x.length; i++) y[i] = x[i] * Math.pow(norm(i), -beta);
  // dx_k = Σ_i dy_i ∂y_i/∂x_k, with ∂y_i/∂x_k = δ_ik N_i^−β − 2αβ x_i x_k N_i^(−β−1) for k in i's window
  for (let i = 0; i < x.length; i++) {
    const base = i - (i % depth);
    const n = norm(i);
    for (let k = Math.max(base, i - r); k <= Math.min(base + depth - 1, i + r); k++) {
      let d = -2 * alpha * beta * x[i] * x[k] * Math.pow(n, -beta - 1);
      if (k === i) d += Math.pow(n, -beta);
      dx[k] += dy[i] * d;
    }
  }
  return { y, dx };
}

/**
 * One case's inputs, its name, the by-definition result, and `run`: LRN and its gradient through
 * tfjs on whichever backend is active.
 */
export function lrnCase([shape, r, bias, alpha, beta]: (typeof LRN_CASES)[number]) {
  const n = shape.reduce((p, q) => p * q);
  const xs = rand(n, n + 1).map((v) => 2 * v);
  const dys = rand(n, n + 2);
  const run = () =>
    tf.tidy(() => {
      const x = tf.tensor4d(xs, shape as [number, number, number, number]);
      const f = (a: tf.Tensor) => tf.localResponseNormalization(a as tf.Tensor4D, r, bias, alpha, beta);
      return { y: f(x).dataSync(), dx: tf.grad(f)(x, tf.tensor(dys, shape)).dataSync() };
    });
  return {
    xs,
    dys,
    what: `LRN ${shape} r${r} bias${bias} alpha${alpha} beta${beta}`,
    want: lrnReference(xs, dys, shape[3], r, bias, alpha, beta),
    run,
  };
}
