import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers"; // registers gradients
import "@tensorflow/tfjs-backend-cpu";
import { assertClose, equal, ok } from "../assert.ts";
import {
  pairwiseSquaredDistances,
  tripletBatchHardLoss,
  tripletLoss,
  tripletSemiHardLoss,
} from "../../lib/training/triplet.ts";
import { Rng } from "../../lib/rng.ts";

await tf.setBackend("cpu");

/** Plain double-precision squared distances. */
function dists(x: number[][]): number[][] {
  return x.map((a) => x.map((b) => a.reduce((s, v, t) => s + (v - b[t]) ** 2, 0)));
}

/** TFA's masked maximum / minimum of one row, written out literally (offset by the row's min / max). */
function maskedMax(row: number[], mask: boolean[]): number {
  const lo = Math.min(...row);
  return Math.max(...row.map((v, j) => (v - lo) * (mask[j] ? 1 : 0))) + lo;
}
function maskedMin(row: number[], mask: boolean[]): number {
  const hi = Math.max(...row);
  return Math.min(...row.map((v, j) => (v - hi) * (mask[j] ? 1 : 0))) + hi;
}

/** TensorFlow Addons' triplet_semihard_loss as plain loops over anchors, positives and negatives, with
 * `distance_metric` "squared-L2" (TFA ≤ 0.7's only one) or "L2" (plain distances, its default since). */
function refSemiHard(
  y: number[],
  x: number[][],
  margin: number,
  metric: "squared-L2" | "L2" = "squared-L2",
): number {
  const d = metric === "L2" ? dists(x).map((r) => r.map(Math.sqrt)) : dists(x);
  const n = y.length;
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < n; a++) {
    const negMask = y.map((l) => l !== y[a]);
    for (let p = 0; p < n; p++) {
      if (p === a || y[p] !== y[a]) continue;
      pairs++;
      const outside = y.map((l, j) => l !== y[a] && d[a][j] > d[a][p]);
      const dan = outside.some(Boolean) ? maskedMin(d[a], outside) : maskedMax(d[a], negMask);
      sum += Math.max(d[a][p] - dan + margin, 0);
    }
  }
  return sum / pairs;
}

/** TensorFlow Addons' triplet_hard_loss (soft=false) as plain loops. */
function refBatchHard(y: number[], x: number[][], margin: number): number {
  const d = dists(x);
  let sum = 0;
  for (let a = 0; a < y.length; a++) {
    const hp = maskedMax(d[a], y.map((l, j) => l === y[a] && j !== a));
    const hn = maskedMin(d[a], y.map((l) => l !== y[a]));
    sum += Math.max(hp - hn + margin, 0);
  }
  return sum / y.length;
}

function randomBatch(rng: Rng, n: number, dim: number, classes: number, normalise: boolean) {
  const y = Array.from({ length: n }, () => rng.int(classes));
  const x = Array.from({ length: n }, () => {
    const v = Array.from({ length: dim }, () => rng.normal());
    const norm = Math.hypot(...v);
    return normalise ? v.map((t) => t / norm) : v;
  });
  return { y, x };
}

Deno.test("semi-hard and batch-hard losses on a hand-worked 1-D example", () => {
  // Points 0, 3 (same person) and 1 (another): d(0,3)=9, d(0,1)=1, d(3,1)=4.
  // (a=0,p=1): no negative farther than 9 → farthest negative d=1 → 9−1+0.2 = 8.2
  // (a=1,p=0): negative d=4 is not > 9 → farthest negative 4 → 9−4+0.2 = 5.2; mean 6.7.
  const x = tf.tensor2d([[0], [3], [1]]);
  const semi = tripletSemiHardLoss([0, 0, 1], x, 0.2);
  assertClose(semi.dataSync()[0], 6.7, 1e-6, "semi-hard");
  // Batch-hard: anchors 0 → 8.2, 1 → 5.2, 2 (no positive: TFA's masked max gives 0) → max(0 − 1 + 0.2, 0) = 0.
  const hard = tripletBatchHardLoss([0, 0, 1], x, 0.2);
  assertClose(hard.dataSync()[0], 13.4 / 3, 1e-6, "batch-hard");
  // The semi-hard negative is the closest one beyond the positive, not the closest overall.
  const x2 = tf.tensor2d([[0], [1], [0.5], [2]]); // labels 0,0,1,1: for (0,1) d=1, negatives at 0.25 and 4 → 4
  const r = tripletLoss([0, 0, 1, 1], x2, 0.2);
  // pairs: (0,1): 1−4+.2<0 → 0; (1,0): d=1, negs d(1,.5)=.25, d(1,2)=1 (not > 1) → farthest .. =1 → 1−1+.2 = .2
  // (2,3): d=2.25, negs d(.5,0)=.25, d(.5,1)=.25 → farthest .25 → 2.25−.25+.2 = 2.2
  // (3,2): d=2.25, negs d(2,0)=4 > 2.25 → 4 → 0. Total 2.4 / 4.
  assertClose(r.loss.dataSync()[0], 0.6, 1e-6, "semi-hard 4 points");
  equal(r.triplets, 4);
  equal(r.active, 2);
  tf.dispose([x, semi, hard, x2, r.loss]);
});

