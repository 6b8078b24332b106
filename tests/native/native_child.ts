/**
 * Child process for tests/native/native_fallback_test.ts: sets up the backend the way scripts do
 * (threaded wasm, so tensors live in shared memory, plus oneDNN when it opens), runs a strided
 * convolution with both gradients and a transposed matMul, and prints one JSON line.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers"; // registers the op gradients
import { setupBackend } from "../../lib/backend.ts";

const info = await setupBackend({ choice: "wasm", quiet: true });
const r = tf.tidy(() => {
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 11 * 11 * 5 }, (_, i) => Math.sin(i * 0.7)), [
    2,
    11,
    11,
    5,
  ]);
  const w = tf.tensor4d(Float32Array.from({ length: 3 * 3 * 5 * 7 }, (_, i) => Math.cos(i * 0.3)), [
    3,
    3,
    5,
    7,
  ]);
  const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same");
  const y = f(x, w);
  const dy = tf.tensor(Float32Array.from({ length: y.size }, (_, i) => Math.sin(i * 1.3)), y.shape);
  const [dx, dw] = tf.grads(f)([x, w], dy);
  const m = tf.matMul(tf.reshape(x, [22, 55]), tf.reshape(x, [22, 55]), true, false);
  return {
    y: Array.from(y.dataSync()),
    dx: Array.from(dx.dataSync()),
    dw: Array.from(dw.dataSync()),
    m: Array.from(m.dataSync()),
  };
});
console.log(
  JSON.stringify({
    name: info.name,
    summary: info.summary,
    native: info.native,
    threads: info.threads,
    ...r,
  }),
);
