/**
 * Max-pooling fixtures shared by the wasm kernels' tests and the oneDNN kernels' tests (tests/native/).
 */
import * as tf from "@tensorflow/tfjs-core";
import { rand } from "./conv_cases.ts";

/** Input shape, window, stride and padding of one max pooling. */
export type PoolCase = [number[], number, number, "same" | "valid"];

/** The networks' 3×3 stride-2 pools at odd and even sizes, a stride-1 one, and a 2×2 'valid' one. */
export const POOL_CASES: PoolCase[] = [
  [[2, 7, 7, 3], 3, 2, "same"],
  [[2, 6, 6, 5], 3, 1, "same"],
  [[1, 12, 12, 4], 3, 2, "same"],
  [[2, 25, 25, 2], 3, 2, "same"],
  [[2, 9, 8, 3], 2, 2, "valid"],
];

/**
 * tf.maxPool and its gradient (for a fixed pseudo-random dy) on the current backend. The input has few
 * distinct levels and many zeros, as after a ReLU, which forces ties inside windows.
 */
export function maxPoolAndGrad([shape, k, s, pad]: PoolCase): { y: Float32Array; dx: Float32Array } {
  const n = shape.reduce((p, q) => p * q);
  const xs = rand(n, n).map((v) => Math.max(0, Math.round(v * 3)));
  return tf.tidy(() => {
    const x = tf.tensor4d(xs, shape as [number, number, number, number]);
    const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, k, s, pad);
    const dy = tf.tensor(rand(f(x).size, 9), f(x).shape);
    return { y: f(x).dataSync() as Float32Array, dx: tf.grad(f)(x, dy).dataSync() as Float32Array };
  });
}
