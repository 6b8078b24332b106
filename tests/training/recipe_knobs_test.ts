/**
 * The recipe knobs added for issue #15's pilots: the soft-margin and Euclidean triplet losses, the
 * warm-up/exponential-decay schedule (per batch in the loop), flip-averaged embeddings, the wall-time
 * limit, and the recipes' table (the slides' networks, unchanged defaults).
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertAllClose, assertClose, deepEqual, equal, ok, throws } from "../assert.ts";
import type { FaceSet } from "../../lib/data/faceset.ts";
import { embed } from "../../lib/models/embed.ts";
import { buildZeilerFergus } from "../../lib/models/zeiler_fergus.ts";
import { PROFILES } from "../../lib/config.ts";
import { Rng } from "../../lib/rng.ts";
import {
  checkConfig,
  checkSlidesNetwork,
  describeOptimizer,
  extendsSchedule,
  recipeConfig,
  RECIPES,
  referenceConfig,
  softplus,
  train,
  type TrainConfig,
  trainingConfig,
  tripletLoss,
  warmupExpRate,
} from "../../lib/training/mod.ts";

await tf.setBackend("cpu");

const sp = (x: number) => Math.log(1 + Math.exp(x));

Deno.test("soft-margin batch-hard loss on a hand-worked 1-D example, squared and Euclidean", () => {
  // Points 0, 1, 3, 5 with labels 0, 0, 1, 1. Squared distances: d01 1, d02 9, d03 25, d12 4, d13 16, d23 4.
  // Batch-hard per anchor (hardest positive − hardest negative): 1−9, 1−4, 4−4, 4−16.
  const e = tf.tensor2d([[0], [1], [3], [5]]);
  const y = [0, 0, 1, 1];
  const sq = tripletLoss(y, e, 0.2, "batch-hard", undefined, { softMargin: true });
  assertClose(sq.value, (sp(-8) + sp(-3) + Math.log(2) + sp(-12)) / 4, 1e-6, "squared value");
  assertClose(sq.loss.dataSync()[0], sq.value, 1e-6, "squared tensor");
  equal(sq.triplets, 4);
  equal(sq.active, 0, "no anchor has its positive farther than its negative");
  // Euclidean distances 1, 3, 5, 2, 4, 2: per anchor 1−3, 1−2, 2−2, 2−4.
  const eu = tripletLoss(y, e, 0.2, "batch-hard", undefined, { softMargin: true, distance: "euclidean" });
  assertClose(eu.value, (sp(-2) + sp(-1) + Math.log(2) + sp(-2)) / 4, 1e-6, "Euclidean value");
  assertClose(eu.loss.dataSync()[0], eu.value, 1e-6, "Euclidean tensor");
  // Euclidean with the hinge: only anchor 2 is active, 0 + 0.2.
  const hinge = tripletLoss(y, e, 0.2, "batch-hard", undefined, { distance: "euclidean" });
  assertClose(hinge.value, 0.2 / 4, 1e-6, "Euclidean hinge");
  equal(hinge.active, 1);
  tf.dispose([e, sq.loss, eu.loss, hinge.loss]);
  equal(softplus(800), 800, "softplus does not overflow");
});

Deno.test("the option path with default options equals the default path (value and gradient)", () => {
  const rng = new Rng(5);
  const y = Array.from({ length: 12 }, (_, i) => i % 4);
  const x = tf.tensor2d(Array.from({ length: 12 * 3 }, () => rng.normal()), [12, 3]);
  for (const mining of ["semi-hard", "batch-hard"] as const) {
    const f = (opts?: object) => (e: tf.Tensor) =>
      tripletLoss(y, e as tf.Tensor2D, 0.5, mining, undefined, opts as never).loss;
    const [g0, g1] = [tf.grad(f())(x), tf.grad(f({ softMargin: false, distance: "squared" }))(x)];
    assertAllClose(g1.dataSync(), g0.dataSync(), 1e-6);
    assertClose(f({ distance: "squared", softMargin: false })(x).dataSync()[0], f()(x).dataSync()[0], 1e-6);
  }
  x.dispose();
});

/** Soft-margin loss on Euclidean distances in double precision, straight from the definitions. */
function refSoftEuclid(y: number[], x: number[][], mining: "semi-hard" | "batch-hard"): number {
  const n = y.length;
  const d = x.map((a) => x.map((b) => Math.sqrt(a.reduce((s, v, t) => s + (v - b[t]) ** 2, 0))));
  const terms: number[] = [];
  for (let a = 0; a < n; a++) {
    const negs = d[a].filter((_, j) => y[j] !== y[a]);
    if (mining === "batch-hard") {
      const hp = Math.max(...d[a].filter((_, j) => j !== a && y[j] === y[a]));
      terms.push(sp(hp - Math.min(...negs)));
      continue;
    }
    for (let p = 0; p < n; p++) {
      if (p === a || y[p] !== y[a]) continue;
      const farther = negs.filter((v) => v > d[a][p]);
      terms.push(sp(d[a][p] - (farther.length ? Math.min(...farther) : Math.max(...negs))));
    }
  }
  return terms.reduce((s, v) => s + v, 0) / terms.length;
}

