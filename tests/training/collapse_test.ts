import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { deepEqual, equal, match, ok, throws } from "../assert.ts";
import {
  collapseLevel,
  collapseMessage,
  detectCollapse,
  loadCheckpoint,
  STALL_RULE,
  stallMessage,
  train,
  type TrainConfig,
} from "../../lib/training/mod.ts";
import { noiseFaces } from "./noise_faces.ts";

Deno.test("collapseLevel: the margin for the hinge, ln 2 for the soft margin", () => {
  equal(collapseLevel({ margin: 0.2 }), 0.2);
  equal(collapseLevel({ margin: 0.2, loss: { softMargin: false, distance: "squared" } }), 0.2);
  equal(collapseLevel({ margin: 0.2, loss: { softMargin: true, distance: "euclidean" } }), Math.log(2));
});

Deno.test("detectCollapse: three consecutive epochs within 1% of the level, epoch 1 not counted", () => {
  // Epoch 1 at the level does not count: only two epochs after it.
  equal(detectCollapse([0.2, 0.2, 0.2], 0.2), undefined);
  deepEqual(detectCollapse([0.2, 0.2, 0.2, 0.2], 0.2), {
    from: 2,
    to: 4,
    level: 0.2,
    losses: [0.2, 0.2, 0.2],
  });
  // 1% of 0.2 is 0.002: 0.1981 and 0.2019 are at the level, 0.1979 and 0.2021 are not.
  deepEqual(detectCollapse([0.19, 0.1981, 0.2019, 0.2, 0.15], 0.2)?.from, 2);
  equal(detectCollapse([0.19, 0.1979, 0.2019, 0.2, 0.15], 0.2), undefined);
  equal(detectCollapse([0.19, 0.2021, 0.2, 0.2, 0.15], 0.2), undefined);
  // A break resets the count; the first full streak is reported.
  deepEqual(detectCollapse([0.2, 0.2, 0.2, 0.17, 0.2, 0.2, 0.2, 0.2], 0.2), {
    from: 5,
    to: 7,
    level: 0.2,
    losses: [0.2, 0.2, 0.2],
  });
  equal(detectCollapse([0.2, 0.2, NaN, 0.2, 0.2], 0.2), undefined, "a non-finite loss breaks a streak");
  // Soft margin: ln 2 = 0.6931…
  deepEqual(detectCollapse([0.8, 0.6935, 0.6931, 0.6929], Math.LN2)?.to, 4);
  equal(detectCollapse([0.8, 0.6935, 0.66, 0.6929, 0.6931], Math.LN2), undefined);
  equal(detectCollapse([], 0.2), undefined);
  // A custom rule.
  equal(detectCollapse([0.3, 0.2, 0.2], 0.2, { tolerance: 0.01, epochs: 2 })?.to, 3);
  throws(() => detectCollapse([0.2], 0), /level must be positive/);
});

// Copied from the committed quick runs (figures/*/history.csv): ZF falls to 0.184; Inception stays near
// 0.198 for a few epochs but never three in a row within 1% of the margin.
const QUICK_ZF = [0.19830, 0.19521, 0.19270, 0.19229, 0.19389, 0.18769, 0.19263, 0.19179, 0.18679, 0.18444];
const QUICK_INCEPTION = [
  0.19901,
  0.19713,
  0.19915,
  0.19736,
  0.19799,
  0.19760,
  0.19588,
  0.18993,
  0.18982,
  0.18998,
];

Deno.test("detectCollapse: the committed quick runs (notebooks 02 and 03, figures/*/history.csv) are not collapsed", () => {
  equal(detectCollapse(QUICK_ZF, 0.2), undefined);
  equal(detectCollapse(QUICK_INCEPTION, 0.2), undefined);
  // The pilots that collapsed sat at the margin to four decimals.
  ok(detectCollapse([0.1990, 0.2000, 0.2000, 0.2000], 0.2));
});

Deno.test("collapseMessage says where, and suggests only what the run does not already do", () => {
  const c = detectCollapse([0.2, 0.2001, 0.2, 0.1999], 0.2)!;
  const hermans = {
    model: "zf",
    margin: 0.2,
    optimizer: "adam",
    modelOptions: {},
    mining: "batch-hard",
    batchSize: 72,
    k: 4,
  } as const;
  const zf = collapseMessage(c, hermans);
  match(zf, /within 1% of the margin 0\.2 for epochs 2–4 \(0\.2001, 0\.2000, 0\.1999\)/);
  for (const t of [/lower Adam learning rate/, /semi-hard mining/, /200 as P×K 50×4/, /no dropout/]) {
    match(zf, t);
  }
  // Plain SGD, semi-hard, P×K 50×4 and no dropout (the slides' `full` without dropout): only Adam is left.
  const sgd = collapseMessage(c, {
    ...hermans,
    optimizer: "sgd",
    mining: "semi-hard",
    batchSize: 200,
    modelOptions: { dropout: 0 },
  });
  match(sgd, /Adam instead of plain SGD/);
  ok(!/lower Adam|semi-hard mining|P×K 50×4|dropout/.test(sgd), sgd);
  const inc = collapseMessage(c, { ...hermans, model: "inception", loss: { softMargin: true } });
  match(inc, /ln 2/);
  ok(!/dropout/.test(inc));
  // Inception from the built weights is told of data-dependent initialisation; one that has it is not, nor ZF.
  match(inc, /data-dependent initialisation of its convolutions/);
  const incInit = collapseMessage(c, {
    ...hermans,
    model: "inception",
    dataInit: { images: 128, layers: "conv" },
  });
  ok(!/data-dependent/.test(incInit) && !/data-dependent/.test(zf), incInit);
});

