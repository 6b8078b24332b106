/**
 * Dense-product fixtures shared by the wasm kernels' tests and the oneDNN kernels' tests (tests/native/).
 */
import * as tf from "@tensorflow/tfjs-core";
import { rand } from "./conv_cases.ts";

/** A product's shapes of a and b and whether each is transposed. */
export type MatMulCase = [number[], number[], boolean, boolean];

/** Plain, transposed and batched products, and a dense layer's dy·Wᵀ (taken as (W·dyᵀ)ᵀ, see swapPays). */
export const MATMUL_CASES: MatMulCase[] = [
  [[5, 7], [7, 3], false, false],
  [[7, 5], [7, 3], true, false],
  [[5, 7], [3, 7], false, true],
  [[7, 5], [3, 7], true, true],
  [[2, 7, 5], [2, 3, 7], true, true],
  [[4, 30], [50, 30], false, true],
  [[32, 64], [150, 64], false, true],
];

/** tf.matMul of fixed pseudo-random operands of the case's shapes on the current backend. */
export function matMulProduct([sa, sb, ta, tb]: MatMulCase): Float32Array {
  return tf.tidy(() => {
    const a = tf.tensor(rand(sa.reduce((p, q) => p * q), 1), sa);
    const b = tf.tensor(rand(sb.reduce((p, q) => p * q), 2), sb);
    return tf.matMul(a, b, ta, tb).dataSync() as Float32Array;
  });
}