Deno.test("soft-margin Euclidean losses match a double-precision reference, and so do their gradients", () => {
  const rng = new Rng(9);
  const n = 10, dim = 3;
  const y = Array.from({ length: n }, (_, i) => i % 3);
  const x = Array.from({ length: n }, () => Array.from({ length: dim }, () => rng.normal()));
  const opts = { softMargin: true, distance: "euclidean" as const };
  for (const mining of ["semi-hard", "batch-hard"] as const) {
    const r = tripletLoss(y, tf.tensor2d(x), 0.2, mining, undefined, opts);
    assertClose(r.value, refSoftEuclid(y, x, mining), 1e-5, `${mining} value`);
    r.loss.dispose();
    const g = tf.grad((e: tf.Tensor) => tripletLoss(y, e as tf.Tensor2D, 0.2, mining, undefined, opts).loss)(
      tf.tensor2d(x),
    ).arraySync() as number[][];
    const h = 1e-6;
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < dim; t++) {
        const up = x.map((r) => r.slice()), down = x.map((r) => r.slice());
        up[i][t] += h;
        down[i][t] -= h;
        const num = (refSoftEuclid(y, up, mining) - refSoftEuclid(y, down, mining)) / (2 * h);
        assertClose(g[i][t], num, 2e-3, `${mining} dL/dx[${i}][${t}]`);
      }
    }
  }
});

Deno.test("warmupExpRate: exact values of the warm-up, the constant part, the decay and the floor", () => {
  const s = {
    kind: "warmup-exp",
    start: 3e-4,
    warmupSteps: 10,
    decayStart: 100,
    decayEnd: 200,
    end: 3e-7,
  } as const;
  assertClose(warmupExpRate(s, 1), 3e-5, 1e-12);
  assertClose(warmupExpRate(s, 5), 1.5e-4, 1e-12);
  assertClose(warmupExpRate(s, 10), 3e-4, 1e-12);
  assertClose(warmupExpRate(s, 100), 3e-4, 1e-12);
  assertClose(warmupExpRate(s, 150), 3e-4 * Math.sqrt(0.001), 1e-12); // halfway: geometric mean
  assertClose(warmupExpRate(s, 175), 3e-4 * Math.pow(0.001, 0.75), 1e-12);
  equal(warmupExpRate(s, 200), 3e-7);
  equal(warmupExpRate(s, 10_000), 3e-7);
  // Hermans et al.: no warm-up, 3e-4 until step 15000, 3e-7 at 25000.
  const h = { ...s, warmupSteps: 0, decayStart: 15000, decayEnd: 25000 };
  equal(warmupExpRate(h, 1), 3e-4);
  assertClose(warmupExpRate(h, 20000), 3e-4 * Math.pow(0.001, 0.5), 1e-12);
  const cfg = { ...trainingConfig("zf", "full"), optimizer: "adam" as const, schedule: s };
  ok(describeOptimizer(cfg).includes("10 warm-up steps"), describeOptimizer(cfg));
  throws(
    () => checkConfig({ ...cfg, schedule: { ...s, decayEnd: 50 } }),
    /warmupSteps ≤ decayStart < decayEnd/,
  );
});

