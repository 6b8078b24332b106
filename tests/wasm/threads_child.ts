/**
 * Child process for threads_test.ts (a process holds one wasm backend, so the threaded one
 * is started here): sets up wasm with the thread count in argv, runs a convolution and its
 * gradients, a max-pool gradient, local response normalisation with its gradient and ReLU's (the
 * JavaScript loops that run on two threads with the threaded build), prints one JSON line. It must
 * also exit by itself, which the parent checks.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers"; // registers the op gradients
import { setupBackend } from "../../lib/backend.ts";
import { splitLoopCount } from "../../lib/wasm/parallel.ts";

const info = await setupBackend({ choice: "wasm", threads: Number(Deno.args[0]), quiet: true });
const vals = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k));
const x = tf.tensor4d(vals(4 * 25 * 25 * 8, 0.11), [4, 25, 25, 8]);
const w = tf.tensor4d(vals(3 * 3 * 8 * 64, 0.07), [3, 3, 8, 64]);
const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same");
const y = f(x, w);
const [dx, dw] = tf.grads(f)([x, w], tf.onesLike(y));
// Few distinct values (ties in the pooling windows), as after a ReLU.
const p = tf.tensor4d(vals(6 * 24 * 24 * 32, 0.37).map((v) => Math.round(3 * v)), [6, 24, 24, 32]);
const pool = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 3, 2, "same");
const dpool = tf.grad(pool)(p, tf.tensor(vals(6 * 12 * 12 * 32, 0.05), [6, 12, 12, 32]));
const lrn = (a: tf.Tensor) => tf.localResponseNormalization(a as tf.Tensor4D, 2, 1, 0.2, 0.75);
const dlrn = tf.grad(lrn)(p, tf.tensor(vals(p.size, 0.13), p.shape));
const drelu = tf.grad((a: tf.Tensor) => tf.relu(a))(p, tf.tensor(vals(p.size, 0.17), p.shape));
console.log(JSON.stringify({
  threads: info.threads,
  y: Array.from(y.dataSync()),
  dx: Array.from(dx.dataSync()),
  dw: Array.from(dw.dataSync()),
  dpool: Array.from(dpool.dataSync()),
  lrn: Array.from(lrn(p).dataSync()),
  dlrn: Array.from(dlrn.dataSync()),
  drelu: Array.from(drelu.dataSync()),
  splitLoops: splitLoopCount(),
}));
