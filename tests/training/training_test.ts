import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertAllClose, assertClose, deepEqual, equal, match, ok, rejects, throws } from "../assert.ts";
import type { FaceSet } from "../../lib/data/faceset.ts";
import { Rng } from "../../lib/rng.ts";
import { buildInception } from "../../lib/models/inception.ts";
import {
  chunkRanges,
  computeBatchGradients,
  describeOptimizer,
  initialSchedule,
  listDistanceEpochs,
  loadCheckpoint,
  loadDistances,
  makeOptimizer,
  nextSchedule,
  recipeConfig,
  referenceConfig,
  setLearningRate,
  stepLearningRate,
  train,
  type TrainConfig,
  trainingConfig,
  TrainingDivergedError,
} from "../../lib/training/mod.ts";

const SIZE = 24;

/** Identities as distinct stripe patterns plus per-image noise: learnable by a tiny net. */
function syntheticFaces(ids: number, per: number, seed = 1): FaceSet {
  const rng = new Rng(seed);
  const n = ids * per;
  const px = SIZE * SIZE;
  const pixels = new Uint8Array(n * px);
  const labels = new Int32Array(n);
  for (let c = 0; c < ids; c++) {
    const fx = rng.uniform(0.1, 0.8), fy = rng.uniform(0.1, 0.8), ph = rng.uniform(0, 6);
    for (let k = 0; k < per; k++) {
      const i = c * per + k;
      labels[i] = c;
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          const v = 128 + 90 * Math.sin(fx * x + fy * y + ph) + 25 * rng.normal();
          pixels[i * px + y * SIZE + x] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
  }
  return {
    pixels,
    n,
    height: SIZE,
    width: SIZE,
    labels,
    classNames: Array.from({ length: ids }, (_, i) => `person_${i}`),
    paths: Array.from({ length: n }, (_, i) => `synthetic/${i}.png`),
  };
}

/** A tiny but complete configuration: same code paths as a real run (BN, dropout, micro-batches). */
function tinyConfig(over: Partial<TrainConfig> = {}): Partial<TrainConfig> {
  return {
    modelOptions: { width: 1 / 16 },
    epochs: 2,
    batchesPerEpoch: 3,
    batchSize: 12,
    k: 3,
    maxIdentities: null,
    schedule: { kind: "step", start: 0.05, end: 0.005, stages: 2 },
    distanceEpochs: [0, 2],
    distanceImages: 16,
    distancePairs: 50,
    embedBatchSize: 8,
    microBatch: 5,
    ...over,
  };
}

const quiet = { progress: false, log: () => {} };

async function withTempDir(fn: (dir: string) => Promise<void>) {
  await tf.setBackend("cpu");
  const dir = await Deno.makeTempDir({ prefix: "facenet_train_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// Momentum and Adam give the optimizer per-weight state (Adam also a step count and the running
// products β1^t, β2^t), which the checkpoint must carry too. One batch per epoch, so that resuming
// after epochs 1, 2 and 5 resumes after steps 1, 2 and 5: tfjs's Adam.setWeights recomputes β^t
// with pow, which differs from the live run's product in the last bit at some steps only.
const STOPS = [1, 2, 5];
for (
  const [name, over] of [
    ["SGD with momentum", { optimizer: "sgd", momentum: 0.5 }],
    ["Adam", { optimizer: "adam", schedule: { kind: "step", start: 0.001, end: 0.0001, stages: 2 } }],
  ] as [string, Partial<TrainConfig>][]
) {
  for (const net of ["zf", "inception"] as const) {
    Deno.test(`${name}, ${net}: a run killed after epochs ${STOPS.join(", ")} and resumed each time ends with exactly the weights of an uninterrupted run`, async () => {
      await withTempDir(async (dir) => {
        const faces = syntheticFaces(8, 4);
        const config = tinyConfig({ ...over, epochs: 6, batchesPerEpoch: 1, distanceEpochs: [] });
        const before = tf.memory().numTensors;
        const a = await train(net, faces, { ...quiet, runDir: `${dir}/a`, config });
        equal(a.epochsDone, 6);
        ok(a.finished);
        // The returned model is all that stays in memory.
        equal(tf.memory().numTensors - before, a.model.weights.length, "tensors leaked by train()");

        let done = 0;
        for (const stop of STOPS) {
          const part = await train(net, faces, {
            ...quiet,
            runDir: `${dir}/b`,
            config,
            stopAfter: stop - done,
          });
          equal(part.resumedFrom, done);
          equal(part.epochsDone, stop);
          ok(!part.finished);
          part.model.dispose();
          done = stop;
        }
        const b = await train(net, faces, { ...quiet, runDir: `${dir}/b`, config });
        equal(b.resumedFrom, STOPS.at(-1));
        equal(b.epochsDone, 6);
        deepEqual(b.history.map((h) => h.loss), a.history.map((h) => h.loss));
        // The checkpoints' weights.bin, byte for byte.
        deepEqual(
          await Deno.readFile(`${dir}/b/checkpoint/weights.bin`),
          await Deno.readFile(`${dir}/a/checkpoint/weights.bin`),
          "weights.bin",
        );
        const wa = a.model.getWeights();
        const wb = b.model.getWeights();
        equal(wa.length, wb.length);
        for (let i = 0; i < wa.length; i++) {
          deepEqual(
            Array.from(wb[i].dataSync()),
            Array.from(wa[i].dataSync()),
            `weight ${a.model.weights[i].name}`,
          );
        }
        // Training changed the weights (the comparison above is not trivially true).
        const fresh = (await train(net, faces, { ...quiet, runDir: `${dir}/c`, config, stopAfter: 0 })).model;
        ok(fresh.getWeights().some((w, i) => w.dataSync().some((v, j) => v !== wa[i].dataSync()[j])));
        for (const m of [a.model, b.model, fresh]) m.dispose();
      });
    });
  }
}

Deno.test("checkpoint folder, history CSV and ++/+− distance snapshots are written", async () => {
  await withTempDir(async (dir) => {
    const r = await train("inception", syntheticFaces(6, 4), {
      ...quiet,
      runDir: dir,
      config: tinyConfig({
        schedule: { kind: "plateau", start: 0.01, min: 0.001, factor: 0.1, patience: 1, minDelta: 0 },
      }),
    });
    const ck = [...Deno.readDirSync(`${dir}/checkpoint`)].map((e) => e.name).sort();
    deepEqual(ck, ["model.json", "optimizer.bin", "optimizer.json", "state.json", "weights.bin"]);
    ok(![...Deno.readDirSync(dir)].some((e) => e.name.endsWith(".tmp") || e.name.endsWith(".old")));
    const csv = Deno.readTextFileSync(`${dir}/history.csv`).trim().split("\n");
    equal(csv[0], "epoch,loss,lr,active_fraction,seconds,images_per_s");
    equal(csv.length, 3);
    const row1 = csv[1].split(",").map(Number);
    equal(row1[0], 1);
    assertClose(row1[1], r.history[0].loss, 1e-9);
    deepEqual(listDistanceEpochs(dir), [0, 2]);
    const snap = await loadDistances(dir, 2);
    ok(snap.positive.length > 0 && snap.negative.length > 0);
    // Squared distances of unit vectors lie in [0, 4].
    ok([...snap.positive, ...snap.negative].every((d) => d >= 0 && d <= 4 + 1e-5));
    const state = (await loadCheckpoint(dir))!;
    equal(state.state.epoch, 2);
    deepEqual(state.state.history, r.history);
    state.model.dispose();
    // A crash in the middle of replacing the checkpoint: old copy moved aside, new one half written.
    Deno.renameSync(`${dir}/checkpoint`, `${dir}/checkpoint.old`);
    Deno.mkdirSync(`${dir}/checkpoint.tmp`);
    Deno.writeTextFileSync(`${dir}/checkpoint.tmp/model.json`, "{ truncated");
    const recovered = (await loadCheckpoint(dir))!;
    equal(recovered.state.epoch, 2);
    deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("checkpoint")),
      ["checkpoint"],
    );
    recovered.model.dispose();
    r.model.dispose();
  });
});

Deno.test("random batches: the run says so, keeps the kind in its state, and does not resume as P×K", async () => {
  await withTempDir(async (dir) => {
    const faces = syntheticFaces(6, 4);
    const logs: string[] = [];
    const config = tinyConfig({ distanceEpochs: [], batches: "random" });
    const r = await train("zf", faces, {
      ...quiet,
      log: (s) => logs.push(s),
      runDir: dir,
      config,
      stopAfter: 1,
    });
    r.model.dispose();
    ok(logs.some((l) => /3 random batches of 12 per epoch/.test(l)), logs.join("\n"));
    const ck = (await loadCheckpoint(dir))!;
    ck.model.dispose();
    tf.dispose(ck.optimizer.map((t) => t.tensor));
    equal(ck.state.config.batches, "random");
    await rejects(
      train("zf", faces, { ...quiet, runDir: dir, config: tinyConfig({ distanceEpochs: [] }) }),
      /config differs in batches \(was "random", now undefined\)/,
    );
    await rejects(
      train("zf", faces, { ...quiet, runDir: `${dir}/x`, config: { ...config, batches: "keras" as never } }),
      /config.batches must be "pk" or "random", got "keras"/,
    );
  });
});

Deno.test("a recipe's config draws P×K batches even under the full profile (as the pilots train)", async () => {
  await withTempDir(async (dir) => {
    const faces = syntheticFaces(6, 4);
    const logs: string[] = [];
    const r = await train("zf", faces, {
      ...quiet,
      profile: "full",
      log: (s) => logs.push(s),
      runDir: dir,
      // The recipe's config with a tiny network and data laid over it (tinyConfig says nothing of batches).
      config: {
        ...recipeConfig("semihard-200", "zf", 10),
        ...tinyConfig({ distanceEpochs: [], mining: "semi-hard" }),
      },
      stopAfter: 1,
    });
    r.model.dispose();
    ok(logs.some((l) => /: 3 batches of 12 per epoch/.test(l)), logs.join("\n"));
    equal(r.config.batches, undefined);
  });
});

Deno.test("dataInit: a fresh run standardises its network on training images first; a bad count is refused", async () => {
  await withTempDir(async (dir) => {
    const faces = syntheticFaces(6, 4);
    const logs: string[] = [];
    const r = await train("inception", faces, {
      ...quiet,
      log: (s) => logs.push(s),
      runDir: dir,
      config: tinyConfig({ distanceEpochs: [], dataInit: { images: 10 }, epochs: 1, batchesPerEpoch: 1 }),
    });
    r.model.dispose();
    ok(
      logs.some((l) => /^Data-dependent initialisation on 10 training images: \d+ layers/.test(l)),
      logs.join("\n"),
    );
    await rejects(
      train("zf", faces, { ...quiet, runDir: `${dir}/x`, config: tinyConfig({ dataInit: { images: 1 } }) }),
      /config.dataInit.images must be an integer ≥ 2, got 1/,
    );
  });
});

Deno.test("a diverging loss stops the run with a clear message and keeps the last good checkpoint", async () => {
  await withTempDir(async (dir) => {
    // Epoch 1 at a sane rate, epoch 2 at 1e30: weights overflow and the loss turns NaN.
    const config = tinyConfig({
      schedule: { kind: "step", start: 0.01, end: 1e30, stages: 2 },
      distanceEpochs: [],
    });
    const err = await rejects(
      train("zf", syntheticFaces(8, 4), { ...quiet, runDir: dir, config }),
      (e: unknown) => {
        ok(e instanceof TrainingDivergedError);
        match((e as Error).message, /loss became (NaN|Infinity|-Infinity) at epoch 2, batch \d/);
        match((e as Error).message, /last good checkpoint \(epoch 1\)/);
        return true;
      },
    );
    void err;
    const ck = (await loadCheckpoint(dir))!;
    equal(ck.state.epoch, 1);
    ok(
      ck.model.getWeights().every((w) => w.dataSync().every(Number.isFinite)),
      "checkpoint weights are finite",
    );
    ck.model.dispose();
  });
});

Deno.test("resuming with a different configuration or different data is refused", async () => {
  await withTempDir(async (dir) => {
    const faces = syntheticFaces(8, 4);
    (await train("zf", faces, {
      ...quiet,
      runDir: dir,
      config: tinyConfig({ distanceEpochs: [] }),
      stopAfter: 1,
    })).model.dispose();
    await rejects(
      train("zf", faces, { ...quiet, runDir: dir, config: tinyConfig({ distanceEpochs: [], margin: 0.5 }) }),
      /config differs in margin/,
    );
    await rejects(
      train("zf", syntheticFaces(8, 4, 2), {
        ...quiet,
        runDir: dir,
        config: tinyConfig({ distanceEpochs: [] }),
      }),
      /different data/,
    );
  });
});

Deno.test("a run whose learning-rate plan is lengthened before its decay resumes, ends as if planned so from the start, and keeps the earlier plan", async () => {
  await withTempDir(async (dir) => {
    const faces = syntheticFaces(8, 4);
    const plan = (decayStart: number, decayEnd: number): Partial<TrainConfig> =>
      tinyConfig({
        optimizer: "adam",
        batchesPerEpoch: 1,
        epochs: decayEnd,
        distanceEpochs: [],
        schedule: { kind: "warmup-exp", start: 1e-3, warmupSteps: 0, decayStart, decayEnd, end: 1e-5 },
      });
    const whole = await train("inception", faces, { ...quiet, runDir: `${dir}/a`, config: plan(4, 6) });
    (await train("inception", faces, { ...quiet, runDir: `${dir}/b`, config: plan(2, 3), stopAfter: 2 }))
      .model
      .dispose();
    const lines: string[] = [];
    const b = await train("inception", faces, {
      ...quiet,
      log: (l) => lines.push(l),
      runDir: `${dir}/b`,
      config: plan(4, 6),
    });
    equal(b.resumedFrom, 2);
    equal(b.epochsDone, 6);
    ok(lines.some((l) => l.includes("learning-rate plan changes")), lines.join("\n"));
    deepEqual(b.history.map((h) => h.lr), whole.history.map((h) => h.lr));
    deepEqual(b.history.map((h) => h.loss), whole.history.map((h) => h.loss));
    deepEqual(
      await Deno.readFile(`${dir}/b/checkpoint/weights.bin`),
      await Deno.readFile(`${dir}/a/checkpoint/weights.bin`),
      "weights.bin",
    );
    const state = JSON.parse(await Deno.readTextFile(`${dir}/b/checkpoint/state.json`));
    deepEqual(state.earlierSchedules, [{ schedule: plan(2, 3).schedule, epoch: 2 }]);
    equal(state.config.schedule.decayStart, 4);
    ok(!("earlierSchedules" in JSON.parse(await Deno.readTextFile(`${dir}/a/checkpoint/state.json`))));
    whole.model.dispose();
    b.model.dispose();
    // After its decay has begun (epoch 3 trained at a decayed rate), the plan can no longer change.
    (await train("inception", faces, { ...quiet, runDir: `${dir}/c`, config: plan(2, 3), stopAfter: 3 }))
      .model
      .dispose();
    await rejects(
      train("inception", faces, { ...quiet, runDir: `${dir}/c`, config: plan(4, 6) }),
      /config differs in schedule/,
    );
  });
});

Deno.test("micro-batched gradients equal full-batch gradients (network without batch norm)", async () => {
  await tf.setBackend("cpu");
  const net = buildInception({ inputSize: SIZE, width: 1 / 16, seed: 3 });
  const vars = net.trainableWeights.map((w) => w.read() as tf.Variable);
  const opt = tf.train.sgd(0.1);
  const faces = syntheticFaces(4, 3);
  const x = () =>
    tf.tensor4d(Float32Array.from(faces.pixels, (v) => v / 127.5 - 1), [faces.n, SIZE, SIZE, 1]);
  const cfg = { ...trainingConfig("inception", "smoke"), margin: 0.5 };
  const full = computeBatchGradients(net, opt, vars, x(), faces.labels, chunkRanges(12, 12), [1], cfg);
  const parts = computeBatchGradients(net, opt, vars, x(), faces.labels, chunkRanges(12, 5), [1, 2, 3], cfg);
  assertClose(parts.loss, full.loss, 1e-5, "loss");
  equal(parts.activeFraction, full.activeFraction);
  ok(full.activeFraction > 0, "some triplets active, so gradients are non-zero");
  for (const k of Object.keys(full.grads)) {
    assertAllClose(parts.grads[k].dataSync(), full.grads[k].dataSync(), 1e-4, k);
  }
  tf.dispose([full.grads, parts.grads]);
  opt.dispose();
  net.dispose();
});

Deno.test("training on learnable data lowers the loss and separates ++ from +− distances", async () => {
  await withTempDir(async (dir) => {
    const r = await train("zf", syntheticFaces(10, 5), {
      ...quiet,
      runDir: dir,
      config: tinyConfig({
        modelOptions: { width: 1 / 16, dropout: 0 },
        epochs: 6,
        batchesPerEpoch: 3,
        batchSize: 20,
        k: 4,
        microBatch: 20,
        optimizer: "sgd",
        momentum: 0.9,
        schedule: { kind: "step", start: 0.02, end: 0.02, stages: 1 },
        augment: false,
        distanceEpochs: [0, 6],
        distanceImages: 50,
        distancePairs: 200,
      }),
    });
    const first = r.history[0].loss;
    const last = r.history[r.history.length - 1].loss;
    ok(last < 0.75 * first, `loss ${r.history.map((h) => h.loss.toFixed(4)).join(" → ")}`);
    // Separation: the probability that a ++ distance is below a +− distance (ROC AUC), brute force.
    const auc = (s: { positive: number[]; negative: number[] }) => {
      let below = 0;
      for (const p of s.positive) for (const n of s.negative) below += p < n ? 1 : p === n ? 0.5 : 0;
      return below / (s.positive.length * s.negative.length);
    };
    const a0 = auc(await loadDistances(dir, 0));
    const a6 = auc(await loadDistances(dir, 6));
    ok(a6 > a0 && a6 > 0.8, `P(d++ < d+−): ${a0.toFixed(3)} → ${a6.toFixed(3)}`);
    r.model.dispose();
  });
});

Deno.test("learning-rate schedules: ZF steps 0.05 → 0.00015, Inception reduces on plateau", () => {
  const zf = trainingConfig("zf", "full");
  if (zf.schedule.kind !== "step") throw new Error("ZF uses a step schedule");
  const lrs = Array.from({ length: 230 }, (_, i) => stepLearningRate(zf.schedule as never, i + 1, 230));
  assertClose(lrs[0], 0.05, 1e-12);
  assertClose(lrs[229], 0.00015, 1e-9);
  ok(lrs.every((v, i) => i === 0 || v <= lrs[i - 1]));
  equal(new Set(lrs).size, 6);
  const inc = trainingConfig("inception", "full").schedule;
  if (inc.kind !== "plateau") throw new Error("Inception uses reduce-on-plateau");
  const s = { ...inc, patience: 2 };
  let st = initialSchedule(s);
  const seen: number[] = [];
  for (
    const [e, loss] of [[1, 1.0], [2, 0.9], [3, 0.95], [4, 0.96], [5, 0.97], [6, 0.98], [7, 0.5]] as const
  ) {
    st = nextSchedule(s, st, e, loss, 421);
    seen.push(st.lr);
  }
  // Two epochs without improvement after epoch 2 → ×0.1 after epoch 4, again after epoch 6.
  assertAllClose(seen, [0.01, 0.01, 0.01, 0.001, 0.001, 0.0001, 0.0001], 1e-12);
  let low = { lr: 0.00004, best: 0, wait: 1 };
  low = nextSchedule(s, low, 1, 1, 421);
  equal(low.lr, 0.00003, "never below the minimum");
});

Deno.test("profiles: full follows the slides, smoke and quick are smaller", () => {
  const zf = trainingConfig("zf", "full");
  const inc = trainingConfig("inception", "full");
  deepEqual([zf.epochs, inc.epochs, zf.batchSize, inc.batchSize], [230, 421, 200, 200]);
  deepEqual([zf.distanceEpochs, inc.distanceEpochs], [[72, 230], [90, 400]]);
  // The slides' optimizer: plain SGD.
  deepEqual([zf.optimizer, zf.momentum, inc.optimizer, inc.momentum], ["sgd", 0, "sgd", 0]);
  deepEqual([zf.modelOptions, inc.modelOptions], [{}, {}], "Keras' default batch-norm momentum");
  // The slides' loss: TFA's TripletSemiHardLoss with its default plain L2 distances; the short runs and
  // the reference recipe keep FaceNet's squared distances, which they were tuned on.
  for (const c of [zf, inc]) deepEqual(c.loss, { softMargin: false, distance: "euclidean" });
  // The slides' batches: any 200 images (Keras' ImageDataGenerator.flow); the short runs and the reference
  // recipe draw P×K ones (`batches` absent).
  for (const c of [zf, inc]) equal(c.batches, "random");
  for (const m of ["zf", "inception"] as const) {
    for (const c of [trainingConfig(m, "quick"), trainingConfig(m, "smoke"), referenceConfig(m, 1800)]) {
      equal(c.batches, undefined);
    }
  }
  for (const m of ["zf", "inception"] as const) {
    equal(trainingConfig(m, "quick").loss, undefined);
    equal(trainingConfig(m, "smoke").loss, undefined);
    equal(recipeConfig("quick-adam", m, 100).loss, undefined);
    deepEqual(recipeConfig("slides-sgd", m, 100).loss, { softMargin: false, distance: "euclidean" });
    deepEqual(referenceConfig(m, 1800).loss, { softMargin: false, distance: "squared" });
  }
  // Adam's rate in the reference recipe, 1e-4 for both networks (Inception from data-initialised
  // convolutions, without which it collapsed at 1e-4): constant, then 1000-fold down over the last 40%.
  for (const [m, lr] of [["zf", 1e-4], ["inception", 1e-4]] as const) {
    const s = referenceConfig(m, 1700).schedule;
    deepEqual(s, {
      kind: "warmup-exp",
      start: lr,
      warmupSteps: 0,
      decayStart: 1020,
      decayEnd: 1700,
      end: lr * 0.001,
    });
  }
  deepEqual(referenceConfig("inception", 1700).dataInit, { images: 128, layers: "conv" });
  ok(!("dataInit" in referenceConfig("zf", 1800)), "ZF's reference (shipped) starts from the built weights");
  // The 30% warm-up tried for Inception (README, Reference weights) stays available as a named recipe.
  const w = recipeConfig("semihard-200-warmup30", "inception", 1300).schedule;
  if (w.kind !== "warmup-exp") throw new Error(`semihard-200-warmup30: schedule ${w.kind}`);
  deepEqual([w.start, w.warmupSteps], [1e-4, 390]);
  deepEqual(trainingConfig("zf", "quick").modelOptions, { batchNormMomentum: 0.9, dropout: 0 });
  equal(trainingConfig("inception", "quick").optimizer, "adam");
  for (const p of ["smoke", "quick"] as const) {
    for (const m of ["zf", "inception"] as const) {
      const c = trainingConfig(m, p);
      ok(c.epochs < trainingConfig(m, "full").epochs);
      ok(c.distanceEpochs.every((e) => e <= c.epochs));
    }
  }
  equal(trainingConfig("zf", "smoke").maxIdentities, 12);
});

Deno.test("chunkRanges covers 0…n in pieces of at most the given size", () => {
  deepEqual(chunkRanges(12, 5), [[0, 5], [5, 10], [10, 12]]);
  deepEqual(chunkRanges(4, 10), [[0, 4]]);
});

Deno.test("optimizers: SGD, momentum and Adam take steps of the learning rate they are set to", async () => {
  await tf.setBackend("cpu");
  const base = trainingConfig("zf", "quick");
  const step = (cfg: TrainConfig, lr: number): number => {
    const x = tf.variable(tf.scalar(0));
    const opt = makeOptimizer(cfg);
    setLearningRate(opt, lr);
    // Gradient of 2x is 2: SGD moves by 2·lr; Adam's first, bias-corrected step is lr·sign(gradient).
    opt.minimize(() => tf.mul(x, 2) as tf.Scalar, false, [x]);
    const v = x.dataSync()[0];
    x.dispose();
    opt.dispose();
    return v;
  };
  assertClose(step({ ...base, optimizer: "sgd", momentum: 0 }, 0.1), -0.2, 1e-6);
  assertClose(step({ ...base, optimizer: "sgd", momentum: 0.9 }, 0.1), -0.2, 1e-6);
  assertClose(step({ ...base, optimizer: "adam" }, 0.1), -0.1, 1e-4);
  assertClose(step({ ...base, optimizer: "adam" }, 0.001), -0.001, 1e-6);
  throws(() => makeOptimizer({ ...base, optimizer: "rmsprop" as never }), /unknown optimizer "rmsprop"/);
});

Deno.test("describeOptimizer says which optimizer and schedule a run uses", () => {
  const zf = trainingConfig("zf", "full");
  equal(describeOptimizer(zf), "SGD 0.05 → 0.00015 in 6 steps");
  equal(
    describeOptimizer(trainingConfig("inception", "full")),
    "SGD 0.01, ×0.1 on plateau (patience 10) down to 0.00003",
  );
  equal(describeOptimizer({ ...zf, momentum: 0.9 }), "SGD, momentum 0.9, 0.05 → 0.00015 in 6 steps");
  equal(
    describeOptimizer({
      ...zf,
      optimizer: "adam",
      schedule: { kind: "step", start: 0.001, end: 0.001, stages: 1 },
    }),
    "Adam 0.001",
  );
});
