import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assertAllClose, equal, match } from "../assert.ts";
import { describeOptimizer, LambOptimizer, makeOptimizer, setLearningRate } from "../../lib/training/mod.ts";
import { recipeConfig } from "../../lib/training/recipes.ts";

/** LAMB written out in float64 from the paper's Algorithm 2 (no weight decay), one tensor at a time. */
function lambReference(
  w0: number[],
  grads: number[][],
  lr: number,
  b1 = 0.9,
  b2 = 0.999,
  eps = 1e-7,
): number[] {
  const w = [...w0];
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  grads.forEach((g, t) => {
    for (let i = 0; i < w.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    }
    const r = w.map((_, i) => (m[i] / (1 - b1 ** (t + 1))) / (Math.sqrt(v[i] / (1 - b2 ** (t + 1))) + eps));
    const wn = Math.hypot(...w);
    const rn = Math.hypot(...r);
    const trust = wn > 0 && rn > 0 ? wn / rn : 1;
    for (let i = 0; i < w.length; i++) w[i] -= lr * trust * r[i];
  });
  return w;
}

Deno.test("LAMB matches the paper's update, with ratio 1 for a tensor at zero", async () => {
  await tf.setBackend("cpu");
  const kernel0 = [0.05, -0.025, 0.0125, 0.2]; // ‖w‖ ≈ 0.21, a tenth of Adam's first ‖r‖ (2)
  const bias0 = [0, 0];
  const kernel = tf.variable(tf.tensor1d(kernel0), true, "lamb_test/kernel");
  const bias = tf.variable(tf.tensor1d(bias0), true, "lamb_test/bias");
  const gk = [[0.1, -0.3, 0.02, 1], [0.2, 0.1, -0.05, 0.5], [-0.1, 0.4, 0.01, 0.7]];
  const gb = [[1e-3, -2e-3], [5e-4, 1e-3], [2e-3, -1e-3]];
  const opt = new LambOptimizer(0.01);
  for (let t = 0; t < 3; t++) {
    opt.applyGradients({ "lamb_test/kernel": tf.tensor1d(gk[t]), "lamb_test/bias": tf.tensor1d(gb[t]) });
  }
  assertAllClose(await kernel.data(), lambReference(kernel0, gk, 0.01), 1e-6);
  // The bias starts at zero, so its first step is Adam's (ratio 1), and later ones scale to its norm.
  assertAllClose(await bias.data(), lambReference(bias0, gb, 0.01), 1e-6);
  // Its kernel moved by the rate times its norm at each step: ‖Δw‖ ≈ 0.01 ‖w‖ (Adam would move each entry ~0.01).
  const step = Math.hypot(...(await kernel.data()).map((x, i) => x - kernel0[i]));
  equal(step > 0.01 * Math.hypot(...kernel0) && step < 0.04 * Math.hypot(...kernel0), true);
  opt.dispose();
  tf.dispose([kernel, bias]);
});

Deno.test("LAMB through a config: built, described, and its rate set like Adam's", async () => {
  await tf.setBackend("cpu");
  const cfg = recipeConfig("semihard-200-lamb", "inception", 1000);
  equal(cfg.optimizer, "lamb");
  const opt = makeOptimizer(cfg);
  equal((opt.constructor as typeof LambOptimizer).className, "Lamb");
  match(describeOptimizer(cfg), /^LAMB 0\.003, decaying exponentially from step 600/);
  const w = tf.variable(tf.tensor1d([1, 1]), true, "lamb_test/rate");
  setLearningRate(opt, 0.1);
  opt.applyGradients({ "lamb_test/rate": tf.tensor1d([1, 1]) });
  // One step at 0.1: r = (1, 1) (Adam's first step), trust = ‖w‖/‖r‖ = 1, so w = 1 − 0.1.
  assertAllClose(await w.data(), [0.9, 0.9], 1e-5);
  opt.dispose();
  w.dispose();
});