Deno.test("tripletSemiHardLoss matches TFA's loop reference on random batches", () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 25; trial++) {
    const n = 4 + rng.int(30);
    const { y, x } = randomBatch(rng, n, 2 + rng.int(16), 1 + rng.int(6), trial % 2 === 0);
    const margin = [0.2, 0.5, 1.0][trial % 3];
    const e = tf.tensor2d(x);
    const got = tripletSemiHardLoss(y, e, margin);
    const hasPos = y.some((l, i) => y.some((m, j) => i !== j && l === m));
    const want = hasPos ? refSemiHard(y, x, margin) : 0;
    assertClose(got.dataSync()[0], want, 2e-5, `trial ${trial} (n=${n})`);
    const hard = tripletBatchHardLoss(y, e, margin);
    assertClose(hard.dataSync()[0], refBatchHard(y, x, margin), 2e-5, `batch-hard trial ${trial}`);
    tf.dispose([e, got, hard]);
  }
});

Deno.test('the hinge on plain Euclidean distances matches TFA\'s triplet_semihard_loss(distance_metric="L2")', () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 20; trial++) {
    const n = 6 + rng.int(26);
    const { y, x } = randomBatch(rng, n, 2 + rng.int(16), 1 + rng.int(5), true);
    if (!y.some((l, i) => y.some((m, j) => i !== j && l === m))) continue;
    const e = tf.tensor2d(x);
    const r = tripletLoss(y, e, 0.2, "semi-hard", undefined, { softMargin: false, distance: "euclidean" });
    const want = refSemiHard(y, x, 0.2, "L2");
    assertClose(r.loss.dataSync()[0], want, 2e-5, `trial ${trial} (n=${n})`);
    // And not the squared-distance loss (the two differ on every batch of spread embeddings).
    ok(Math.abs(want - refSemiHard(y, x, 0.2)) > 1e-3, `trial ${trial}: L2 and squared-L2 losses differ`);
    tf.dispose([e, r.loss]);
  }
});

Deno.test("all-same-label batch: TFA's fallback negative is the row minimum (0)", () => {
  const x = [[0.1, 0.2], [0.4, -0.3], [0.9, 0.0]];
  const e = tf.tensor2d(x);
  const got = tripletSemiHardLoss([5, 5, 5], e, 0.2).dataSync()[0];
  assertClose(got, refSemiHard([5, 5, 5], x, 0.2), 1e-6);
  e.dispose();
});

Deno.test("pairwise squared distances equal the direct formula, zero diagonal", () => {
  const rng = new Rng(3);
  const { x } = randomBatch(rng, 9, 5, 3, false);
  const d = pairwiseSquaredDistances(tf.tensor2d(x)).arraySync();
  const ref = dists(x);
  for (let i = 0; i < 9; i++) {
    equal(d[i][i], 0);
    for (let j = 0; j < 9; j++) assertClose(d[i][j], ref[i][j], 1e-5, `d[${i}][${j}]`);
  }
});

Deno.test("gradients of both losses agree with finite differences of the double-precision reference", () => {
  const rng = new Rng(11);
  for (const [mining, ref] of [["semi-hard", refSemiHard], ["batch-hard", refBatchHard]] as const) {
    const { y, x } = randomBatch(rng, 12, 4, 3, false);
    const g = tf.grad((e: tf.Tensor) => tripletLoss(y, e as tf.Tensor2D, 0.5, mining).loss)(tf.tensor2d(x));
    const gv = g.arraySync() as number[][];
    const h = 1e-6;
    let checked = 0;
    for (let i = 0; i < x.length; i++) {
      for (let t = 0; t < x[0].length; t++) {
        const xp = x.map((r) => r.slice());
        const xm = x.map((r) => r.slice());
        xp[i][t] += h;
        xm[i][t] -= h;
        const num = (ref(y, xp, 0.5) - ref(y, xm, 0.5)) / (2 * h);
        assertClose(gv[i][t], num, 2e-3, `${mining} dL/dx[${i}][${t}]`);
        if (Math.abs(num) > 1e-3) checked++;
      }
    }
    ok(checked > 5, `${mining}: too few non-zero gradient entries (${checked}) to be a meaningful check`);
    g.dispose();
  }
});

Deno.test("tripletLoss leaves no tensors behind besides its result", () => {
  const e = tf.tensor2d([[0, 1], [1, 0], [0.5, 0.5], [1, 1]]);
  const before = tf.memory().numTensors;
  const r = tripletLoss([0, 0, 1, 1], e);
  equal(tf.memory().numTensors, before + 1);
  r.loss.dispose();
  e.dispose();
});
