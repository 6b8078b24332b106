import { assertAllClose, assertClose, deepEqual, equal, throws } from "../assert.ts";
import { Rng } from "../../lib/rng.ts";
import {
  confusionAt,
  equalErrorRate,
  evaluateDevSplit,
  evaluatePairs,
  meanThreshold,
  pairDistances,
  pairFolds,
  rocFrame,
  splitBySame,
  thresholdGrid,
  verificationSummaryFrame,
} from "../../lib/verify/verification.ts";

// 10 folds of 2 pairs (same, different). Same pairs at 0.5055, different at 1.5055, except fold 0's
// different pair at 0.3055, which any threshold that accepts the same pairs also accepts.
function handExample() {
  const d: number[] = [], same: boolean[] = [];
  for (let f = 0; f < 10; f++) {
    d.push(0.5055, f === 0 ? 0.3055 : 1.5055);
    same.push(true, false);
  }
  return { d, same };
}

Deno.test("evaluatePairs on a hand-worked example", () => {
  const { d, same } = handExample();
  const r = evaluatePairs(d, same, { folds: 10 });
  // Every fold's training set is best split just above 0.5055: the first grid value is 0.51.
  assertAllClose(r.bestThresholds, new Array(10).fill(0.51), 1e-12, "thresholds");
  // Held out, fold 0 gets its different pair wrong; the others are perfect.
  assertAllClose(r.accuracy.perFold, [0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1], 1e-12, "accuracy");
  assertClose(r.accuracy.mean, 0.95, 1e-12);
  assertClose(r.accuracy.std, 0.15, 1e-12); // sqrt((9·0.05² + 0.45²) / 10)
  // ROC points: (0,0) → (0.1,0) once t > 0.3055 → (0.1,1) once t > 0.5055 → (1,1) once t > 1.5055.
  assertClose(r.auc, 0.9, 1e-12, "AUC");
  assertClose(r.eer, 0.1, 1e-12, "EER");
  // VAL: with fold 0 in training, FAR reaches 1/9 between grid 0.305 and 0.306 → threshold
  // 0.305 + 0.001 · (0.001 / (1/9)) = 0.305009, which accepts nothing held out. Fold 0 held out: FAR
  // jumps 0 → 1 between 1.505 and 1.506 → threshold 1.505001, accepting both held-out pairs.
  assertClose(r.valThresholds[1], 0.305009, 1e-9, "VAL threshold fold 1");
  assertClose(r.valThresholds[0], 1.505001, 1e-9, "VAL threshold fold 0");
  assertAllClose(r.val.perFold, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "VAL");
  assertAllClose(r.far.perFold, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "FAR");
  assertClose(r.val.mean, 0.1, 1e-12);
  assertClose(r.val.std, 0.3, 1e-12);
  equal(verificationSummaryFrame(r).height, 5);
  equal(rocFrame(r.roc).height, 400);
});

/** A direct re-implementation with plain loops over every threshold, for comparison. */
function bruteForce(d: number[], same: boolean[], foldOf: number[], k: number) {
  const grid = Array.from({ length: 400 }, (_, i) => i * 0.01);
  const vgrid = Array.from({ length: 4000 }, (_, i) => i * 0.001);
  const rates = (t: number, idx: number[]) => {
    let tp = 0, fp = 0, tn = 0, fn = 0;
    for (const i of idx) {
      if (d[i] < t) same[i] ? tp++ : fp++;
      else same[i] ? fn++ : tn++;
    }
    return { acc: (tp + tn) / idx.length, tpr: tp / (tp + fn), fpr: fp / (fp + tn) };
  };
  const acc: number[] = [], val: number[] = [];
  const tpr = new Array(400).fill(0), fpr = new Array(400).fill(0);
  for (let f = 0; f < k; f++) {
    const tr = d.map((_, i) => i).filter((i) => foldOf[i] !== f);
    const te = d.map((_, i) => i).filter((i) => foldOf[i] === f);
    let best = 0;
    grid.forEach((t, i) => {
      if (rates(t, tr).acc > rates(grid[best], tr).acc) best = i;
    });
    acc.push(rates(grid[best], te).acc);
    grid.forEach((t, i) => {
      tpr[i] += rates(t, te).tpr / k;
      fpr[i] += rates(t, te).fpr / k;
    });
    const far = vgrid.map((t) => rates(t, tr).fpr);
    const hi = far.findIndex((v) => v >= 1e-3);
    const th = hi <= 0
      ? (hi === 0 ? 0 : 0)
      : vgrid[hi - 1] + (1e-3 - far[hi - 1]) * 0.001 / (far[hi] - far[hi - 1]);
    val.push(rates(th, te).tpr);
  }
  return { acc, val, tpr, fpr };
}

Deno.test("evaluatePairs agrees with a brute-force loop on random overlapping distances", () => {
  const rng = new Rng(11);
  const d: number[] = [], same: boolean[] = [], foldOf: number[] = [];
  for (let f = 0; f < 10; f++) {
    for (let p = 0; p < 60; p++) {
      const s = p < 30;
      same.push(s);
      d.push(Math.min(3.999, Math.max(0, s ? 0.9 + 0.35 * rng.normal() : 1.6 + 0.35 * rng.normal())));
      foldOf.push(f);
    }
  }
  const r = evaluatePairs(d, same, { folds: 10 });
  const b = bruteForce(d, same, foldOf, 10);
  assertAllClose(r.accuracy.perFold, b.acc, 1e-12, "accuracy");
  assertAllClose(r.val.perFold, b.val, 1e-12, "VAL");
  assertAllClose(r.roc.tpr, b.tpr, 1e-12, "TPR");
  assertAllClose(r.roc.fpr, b.fpr, 1e-12, "FPR");
  // Fold index per pair, interleaved, gives the same answer as the equivalent blocks after reordering.
  const order = d.map((_, i) => i).sort((a, c) => (a % 60) - (c % 60) || a - c);
  const r2 = evaluatePairs(order.map((i) => d[i]), order.map((i) => same[i]), {
    folds: order.map((i) => foldOf[i]),
  });
  assertAllClose(r2.accuracy.perFold, r.accuracy.perFold, 1e-12, "fold indices");
});

