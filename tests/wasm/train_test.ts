import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import type * as tfl from "@tensorflow/tfjs-layers";
import { assert, equal } from "../assert.ts";
import { installWasmTrainingKernels } from "../../lib/wasm/mod.ts";
import { buildInception } from "../../lib/models/inception.ts";
import { buildZeilerFergus } from "../../lib/models/zeiler_fergus.ts";
import { halvesDistanceLoss, trainableVariables, trainStep } from "../../bench/train_step.ts";

async function use(backend: "cpu" | "wasm") {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
  if (backend === "wasm") installWasmTrainingKernels();
}

/** Gradients of the benchmark loss with respect to every trainable variable, as plain arrays. */
function gradients(model: tfl.LayersModel, x: tf.Tensor): Float32Array[] {
  const vars = trainableVariables(model);
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(
      () => halvesDistanceLoss(model.apply(x, { training: true, dropoutSeed: 7 }) as tf.Tensor2D),
      vars,
    );
    return vars.map((v) => grads[v.name].dataSync() as Float32Array);
  });
}

function norm(a: Float32Array): number {
  let n = 0;
  for (const v of a) n += v * v;
  return Math.sqrt(n);
}

function diffNorm(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += (a[i] - b[i]) ** 2;
  return Math.sqrt(d);
}

// Narrow versions of the real networks (same layers, strides, pools, LRN, concat) keep this fast.
const NETS = {
  zf: () => buildZeilerFergus({ width: 1 / 16, seed: 3 }),
  inception: () => buildInception({ width: 1 / 16, seed: 3 }),
};

for (const [name, build] of Object.entries(NETS)) {
  Deno.test(`whole-network gradients on wasm match the cpu backend (${name}, narrow)`, async () => {
    await use("cpu");
    const model = build();
    const x = tf.tensor4d(Float32Array.from({ length: 4 * 96 * 96 }, (_, i) => Math.sin(i * 0.37)), [
      4,
      96,
      96,
      1,
    ]);
    const ref = gradients(model, x);
    await use("wasm");
    const got = gradients(model, x);
    equal(got.length, ref.length);
    // Relative to each variable's gradient, with a floor for gradients that are zero up to
    // roundoff (a bias followed by batch norm gets ~1e-7 of cancellation noise on both backends).
    const floor = 1e-5 * Math.max(...ref.map(norm));
    let nonzero = 0;
    for (let i = 0; i < ref.length; i++) {
      const d = diffNorm(got[i], ref[i]);
      const what = `${name} ${trainableVariables(model)[i].name}`;
      assert(d <= 2e-3 * norm(ref[i]) + floor, `${what}: |wasm − cpu| ${d} vs |cpu| ${norm(ref[i])}`);
      if (norm(ref[i]) > 100 * floor) nonzero++;
    }
    assert(
      nonzero > ref.length / 2,
      `${name}: most gradients should be clearly nonzero, got ${nonzero}/${ref.length}`,
    );
    x.dispose();
    model.dispose();
  });
}

Deno.test("training steps on wasm leak no tensors (step 10 vs step 2) and lower the loss", async () => {
  await use("wasm");
  const model = buildZeilerFergus({ width: 1 / 8, seed: 1 });
  const opt = tf.train.sgd(0.05);
  const x = tf.randomNormal([8, 96, 96, 1], 0, 1, "float32", 5);
  const losses: number[] = [];
  let after2 = -1;
  for (let step = 1; step <= 10; step++) {
    const l = trainStep(model, opt, halvesDistanceLoss, x, { dropoutSeed: step });
    losses.push((await l.data())[0]);
    l.dispose();
    if (step === 2) after2 = tf.memory().numTensors;
  }
  equal(tf.memory().numTensors, after2, "live tensors after step 10 vs step 2");
  assert(losses.every(Number.isFinite), `losses ${losses}`);
  assert(losses[9] < losses[0], `loss should fall on a fixed batch: ${losses.map((v) => v.toFixed(4))}`);
  x.dispose();
  opt.dispose();
  model.dispose();
});
