/**
 * Convolution fixtures shared by the wasm kernels' tests and the oneDNN kernels' tests
 * (tests/native/): the same inputs and shapes, so both providers are checked on identical cases.
 */
import * as tf from "@tensorflow/tfjs-core";

/** Deterministic pseudo-random values in [-1, 1) so both backends see identical inputs. */
export function rand(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return a;
}

export interface ConvCase {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  s: number;
  pad: "same" | "valid";
}

/** Gradients of sum(conv2d(x, W) ⊙ dy) with respect to x and W, as plain arrays. */
export function convGrads(
  c: ConvCase,
  seed: number,
): { dx: Float32Array; dw: Float32Array; y: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(rand(c.n * c.h * c.w * c.cin, seed), [c.n, c.h, c.w, c.cin]);
    const w = tf.tensor4d(rand(c.k * c.k * c.cin * c.cout, seed + 1), [c.k, c.k, c.cin, c.cout]);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad);
    const y = f(x, w);
    const dy = tf.tensor(rand(y.size, seed + 2), y.shape);
    const [dx, dw] = tf.grads(f)([x, w], dy);
    return {
      dx: dx.dataSync() as Float32Array,
      dw: dw.dataSync() as Float32Array,
      y: y.dataSync() as Float32Array,
    };
  });
}

// Every kernel/stride the two networks use, at even and odd sizes, plus 'valid' padding.
export const CONV_CASES: ConvCase[] = [];
for (const [k, s] of [[7, 2], [1, 1], [3, 1], [3, 2], [5, 1], [5, 2]]) {
  for (const h of [3, 5, 6, 7, 12, 25]) {
    if (k === 7 && h < 6) continue;
    CONV_CASES.push({ n: 2, h, w: h, cin: 3, cout: 4, k, s, pad: "same" });
  }
}
CONV_CASES.push({ n: 3, h: 24, w: 24, cin: 1, cout: 8, k: 7, s: 2, pad: "same" });
CONV_CASES.push({ n: 2, h: 48, w: 48, cin: 2, cout: 3, k: 7, s: 2, pad: "same" });
CONV_CASES.push({ n: 2, h: 9, w: 7, cin: 5, cout: 3, k: 3, s: 2, pad: "valid" });
CONV_CASES.push({ n: 1, h: 8, w: 11, cin: 2, cout: 6, k: 5, s: 1, pad: "valid" });
CONV_CASES.push({ n: 2, h: 6, w: 10, cin: 4, cout: 3, k: 3, s: 2, pad: "same" });
// Shapes of the networks' stems (7×7×1) at small sizes, and more images than one chunk of the
// filter gradient holds (4096 output positions: 3 images of 35×35 per chunk here, the last short).
CONV_CASES.push({ n: 3, h: 25, w: 23, cin: 1, cout: 52, k: 7, s: 2, pad: "same" });
CONV_CASES.push({ n: 2, h: 14, w: 14, cin: 1, cout: 49, k: 7, s: 2, pad: "valid" });
CONV_CASES.push({ n: 2, h: 9, w: 10, cin: 2, cout: 20, k: 3, s: 1, pad: "same" });
CONV_CASES.push({ n: 7, h: 70, w: 70, cin: 3, cout: 2, k: 5, s: 2, pad: "same" });

/** A conv + bias + ReLU case: input shape, filter shape (HWIO), strides, padding. */
export type ConvBiasReluCase = [number[], number[], number | [number, number], "same" | "valid"];

/**
 * Conv + bias + ReLU cases: odd sizes, a 5×5 stride-2 and a 1×1 with unequal strides; `outs` sets the
 * output channels of each (the oneDNN tests use counts that are not multiples of a SIMD width).
 */
export function convBiasReluCases(outs: [number, number, number]): ConvBiasReluCase[] {
  return [
    [[2, 9, 9, 3], [3, 3, 3, outs[0]], 1, "same"],
    [[2, 12, 11, 4], [5, 5, 4, outs[1]], 2, "same"],
    [[1, 10, 10, 5], [1, 1, 5, outs[2]], [2, 1], "valid"],
  ];
}

/**
 * tf.fused.conv2d with a bias and a ReLU, taped, on the current backend: the output and the gradients
 * of sum(y ⊙ dy) for the input, filter and bias (fixed pseudo-random inputs and dy).
 */
export function convBiasReluGrads(
  [xs, fs, strides, pad]: ConvBiasReluCase,
): { y: Float32Array; dx: Float32Array; df: Float32Array; db: Float32Array } {
  const size = (s: number[]) => s.reduce((p, q) => p * q);
  const [xv, fv, bv] = [rand(size(xs), 5), rand(size(fs), 6), rand(fs[3], 7)].map((a) =>
    a.map((v) => v - 0.5)
  );
  return tf.tidy(() => {
    const conv = (a: tf.Tensor, w: tf.Tensor, c: tf.Tensor) =>
      tf.fused.conv2d({
        x: a as tf.Tensor4D,
        filter: w as tf.Tensor4D,
        bias: c,
        strides,
        pad,
        activation: "relu",
      });
    const args = [tf.tensor(xv, xs), tf.tensor(fv, fs), tf.tensor1d(bv)];
    const y = conv(args[0], args[1], args[2]);
    const dy = tf.tensor(rand(y.size, 8).map((v) => v - 0.5), y.shape);
    const [dx, df, db] = tf.grads(conv)(args, dy).map((g) => g.dataSync() as Float32Array);
    return { y: y.dataSync() as Float32Array, dx, df, db };
  });
}