Deno.test("evaluatePairs recovers the known rates of two uniform distributions", () => {
  // same ~ U(0, 2), different ~ U(1, 3): accuracy ¾ for any threshold in [1, 2]; EER ¼ (at 1.5);
  // AUC = 1 − P(same > different) = 1 − ½·½·½ = 0.875; FAR = 10⁻³ at ≈ 1.002 → VAL ≈ 0.501.
  const rng = new Rng(5);
  const d: number[] = [], same: boolean[] = [];
  for (let f = 0; f < 10; f++) {
    for (let p = 0; p < 2000; p++) {
      same.push(p % 2 === 0);
      d.push(p % 2 === 0 ? rng.uniform(0, 2) : rng.uniform(1, 3));
    }
  }
  const r = evaluatePairs(d, same);
  assertClose(r.accuracy.mean, 0.75, 0.015, "accuracy");
  for (const t of r.bestThresholds) equal(t >= 0.95 && t <= 2.05, true, `threshold ${t} on the plateau`);
  assertClose(r.eer, 0.25, 0.01, "EER");
  assertClose(r.auc, 0.875, 0.01, "AUC");
  assertClose(r.val.mean, 0.501, 0.02, "VAL");
  assertClose(r.far.mean, 0.001, 0.002, "FAR");
});

Deno.test("pairFolds splits in order like sklearn's KFold", () => {
  const f = pairFolds(6000, 10);
  equal(f[0], 0);
  equal(f[599], 0);
  equal(f[600], 1);
  equal(f[5999], 9);
  const g = pairFolds(23, 10); // first 3 folds get 3 pairs, the rest 2
  deepEqual(Array.from(g), [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
  throws(() => pairFolds(5, 10), /folds must be/);
  throws(() => pairFolds(3, [0, 1]), /fold index for 2 pairs/);
});

Deno.test("confusionAt, equalErrorRate and thresholdGrid by hand", () => {
  const c = confusionAt(1, [0.5, 1, 1.5, 0.2], [true, true, false, false]);
  deepEqual({ tp: c.tp, fp: c.fp, tn: c.tn, fn: c.fn }, { tp: 1, fp: 1, tn: 1, fn: 1 }); // 1 is not < 1
  equal(c.accuracy, 0.5);
  // Polyline (0,0) (0.2,0.6) (0.6,1): g = 1 − x − y is 1, 0.2, −0.6 → root ¼ along the 2nd segment.
  assertClose(equalErrorRate([0, 0.2, 0.6], [0, 0.6, 1]), 0.3, 1e-12);
  const g = thresholdGrid(0.01);
  equal(g.length, 400);
  assertClose(g[399], 3.99, 1e-12);
  equal(thresholdGrid(0.001).length, 4000);
});

Deno.test("evaluateDevSplit chooses the threshold on train and scores test", () => {
  const r = evaluateDevSplit(
    { distances: [0.4, 0.6, 1.4, 1.6], same: [true, true, false, false] },
    { distances: [0.3, 1.05, 0.9, 2], same: [true, true, false, false] },
  );
  assertClose(r.threshold, 0.61, 1e-12); // first grid value with all 4 training pairs right
  equal(r.trainAccuracy, 1);
  equal(r.testAccuracy, 0.75); // same 0.3 accepted ✓, same 1.05 rejected ✗, different 0.9 and 2 rejected ✓
  assertClose(r.auc, 0.75, 1e-12); // P(different > same) over 4 test combinations: 3 of 4
});

Deno.test("pairDistances and input errors", () => {
  const x = Float32Array.from([0, 0, 3, 4, 1, 0]);
  deepEqual(Array.from(pairDistances(x, 2, [0, 1], [1, 2])), [25, 20]);
  throws(() => pairDistances(x, 2, [0], [3]), /pair 0: image index 3 outside 0…2/);
  throws(() => evaluatePairs([0.1, 0.2], [true]), /2 distances but 1/);
  throws(() => evaluatePairs([0.1, NaN], [true, false], { folds: 2 }), /pair 1 is NaN/);
  throws(() => evaluatePairs([0.1, 0.2], [true, false], { folds: 2, thresholds: [1, 0.5] }), /must increase/);
});

Deno.test("splitBySame keeps each kind's distances in order and rejects mismatched lengths", () => {
  const d = Float64Array.from([0.5, 1.5, 0.25, 2, 1]);
  deepEqual(splitBySame(d, [true, false, true, false, false]), { same: [0.5, 0.25], different: [1.5, 2, 1] });
  deepEqual(splitBySame([], []), { same: [], different: [] });
  throws(() => splitBySame(d, [true]), /5 distances for 1 same\/different flags/);
});

Deno.test("meanThreshold averages the folds' thresholds (the mean, not the median)", () => {
  equal(meanThreshold({ bestThresholds: [0.5, 1, 1.5] }), 1);
  equal(meanThreshold({ bestThresholds: [0, 0, 3] }), 1);
  throws(() => meanThreshold({ bestThresholds: [] }), /no fold thresholds/);
});
