/**
 * Child process for wasm_threads_test.ts (a process holds one wasm backend, so the threaded one
 * is started here): sets up wasm with the thread count in argv, runs a convolution and its
 * gradients, prints one JSON line. It must also exit by itself, which the parent checks.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers"; // registers the op gradients
import { setupBackend } from "../lib/backend.ts";

const info = await setupBackend({ choice: "wasm", threads: Number(Deno.args[0]), quiet: true });
const vals = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k));
const x = tf.tensor4d(vals(4 * 25 * 25 * 8, 0.11), [4, 25, 25, 8]);
const w = tf.tensor4d(vals(3 * 3 * 8 * 64, 0.07), [3, 3, 8, 64]);
const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same");
const y = f(x, w);
const [dx, dw] = tf.grads(f)([x, w], tf.onesLike(y));
console.log(JSON.stringify({
  threads: info.threads,
  y: Array.from(y.dataSync()),
  dx: Array.from(dx.dataSync()),
  dw: Array.from(dw.dataSync()),
}));