Deno.test("extendsSchedule: a plan lengthened or shortened before either decay begins, and no other change", () => {
  const s = {
    kind: "warmup-exp",
    start: 1e-4,
    warmupSteps: 0,
    decayStart: 900,
    decayEnd: 1500,
    end: 1e-7,
  } as const;
  const longer = { ...s, decayStart: 1950, decayEnd: 3250 };
  ok(extendsSchedule(s, longer, 350), "350 batches at 1e-4 under both");
  ok(extendsSchedule(s, longer, 900), "the last batch before the decay");
  ok(!extendsSchedule(s, longer, 901), "batch 901 was already decayed under the old plan");
  ok(
    extendsSchedule(longer, s, 900),
    "shortened: the 900 batches so far are before the shorter plan's decay",
  );
  ok(!extendsSchedule(longer, s, 901), "shortened: batch 901 would have decayed under the shorter plan");
  ok(!extendsSchedule(s, { ...longer, start: 3e-5 }, 1), "another rate from the start");
  ok(!extendsSchedule({ ...s, warmupSteps: 100 }, { ...longer, warmupSteps: 200 }, 50), "another warm-up");
  ok(extendsSchedule({ ...s, warmupSteps: 100 }, { ...longer, warmupSteps: 100 }, 50), "the same warm-up");
  ok(!extendsSchedule(s, { kind: "step", start: 1e-4, end: 1e-4, stages: 1 }, 1), "not per batch");
});

Deno.test("a warm restart: the rate after the first plan's end follows the next cycle, from its own step 1", () => {
  const first = referenceConfig("inception", 2000).schedule;
  const restarted = referenceConfig("inception", 2000, [1200]);
  const s = restarted.schedule;
  if (s.kind !== "warmup-exp" || first.kind !== "warmup-exp") throw new Error("per-batch schedules expected");
  equal(restarted.epochs, 64, "3,200 batches of 50 per epoch");
  deepEqual(s.then, {
    kind: "warmup-exp",
    start: 1e-4,
    warmupSteps: 50,
    decayStart: 720,
    decayEnd: 1200,
    end: 1e-4 * 0.001,
  });
  for (const step of [1, 1200, 1500, 2000]) {
    equal(warmupExpRate(s, step), warmupExpRate(first, step), `${step}`);
  }
  // Then the cycle: warm-up 1/50 … 50/50 of the rate, constant to its step 720, 1000-fold decay to 1200.
  assertClose(warmupExpRate(s, 2001), 1e-4 / 50, 1e-18, "first warm-up step");
  assertClose(warmupExpRate(s, 2025), 1e-4 / 2, 1e-18, "halfway up");
  equal(warmupExpRate(s, 2050), 1e-4);
  equal(warmupExpRate(s, 2720), 1e-4);
  assertClose(warmupExpRate(s, 2960), 1e-4 * Math.pow(1e-3, 240 / 480), 1e-15, "halfway down the decay");
  assertClose(warmupExpRate(s, 3200), 1e-7, 1e-18, "the cycle's end");
  assertClose(warmupExpRate(s, 4000), 1e-7, 1e-18, "its floor after it");
  // A finished first plan may go on into the restart: its 2,000 batches had the same rates.
  ok(extendsSchedule(first, s, 2000), "the finished run's 2,000 batches");
  ok(!extendsSchedule(s, first, 2001), "batch 2001 had the restart's rate");
  // The restart's own plan may be lengthened before its decay, like the first.
  const longer = referenceConfig("inception", 2000, [1300]).schedule;
  ok(extendsSchedule(s, longer, 2720), "the restart's last batch before its decay");
  ok(!extendsSchedule(s, longer, 2721), "its decay began");
  // In words, with the rates as typed (1e-4 × 1e-3 is 1.0000000000000001e-7 in floating point).
  equal(
    describeOptimizer(restarted),
    "Adam 0.0001, decaying exponentially from step 1200 to 1e-7 at step 2000; warm restarts: at step 2000 " +
      "back to 0.0001 after 50 warm-up steps, decaying exponentially from step 2720 to 1e-7 at step 3200",
  );
  throws(() => referenceConfig("inception", 2000, [1]), /at least 2 batches/);
  // A second restart follows the first's end, and the run restarted once may go on into it.
  const twice = referenceConfig("inception", 2000, [1200, 800]);
  equal(twice.epochs, 80);
  ok(extendsSchedule(s, twice.schedule, 3200), "the once-restarted run's 3,200 batches");
  assertClose(
    warmupExpRate(twice.schedule as typeof s, 3201),
    1e-4 / 50,
    1e-18,
    "the second restart's warm-up",
  );
  assertClose(warmupExpRate(twice.schedule as typeof s, 4000), 1e-7, 1e-18, "its end");
  throws(
    () => checkConfig({ ...restarted, schedule: { ...s, then: { ...s.then!, decayEnd: 10 } } }),
    /decayStart < decayEnd/,
    "a restart's cycle is checked like the first",
  );
});

