import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { equal, ok, throws } from "../assert.ts";
import { dataDependentInit } from "../../lib/models/data_init.ts";
import { buildInception } from "../../lib/models/inception.ts";
import { paramCounts } from "../../lib/models/summary.ts";
import { Rng } from "../../lib/rng.ts";

/** `n` random images in [−1, 1] (the network's input scaling), seeded. */
function images(n: number, size: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(Float32Array.from({ length: n * size * size }, () => rng.uniform(-1, 1)), [
    n,
    size,
    size,
    1,
  ]);
}

/** Output of layer `name` of `model` for `x`, as [rows, channels]. */
function outputOf(model: tfl.LayersModel, name: string, x: tf.Tensor4D): tf.Tensor2D {
  const sub = tfl.model({ inputs: model.inputs, outputs: model.getLayer(name).output as tfl.SymbolicTensor });
  const y = sub.predict(x) as tf.Tensor;
  return tf.reshape(y, [-1, y.shape[y.shape.length - 1]]);
}

const rms = (t: tf.Tensor) => Math.sqrt(tf.mean(tf.square(t)).dataSync()[0]);

Deno.test("dataDependentInit: the linear embedding layer's outputs get mean 0 and std 1 per unit", async () => {
  await tf.setBackend("cpu");
  const m = buildInception({ width: 0.125, inputSize: 32, seed: 3 });
  const before = paramCounts(m);
  const x = images(24, 32, 1);
  const fcBefore = outputOf(m, "fc", x);
  // Glorot weights shrink the signal layer by layer: the embedding layer's outputs start tiny.
  ok(rms(fcBefore) < 0.1, `fc RMS before ${rms(fcBefore)}`);
  const rows = dataDependentInit(m, x, { batchSize: 8 });
  equal(rows.length, m.layers.filter((l) => ["Conv2D", "Dense"].includes(l.getClassName())).length);
  const fc = outputOf(m, "fc", x);
  const { mean, variance } = tf.moments(fc, 0);
  for (const v of mean.dataSync()) ok(Math.abs(v) < 1e-3, `fc unit mean ${v}`);
  for (const v of variance.dataSync()) ok(Math.abs(Math.sqrt(v) - 1) < 1e-3, `fc unit std ${Math.sqrt(v)}`);
  equal(JSON.stringify(paramCounts(m)), JSON.stringify(before));
});

Deno.test("dataDependentInit: ReLU layers keep an O(1) signal to the top, kernels only rescaled per channel", async () => {
  await tf.setBackend("cpu");
  const m = buildInception({ width: 0.125, inputSize: 32, seed: 4 });
  const x = images(24, 32, 2);
  const deep = "inception_5b_3x3";
  const kernelBefore = m.getLayer(deep).getWeights()[0].clone();
  const rmsBefore = rms(outputOf(m, deep, x));
  dataDependentInit(m, x, { batchSize: 8 });
  // A standardised pre-activation z has E[relu(z)²] + E[relu(−z)²] = 1, so the ReLU output's RMS is
  // well above the shrunken signal Glorot weights leave at the top of the stack.
  const rmsAfter = rms(outputOf(m, deep, x));
  ok(rmsBefore < 0.05 && rmsAfter > 0.3 && rmsAfter < 1, `RMS ${rmsBefore} → ${rmsAfter}`);
  // Each output channel's kernel is the old one times one positive number.
  const ratio = tf.reshape(tf.div(m.getLayer(deep).getWeights()[0], kernelBefore), [
    -1,
    kernelBefore.shape[3]!,
  ]);
  const spread = tf.sub(tf.max(ratio, 0), tf.min(ratio, 0)).dataSync();
  const least = tf.min(ratio).dataSync()[0];
  ok(least > 0, `kernel scale ${least}`);
  for (const [c, v] of spread.entries()) {
    ok(v < 1e-3 * tf.max(ratio).dataSync()[0], `channel ${c} spread ${v}`);
  }
});

Deno.test("dataDependentInit: one image is refused", async () => {
  await tf.setBackend("cpu");
  const m = buildInception({ width: 0.125, inputSize: 32 });
  throws(() => dataDependentInit(m, images(1, 32, 0)), /at least 2 images, got 1/);
});

Deno.test('dataDependentInit with layers "conv": the embedding layer keeps its weights', async () => {
  await tf.setBackend("cpu");
  const m = buildInception({ width: 0.125, inputSize: 32, seed: 5 });
  const fc = m.getLayer("fc").getWeights().map((w) => w.clone());
  const x = images(16, 32, 3);
  const rows = dataDependentInit(m, x, { layers: "conv" });
  ok(
    rows.every((r) => m.getLayer(r.layer).getClassName() === "Conv2D") && rows.length > 50,
    `${rows.length} rows`,
  );
  const after = m.getLayer("fc").getWeights();
  for (let i = 0; i < 2; i++) equal(tf.max(tf.abs(tf.sub(after[i], fc[i]))).dataSync()[0], 0);
  // The convolutions below it are standardised, so the embedding layer now sees an O(1) signal.
  ok(rms(outputOf(m, "inception_5b_3x3", x)) > 0.3);
});
