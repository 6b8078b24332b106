import { existsSync } from "node:fs";
import { join } from "node:path";
import { assertClose, deepEqual, equal, ok, SHARED_DATA, throws } from "../assert.ts";
import { Rng } from "../../lib/rng.ts";
import { l2Normalize } from "../../lib/analysis/vectors.ts";
import { loadDevPairs, loadNames, loadPairs, type Pair } from "../../lib/data/protocol.ts";
import { fingerprint } from "../../lib/training/checkpoint.ts";
import { trainingFaces } from "../../lib/training/loop.ts";
import { referenceConfig } from "../../lib/training/recipes.ts";
import { standardError } from "../../lib/verify/verification.ts";
import {
  assertNoTrainedTestPeople,
  VIEW1_HELD_OUT,
  view1TrainConfig,
  view1TrainingFaces,
} from "../../lib/verify/view1.ts";
import {
  allPairs,
  chooseVariant,
  type EmbeddingSets,
  scoreHeldOut,
  scoreTestPairs,
  stratifiedFolds,
  VIEW1_VARIANTS,
  view1Split,
} from "../../lib/verify/view1_eval.ts";
import { tinyLfw } from "./tiny_lfw.ts";

const pair = (a: string, b: string, line: number): Pair => ({
  a: { name: a, number: 1 },
  b: { name: b, number: a === b ? 2 : 1 },
  same: a === b,
  line,
});

Deno.test("VIEW1_VARIANTS: ten variants, plain first, every metric with and without flipping", () => {
  deepEqual(VIEW1_VARIANTS.map((v) => v.name), [
    "raw",
    "raw + WCCN",
    "raw + LDA-96",
    "raw + LDA-64",
    "raw + LDA-32",
    "flip",
    "flip + WCCN",
    "flip + LDA-96",
    "flip + LDA-64",
    "flip + LDA-32",
  ]);
});

Deno.test("stratifiedFolds: 10 folds of 50 same + 50 different in file order, whatever the interleaving", () => {
  const same = Array.from({ length: 1000 }, (_, i) => i < 500);
  const f = stratifiedFolds(same);
  for (let k = 0; k < 10; k++) {
    equal(same.filter((s, i) => s && f[i] === k).length, 50);
    equal(same.filter((s, i) => !s && f[i] === k).length, 50);
  }
  equal(f[0], 0);
  equal(f[499], 9);
  equal(f[500], 0);
  // Interleaved: same pairs at even positions.
  const inter = Array.from({ length: 40 }, (_, i) => i % 2 === 0);
  deepEqual(Array.from(stratifiedFolds(inter, 4)), Array.from({ length: 40 }, (_, i) => Math.floor(i / 10)));
  throws(() => stratifiedFolds([true, true, false], 2), /1 different pairs cannot fill 2 folds/);
});

Deno.test("standardError is sample std / √k", () => {
  // Values 1, 2, 3, 4: mean 2.5, sample variance 5/3, SE = √(5/3 / 4).
  assertClose(standardError([1, 2, 3, 4]), Math.sqrt(5 / 12), 1e-12);
  throws(() => standardError([1]), /at least 2 values/);
});

Deno.test("allPairs and scoreHeldOut: per-person AUC on a hand-worked example", () => {
  deepEqual(allPairs([0, 0, 1]), {
    a: Int32Array.from([0, 0, 1]),
    b: Int32Array.from([1, 2, 2]),
    same: [true, false, false],
  });
  // Unit vectors on a circle at angles θ: person 0 at 0, 0.1, 0.2 (three tight same pairs), person 1
  // at 1.0 and 2.0 (one loose same pair), person 2 at 3.0.
  const angles = [0, 0.1, 0.2, 1.0, 2.0, 3.0], labels = [0, 0, 0, 1, 1, 2];
  const x = Float32Array.from(angles.flatMap((t) => [Math.cos(t), Math.sin(t)]));
  const s = scoreHeldOut(x, 2, labels);
  equal(s.samePairs, 4);
  equal(s.differentPairs, 11);
  equal(s.people, 3);
  // Distances grow with the angle gap (up to π). Different gaps: 0.8 0.9 1.0 1.8 1.9 2.0 2.8 2.9 3.0
  // (person 0 to 1.0/2.0/3.0), 2.0 (1.0–3.0), 1.0 (2.0–3.0). Person 0's gaps 0.1, 0.1, 0.2 beat all:
  // AUC 1. Person 1's gap 1.0 beats the 8 larger gaps, ties the two gaps of 1.0 (½ each) and loses
  // to 0.8 and 0.9: 9/11.
  assertClose(s.perPersonAuc, (1 + 9 / 11) / 2, 1e-6, "per-person AUC");
  assertClose(s.auc, (3 + 9 / 11) / 4, 1e-6, "AUC over all same pairs");
  throws(() => scoreHeldOut(x.subarray(0, 4), 2, [0, 1]), /need same and different pairs/);
});