/** Identities as stripe patterns plus noise, 16×16. */
function synthetic(ids: number, per: number): FaceSet {
  const rng = new Rng(3);
  const S = 16, n = ids * per;
  const pixels = new Uint8Array(n * S * S);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = Math.floor(i / per);
    for (let p = 0; p < S * S; p++) {
      pixels[i * S * S + p] = Math.max(
        0,
        Math.min(255, 128 + 80 * Math.sin(labels[i] * 0.7 + p) + 20 * rng.normal()),
      );
    }
  }
  return {
    pixels,
    n,
    height: S,
    width: S,
    labels,
    classNames: Array.from({ length: ids }, (_, i) => `p${i}`),
    paths: Array.from({ length: n }, (_, i) => `s/${i}.png`),
  };
}

function tiny(over: Partial<TrainConfig>): Partial<TrainConfig> {
  return {
    modelOptions: { width: 1 / 16, dropout: 0 },
    epochs: 3,
    batchesPerEpoch: 2,
    batchSize: 12,
    k: 3,
    maxIdentities: null,
    optimizer: "adam",
    distanceEpochs: [],
    microBatch: 6,
    augment: false,
    ...over,
  };
}

async function inTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "facenet_knobs_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const quiet = { log: () => {}, progress: false };

Deno.test("the loop sets a warm-up/decay rate per batch, soft-margin Euclidean training runs, resumes exactly", async () => {
  const s = {
    kind: "warmup-exp",
    start: 1e-3,
    warmupSteps: 2,
    decayStart: 3,
    decayEnd: 6,
    end: 1e-6,
  } as const;
  const config = tiny({
    schedule: s,
    mining: "batch-hard",
    loss: { softMargin: true, distance: "euclidean" },
  });
  const faces = synthetic(6, 4);
  await inTemp(async (dir) => {
    const r = await train("zf", faces, { ...quiet, runDir: dir, config });
    // Each epoch's row records the rate of its first batch: steps 1, 3, 5.
    deepEqual(r.history.map((h) => h.lr), [1, 3, 5].map((t) => warmupExpRate(s, t)));
    ok(r.history.every((h) => Number.isFinite(h.loss) && h.loss > 0));
    const w = r.model.getWeights().map((t) => Array.from(t.dataSync()));
    r.model.dispose();
    // The same run in two sessions (stop after 1 epoch, resume) ends with the same weights.
    await inTemp(async (dir2) => {
      (await train("zf", faces, { ...quiet, runDir: dir2, config, stopAfter: 1 })).model.dispose();
      const r2 = await train("zf", faces, { ...quiet, runDir: dir2, config });
      r2.model.getWeights().forEach((t, i) => assertAllClose(t.dataSync(), w[i], 0));
      r2.model.dispose();
    });
  });
});

Deno.test("timeLimitSeconds: 0 starts no epoch; a generous limit finishes the run", async () => {
  const faces = synthetic(6, 4);
  const config = tiny({ schedule: { kind: "step", start: 1e-3, end: 1e-3, stages: 1 } });
  await inTemp(async (dir) => {
    const r = await train("zf", faces, { ...quiet, runDir: dir, config, timeLimitSeconds: 0 });
    equal(r.epochsDone, 0);
    r.model.dispose();
    const r2 = await train("zf", faces, { ...quiet, runDir: dir, config, timeLimitSeconds: 3600 });
    equal(r2.epochsDone, 3);
    r2.model.dispose();
  });
});

/** `faces` with every image mirrored left–right. */
function mirrored(f: FaceSet): FaceSet {
  const px = new Uint8Array(f.pixels.length);
  for (let i = 0; i < f.n; i++) {
    for (let r = 0; r < f.height; r++) {
      for (let c = 0; c < f.width; c++) {
        const o = i * f.height * f.width + r * f.width;
        px[o + c] = f.pixels[o + f.width - 1 - c];
      }
    }
  }
  return { ...f, pixels: px };
}

