import { assertClose, deepEqual, equal, notDeepEqual, ok, throws } from "../assert.ts";
import { squaredDistanceMatrix } from "../../lib/analysis/mod.ts";
import { syntheticIdentities } from "./synthetic.ts";
import { conditionalAffinities, tsne2d } from "../../lib/analysis/tsne.ts";

/** Fraction of points whose nearest other point in 2-D has the same label. */
function oneNnAgreement(y: Float32Array, labels: Int32Array): number {
  const n = labels.length;
  let ok = 0;
  for (let i = 0; i < n; i++) {
    let best = -1, bd = Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const d = (y[2 * i] - y[2 * j]) ** 2 + (y[2 * i + 1] - y[2 * j + 1]) ** 2;
      if (d < bd) bd = d, best = j;
    }
    if (labels[best] === labels[i]) ok++;
  }
  return ok / n;
}

Deno.test("conditional affinities are row-stochastic with the requested perplexity", () => {
  const s = syntheticIdentities({
    classes: 3,
    total: 30,
    dim: 6,
    minSize: 10,
    maxSize: 10,
    spread: 1,
    seed: 2,
  });
  const n = 30;
  const P = conditionalAffinities(squaredDistanceMatrix(s.x, 6), n, 5);
  for (let i = 0; i < n; i++) {
    const row = P.subarray(i * n, (i + 1) * n);
    equal(row[i], 0);
    assertClose(row.reduce((a, b) => a + b), 1, 1e-9, `row ${i} sum`);
    let H = 0;
    for (const p of row) if (p > 0) H -= p * Math.log(p);
    assertClose(Math.exp(H), 5, 1e-4, `row ${i} perplexity`);
  }
  throws(() => conditionalAffinities(new Float32Array(4), 2, 3), /perplexity must be/);
});

Deno.test("t-SNE keeps separable identities apart, and is seeded", () => {
  const s = syntheticIdentities({
    classes: 4,
    total: 80,
    dim: 16,
    minSize: 20,
    maxSize: 20,
    spread: 0.8,
    seed: 7,
  });
  const r = tsne2d(s.x, 16, { seed: 1, iterations: 500 });
  equal(r.y.length, 160);
  ok(r.y.every(Number.isFinite), "finite coordinates");
  equal(oneNnAgreement(r.y, s.labels), 1);
  // Clusters: mean distance between class centroids well above the mean spread within a class.
  const cx = [0, 0, 0, 0], cy = [0, 0, 0, 0];
  s.labels.forEach((l, i) => (cx[l] += r.y[2 * i] / 20, cy[l] += r.y[2 * i + 1] / 20));
  let within = 0;
  s.labels.forEach((l, i) => within += Math.hypot(r.y[2 * i] - cx[l], r.y[2 * i + 1] - cy[l]) / 80);
  let between = Infinity;
  for (let a = 0; a < 4; a++) {
    for (let b = a + 1; b < 4; b++) between = Math.min(between, Math.hypot(cx[a] - cx[b], cy[a] - cy[b]));
  }
  ok(between > 2 * within, `closest centroids ${between} vs within-class spread ${within}`);
  ok(r.kl > 0 && r.kl < 2, `KL ${r.kl}`);
  deepEqual(tsne2d(s.x, 16, { seed: 1, iterations: 500 }).y, r.y, "same seed, same map");
  notDeepEqual(
    tsne2d(s.x, 16, { seed: 2, iterations: 50 }).y,
    tsne2d(s.x, 16, { seed: 1, iterations: 50 }).y,
  );
  throws(() => tsne2d(new Float32Array(6), 2), /at least 4 points/);
});