// Epoch losses of runs measured here (README): `full` on squared distances, which stalled; the ZF
// reference run's first 11 epochs, which learned.
const FULL_SQUARED = [0.1960, 0.1958, 0.1957, 0.1957, 0.1957, 0.1955, 0.1954, 0.1955, 0.1954, 0.1954];
const ZF_REFERENCE = [
  0.19485,
  0.19391,
  0.19050,
  0.18612,
  0.17906,
  0.17401,
  0.16750,
  0.16273,
  0.15895,
  0.15508,
  0.15200,
];

Deno.test("STALL_RULE: finds full's stall, which the collapse rule misses, and no run that learned", () => {
  equal(detectCollapse(FULL_SQUARED, 0.2), undefined, "2.3% under the margin: not a collapse");
  const s = detectCollapse(FULL_SQUARED, 0.2, STALL_RULE)!;
  deepEqual([s.from, s.to, s.losses.length], [2, 9, 8]);
  equal(
    detectCollapse(FULL_SQUARED.slice(0, 8), 0.2, STALL_RULE),
    undefined,
    "7 epochs after the first are not 8",
  );
  equal(detectCollapse(ZF_REFERENCE, 0.2, STALL_RULE), undefined);
  equal(detectCollapse(QUICK_ZF, 0.2, STALL_RULE), undefined);
  equal(detectCollapse(QUICK_INCEPTION, 0.2, STALL_RULE), undefined);
  // A loss below the band for one epoch breaks the streak.
  equal(
    detectCollapse([0.2, 0.195, 0.195, 0.195, 0.195, 0.18, 0.195, 0.195, 0.195, 0.195], 0.2, STALL_RULE),
    undefined,
  );
});

Deno.test("stallMessage: says where, and suggests only what helped here, fitting the run", () => {
  const s = detectCollapse(FULL_SQUARED, 0.2, STALL_RULE)!;
  const full = stallMessage(s, { model: "zf", margin: 0.2, optimizer: "sgd", modelOptions: {} });
  match(
    full,
    /within 5% of the margin 0\.2 for epochs 2–9 \(0\.1958, 0\.1957, .*, 0\.1954\): the network is hardly learning/,
  );
  for (
    const t of [/random batches/, /Adam instead of plain SGD/, /no dropout for Zeiler&Fergus/, /semihard-200/]
  ) {
    match(full, t);
  }
  // `full` as it is now: random batches already, so only Adam, no dropout and the recipe are left.
  const fullRandom = stallMessage(s, {
    model: "zf",
    margin: 0.2,
    optimizer: "sgd",
    modelOptions: {},
    batches: "random",
  });
  ok(!/random batches/.test(fullRandom));
  match(fullRandom, /Adam instead of plain SGD/);
  const inc = stallMessage(s, { model: "inception", margin: 0.2, optimizer: "sgd", modelOptions: {} });
  match(inc, /Adam instead of plain SGD/);
  ok(!/dropout/.test(inc));
  const adamNoDropout = stallMessage(s, {
    model: "zf",
    margin: 0.2,
    optimizer: "adam",
    modelOptions: { dropout: 0 },
  });
  ok(!/Adam instead|dropout|random batches/.test(adamNoDropout));
  match(adamNoDropout, /semihard-200/);
  match(
    stallMessage(s, {
      model: "zf",
      margin: 0.2,
      optimizer: "adam",
      modelOptions: {},
      loss: { softMargin: true },
    }),
    /of ln 2/,
  );
});

Deno.test("training warns once about a collapse, keeps it in the checkpoint, and does not repeat it on resuming", async () => {
  await tf.setBackend("cpu");
  const dir = await Deno.makeTempDir({ prefix: "facenet_collapse_" });
  try {
    // A margin of 100 dwarfs every squared distance between unit vectors (≤ 4), so the loss is
    // 100 ± a few hundredths from the start: a collapse by the rule, whatever the network does.
    const config: Partial<TrainConfig> = {
      modelOptions: { width: 1 / 16 },
      epochs: 4,
      batchesPerEpoch: 1,
      batchSize: 8,
      k: 2,
      margin: 100,
      maxIdentities: null,
      optimizer: "sgd",
      schedule: { kind: "step", start: 1e-6, end: 1e-6, stages: 1 },
      distanceEpochs: [],
      augment: false,
      microBatch: 8,
    };
    const warnings: string[] = [];
    const opts = { runDir: dir, profile: "smoke" as const, progress: false, log: () => {} };
    const r = await train("zf", noiseFaces(), { ...opts, config, warn: (s) => warnings.push(s) });
    r.model.dispose();
    ok(r.history.every((h) => Math.abs(h.loss - 100) < 1), "the loss sits at the margin");
    equal(warnings.length, 1);
    match(warnings[0], /epoch 4\): the epoch loss sat within 1% of the margin 100 for epochs 2–4/);
    const ck = (await loadCheckpoint(dir))!;
    ck.model.dispose();
    tf.dispose(ck.optimizer.map((t) => t.tensor));
    equal(ck.state.warnings?.length, 1);
    equal(ck.state.warnings![0].kind, "collapse");
    equal(ck.state.warnings![0].epoch, 4);
    // Resumed for two more epochs (still at the margin): no second warning, the first one kept.
    const more: string[] = [];
    const r2 = await train("zf", noiseFaces(), {
      ...opts,
      config: { ...config, epochs: 6 },
      warn: (s) => more.push(s),
    });
    r2.model.dispose();
    deepEqual(more, []);
    const ck2 = (await loadCheckpoint(dir))!;
    ck2.model.dispose();
    tf.dispose(ck2.optimizer.map((t) => t.tensor));
    deepEqual(ck2.state.warnings, ck.state.warnings);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
