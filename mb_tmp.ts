import * as tf from "@tensorflow/tfjs-core";
import { setupBackend } from "./lib/backend.ts";
import { buildInception } from "./lib/models/inception.ts";
import { computeBatchGradients, chunkRanges } from "./lib/training/step.ts";
import { Rng } from "./lib/rng.ts";
await setupBackend("auto");
const net = buildInception({ seed: 1 });
const opt = tf.train.adam(1e-4);
const vars = net.trainableWeights.map((w) => w.read() as tf.Variable);
const rng = new Rng(1);
const labels = Int32Array.from({ length: 200 }, (_, i) => Math.floor(i / 4));
for (const mb of [Number(Deno.args[0]), Number(Deno.args[0])]) {
  const x = tf.tensor4d(Float32Array.from({ length: 200 * 96 * 96 }, () => rng.uniform(-1, 1)), [200, 96, 96, 1]);
  const t = performance.now();
  const chunks = chunkRanges(200, mb);
  const g = computeBatchGradients(net, opt, vars, x, labels, chunks, chunks.map((_, i) => i), { margin: 0.2, mining: "semi-hard" });
  await g.grads[Object.keys(g.grads)[0]].data();
  console.log(`micro-batch ${mb}: ${((performance.now() - t) / 1000).toFixed(2)} s, loss ${g.loss.toFixed(4)}, wasm memory ${(tf.memory().numBytes / 1e9).toFixed(2)} GB tensors`);
  tf.dispose(Object.values(g.grads));
}