Deno.test("flip-averaged embeddings: a symmetric image gives the plain embedding; otherwise the normalised mean", async () => {
  const net = buildZeilerFergus({ width: 1 / 16, inputSize: 16, seed: 4 });
  const faces = synthetic(2, 3);
  const sym = { ...faces, pixels: faces.pixels.slice() };
  for (let i = 0; i < sym.n; i++) { // make each image its own mirror image
    for (let r = 0; r < 16; r++) {
      for (let c = 8; c < 16; c++) sym.pixels[i * 256 + r * 16 + c] = sym.pixels[i * 256 + r * 16 + 15 - c];
    }
  }
  assertAllClose(await embed(net, sym, { flip: true }), await embed(net, sym), 1e-5);
  const a = await embed(net, faces);
  const b = await embed(net, mirrored(faces));
  const f = await embed(net, faces, { flip: true, batchSize: 4 });
  const d = 128;
  const want = new Float32Array(a.length);
  for (let i = 0; i < faces.n; i++) {
    let norm = 0;
    for (let t = 0; t < d; t++) norm += (a[i * d + t] + b[i * d + t]) ** 2;
    for (let t = 0; t < d; t++) want[i * d + t] = (a[i * d + t] + b[i * d + t]) / Math.sqrt(norm);
  }
  assertAllClose(f, want, 1e-5);
  ok(a.some((v, i) => Math.abs(v - f[i]) > 1e-4), "the test images are not symmetric");
  net.dispose();
});

Deno.test("recipes: every one is valid for both networks, keeps the slides' parameter counts, and defaults stay unchanged", () => {
  const seen = new Set<string>();
  for (const name of Object.keys(RECIPES)) {
    for (const model of ["zf", "inception"] as const) {
      const cfg = recipeConfig(name, model, 500);
      checkConfig(cfg);
      ok(cfg.heldOut, `${name} leaves the held-out identities out`);
      equal(cfg.epochs * (cfg.batchesPerEpoch as number) >= 500, true);
      const key = `${model}:${JSON.stringify(cfg.modelOptions)}`;
      if (!seen.has(key)) {
        seen.add(key);
        checkSlidesNetwork(model, cfg.modelOptions, 96);
      }
    }
  }
  throws(() => checkSlidesNetwork("zf", { width: 0.5 }, 96), /not the slides' 6705856/);
  throws(() => recipeConfig("nope", "zf"), /unknown recipe "nope"; known: slides-sgd/);
  const h = recipeConfig("hermans-batchhard-soft", "zf", 1000);
  deepEqual(h.schedule, {
    kind: "warmup-exp",
    start: 3e-4,
    warmupSteps: 0,
    decayStart: 600,
    decayEnd: 1000,
    end: 3e-4 * 0.001,
  });
  deepEqual([h.batchSize, h.k, h.mining, h.loss], [72, 4, "batch-hard", {
    softMargin: true,
    distance: "euclidean",
  }]);
  // The profiles' configs carry none of the new knobs, except `full`'s loss (TFA's plain L2) and batches
  // (random images), both the slides': the quick and smoke runs are unchanged.
  for (const p of PROFILES) {
    for (const model of ["zf", "inception"] as const) {
      const c = trainingConfig(model, p);
      const loss = p === "full" ? { softMargin: false, distance: "euclidean" } : undefined;
      const batches = p === "full" ? "random" : undefined;
      deepEqual([c.loss, c.batches, c.heldOut, c.schedule.kind === "warmup-exp"], [
        loss,
        batches,
        undefined,
        false,
      ]);
    }
  }
  // Every recipe draws P×K batches, `slides-sgd` included (it pilots the slides' optimizer on them).
  for (const name of Object.keys(RECIPES)) {
    for (const model of ["zf", "inception"] as const) {
      const c = recipeConfig(name, model, 100);
      // Present and undefined, so that it also overrides `full`'s random batches when `train` merges it.
      ok(Object.hasOwn(c, "batches") && c.batches === undefined, `${name} (${model}): batches ${c.batches}`);
    }
  }
});
