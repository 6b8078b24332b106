import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { assert, equal } from "../assert.ts";
import { installWasmTrainingKernels } from "../../lib/wasm/mod.ts";
import { buildZeilerFergus } from "../../lib/models/zeiler_fergus.ts";
import { halvesDistanceLoss, trainStep } from "../../bench/train_step.ts";
import { assertGradientsClose, NARROW_NETS, networkGradients, probeBatch } from "./network_cases.ts";

async function use(backend: "cpu" | "wasm") {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
  if (backend === "wasm") installWasmTrainingKernels();
}

for (const [name, build] of Object.entries(NARROW_NETS)) {
  Deno.test(`whole-network gradients on wasm match the cpu backend (${name}, narrow)`, async () => {
    await use("cpu");
    const model = build();
    const x = probeBatch();
    const ref = networkGradients(model, x);
    await use("wasm");
    assertGradientsClose(model, networkGradients(model, x), ref, `${name} wasm`);
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