/** Synthetic unit embeddings: people around random centres, with large within-person noise along a few
 * shared "nuisance" axes (pose, light) and little elsewhere, so that WCCN/LDA should help. */
function synthetic(people: number, perPerson: number, dim: number, seed: number, nuisance = 1.2) {
  const r = new Rng(seed);
  const labels = new Int32Array(people * perPerson);
  const x = new Float32Array(people * perPerson * dim);
  for (let p = 0; p < people; p++) {
    const c = Array.from({ length: dim }, () => r.normal() / Math.sqrt(dim));
    for (let k = 0; k < perPerson; k++) {
      const i = p * perPerson + k;
      labels[i] = p;
      for (let t = 0; t < dim; t++) x[i * dim + t] = c[t] + r.normal() * (t < 4 ? nuisance : 0.05);
    }
  }
  return { x: l2Normalize(x, dim), labels };
}

Deno.test("chooseVariant: a fitted metric wins when within-person noise has shared directions", () => {
  const dim = 40;
  const train = synthetic(150, 5, dim, 1);
  const held = synthetic(30, 4, dim, 2);
  const raw: EmbeddingSets = {
    train: train.x,
    trainLabels: train.labels,
    heldOut: held.x,
    heldOutLabels: held.labels,
  };
  // Same embeddings again as "flip": every flip variant ties its raw twin, so the raw one must win.
  const c = chooseVariant({ raw, flip: raw }, dim);
  equal(c.scores.length, 10);
  const chosen = c.scores[c.chosen];
  ok(chosen.variant.metric !== null, `chose ${chosen.variant.name}`);
  ok(!chosen.variant.flip, "ties go to the earlier (raw) variant");
  ok(
    chosen.perPersonAuc > c.scores[0].perPersonAuc + 0.05,
    `metric ${chosen.perPersonAuc} vs raw ${c.scores[0].perPersonAuc}`,
  );
  for (let i = 0; i < 5; i++) assertClose(c.scores[i + 5].perPersonAuc, c.scores[i].perPersonAuc, 1e-12);
  // LDA-96 on 40-d embeddings keeps 40 dimensions (it cannot have more).
  equal(c.transforms.get("raw + LDA-96")!(held.x).dim, dim);
  equal(c.transforms.get("raw + LDA-32")!(held.x).dim, 32);
});

Deno.test("chooseVariant: noisier flip-averaged embeddings lose to the plain ones", () => {
  const dim = 24;
  const train = synthetic(100, 4, dim, 5, 0.05);
  const held = synthetic(30, 4, dim, 6, 0.05);
  const r = new Rng(7);
  const noisy = (x: Float32Array) => l2Normalize(x.map((v) => v + 0.2 * r.normal()), dim);
  const raw: EmbeddingSets = {
    train: train.x,
    trainLabels: train.labels,
    heldOut: held.x,
    heldOutLabels: held.labels,
  };
  const flip: EmbeddingSets = { ...raw, train: noisy(train.x), heldOut: noisy(held.x) };
  const c = chooseVariant({ raw, flip }, dim);
  ok(!c.scores[c.chosen].variant.flip, `chose ${c.scores[c.chosen].variant.name}`);
  ok(c.scores[5].perPersonAuc < c.scores[0].perPersonAuc, "noisier flip scores lower");
  throws(() => chooseVariant({ raw }, dim), /needs flip-averaged embeddings/);
});

Deno.test("scoreTestPairs: 10 stratified folds, SE from the fold accuracies", () => {
  // 100 same pairs at distance 0.5, 100 different at 1.5, except 10 different pairs at 0.3.
  const n = 200;
  // Pair p is rows 2p and 2p + 1: unit vectors on a circle whose squared distance is the target.
  const target = Array.from({ length: n }, (_, p) => p < 100 ? 0.5 : p < 110 ? 0.3 : 1.5);
  const x = new Float32Array(4 * n);
  target.forEach((d2, p) => {
    const theta = 2 * Math.asin(Math.sqrt(d2) / 2);
    x.set([1, 0, Math.cos(theta), Math.sin(theta)], 4 * p);
  });
  const pairs = {
    a: Int32Array.from({ length: n }, (_, p) => 2 * p),
    b: Int32Array.from({ length: n }, (_, p) => 2 * p + 1),
    same: target.map((_, p) => p < 100),
  };
  const s = scoreTestPairs(x, 2, pairs);
  // The 10 close different pairs fill the first different fold (pairs 100…109): that fold is 50% right
  // at any threshold that accepts the same pairs, the other nine 100%.
  deepEqual(s.result.accuracy.perFold, [0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  assertClose(s.result.accuracy.mean, 0.95, 1e-12);
  assertClose(s.se, standardError(s.result.accuracy.perFold), 1e-12);
  // Sample variance (0.45² + 9 · 0.05²) / 9 = 0.025, so SE = √(0.025 / 10) = 0.05.
  assertClose(s.se, 0.05, 1e-12);
});

Deno.test("view1Split rebuilds the training set from the config, checks the fingerprint, and refuses other runs", () => {
  const root = Deno.makeTempDirSync();
  try {
    // 42 dev-train people with 2…4 images, one with a single image (not trained on).
    const people: Record<string, number> = {};
    for (let i = 0; i < 42; i++) people[`P${String(i).padStart(2, "0")}`] = 2 + (i % 3);
    people.Solo = 1;
    people.Tess = 3; // a test person, not in peopleDevTrain.txt
    const all = tinyLfw(people);
    const listed = Object.keys(people).filter((p) => p !== "Tess");
    Deno.mkdirSync(join(root, "lfw-protocol"));
    Deno.writeTextFileSync(
      join(root, "lfw-protocol", "peopleDevTrain.txt"),
      `${listed.length}\n${listed.map((p) => `${p}\t${people[p]}`).join("\n")}\n`,
    );
    const config = view1TrainConfig("zf", 10);
    equal(config.minImages, 2);
    deepEqual(config.heldOut, VIEW1_HELD_OUT);
    equal(config.heldOutImages, undefined);
    // What train() fingerprints when scripts/train.ts trains on view1TrainingFaces.
    const expected = trainingFaces(view1TrainingFaces(all, root), config);
    const split = view1Split(all, { config, data: fingerprint(expected) }, "run", root);
    equal(split.trained.n, expected.n);
    // 5% of 42 → 2 held-out people, not trained on.
    equal(split.heldOut.classNames.length, 2);
    for (const h of split.heldOut.classNames) ok(!split.trained.classNames.includes(h), `${h} held out`);
    ok(!split.trained.classNames.includes("Solo") && !split.trained.classNames.includes("Tess"));
    equal(split.trained.classNames.length + 2, 42);
    // A checkpoint of other data, or without held-out people, is refused.
    throws(
      () => view1Split(all, { config, data: { n: 5, classes: 2, hash: "0" } }, "run", root),
      /run: the checkpoint was trained on 5 images of 2 people.*not a View 1 run/,
    );
    throws(
      () => view1Split(all, { config: referenceConfig("zf", 10), data: fingerprint(expected) }, "run", root),
      /run: not a View 1 run \(it held no people out\)/,
    );
    // The overlap check: a crafted test pair list with a trained person is refused, naming them.
    const trained = new Set(split.trained.classNames);
    const clean = [pair("Tess", "Tess", 2), pair("Tess", "Solo", 3)];
    assertNoTrainedTestPeople(clean, trained, "pairsDevTest.txt");
    const bad = [...clean, pair(split.trained.classNames[0], "Tess", 4)];
    throws(
      () => assertNoTrainedTestPeople(bad, trained, "pairsDevTest.txt"),
      new RegExp(`pairsDevTest.txt: 1 test people were trained on \\(${split.trained.classNames[0]}\\)`),
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

const protocolFiles = ["peopleDevTrain.txt", "pairsDevTest.txt", "pairs.txt", "lfw-names.txt"];
Deno.test({
  name:
    "real LFW: View 1's rebuilt training people (1,125 of 6,469 images) share no one with pairsDevTest.txt",
  ignore: !protocolFiles.every((f) => existsSync(join(SHARED_DATA, "lfw-protocol", f))),
  fn() {
    // Every LFW image as a 1×1 stand-in, from lfw-names.txt's counts (the people matter, not the pixels).
    const counts = Object.fromEntries(loadNames(SHARED_DATA).map((p) => [p.name, p.images]));
    const all = tinyLfw(counts);
    const config = view1TrainConfig("zf", 100);
    const split = view1Split(
      all,
      {
        config,
        data: fingerprint(trainingFaces(view1TrainingFaces(all, SHARED_DATA), config)),
      },
      "run",
      SHARED_DATA,
    );
    equal(split.trained.classNames.length, 1125);
    equal(split.trained.n, 6469);
    equal(split.heldOut.classNames.length, 59);
    equal(split.heldOut.n, 202);
    const test = loadDevPairs("test", SHARED_DATA);
    equal(test.length, 1000);
    assertNoTrainedTestPeople(test, new Set(split.trained.classNames), "pairsDevTest.txt");
    assertNoTrainedTestPeople(test, new Set(split.heldOut.classNames), "pairsDevTest.txt");
    // pairs.txt (View 2) is not disjoint from them: the check does fire on real overlap.
    throws(
      () =>
        assertNoTrainedTestPeople(
          loadPairs(SHARED_DATA).folds.flat(),
          new Set(split.trained.classNames),
          "pairs.txt",
        ),
      /pairs.txt: \d+ test people were trained on/,
    );
  },
});
