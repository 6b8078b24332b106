import { assertAllClose, assertClose, deepEqual, equal, ok, throws } from "../assert.ts";
import { Rng } from "../../lib/rng.ts";
import {
  identityDistanceMatrix,
  imageDistanceMatrix,
  l2Normalize,
  matrixFrame,
  nearestNeighbours,
  pairDistanceDistributions,
  pairDistancesFrame,
  pointsFrame,
  separatingThreshold,
  smallestK,
  squaredDistance,
  squaredDistanceMatrix,
  umap2d,
} from "../../lib/analysis/mod.ts";
import { syntheticIdentities, zipfSizes } from "./synthetic.ts";

function randomVectors(n: number, dim: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n * dim }, () => r.normal());
}

function direct(a: Float32Array, i: number, b: Float32Array, j: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += (a[i * dim + d] - b[j * dim + d]) ** 2;
  return s;
}

Deno.test("squared distance matrices match direct sums", () => {
  const a = randomVectors(13, 7, 1), b = randomVectors(5, 7, 2);
  const D = squaredDistanceMatrix(a, 7);
  const C = squaredDistanceMatrix(a, 7, b);
  for (let i = 0; i < 13; i++) {
    equal(D[i * 13 + i], 0);
    for (let j = 0; j < 13; j++) assertClose(D[i * 13 + j], direct(a, i, a, j, 7), 1e-5, `D[${i},${j}]`);
    for (let j = 0; j < 5; j++) assertClose(C[i * 5 + j], direct(a, i, b, j, 7), 1e-5, `C[${i},${j}]`);
  }
  throws(() => squaredDistanceMatrix(a, 6), /not a multiple of dim 6/);
  const u = l2Normalize(Float32Array.from([3, 4, 0, 0]), 2);
  assertAllClose(u, [0.6, 0.8, 0, 0], 1e-7);
});

Deno.test("synthetic identities have the requested Zipf-like shape", () => {
  const sizes = zipfSizes(901, 7606, 2, 530);
  equal(sizes.length, 901);
  equal(sizes.reduce((a, b) => a + b), 7606);
  equal(sizes[0], 530);
  equal(Math.min(...sizes), 2);
  ok(sizes.every((v, i) => i === 0 || v <= sizes[i - 1]), "decreasing");
  const s = syntheticIdentities({ classes: 10, total: 60, dim: 16, minSize: 2, maxSize: 20, seed: 3 });
  equal(s.x.length, 60 * 16);
  equal(s.labels.length, 60);
  for (let i = 0; i < 60; i++) assertClose(direct(s.x, i, new Float32Array(16), 0, 16), 1, 1e-5, "unit rows");
  deepEqual(
    syntheticIdentities({ classes: 10, total: 60, dim: 16, minSize: 2, maxSize: 20, seed: 3 }).x,
    s.x,
  );
  throws(() => zipfSizes(10, 15, 2, 5), /cannot split 15/);
});

Deno.test("++ / +− pair distances: all same pairs, distinct sampled different pairs", () => {
  const s = syntheticIdentities({
    classes: 6,
    total: 40,
    dim: 8,
    minSize: 3,
    maxSize: 12,
    spread: 0.5,
    seed: 4,
  });
  const p = pairDistanceDistributions(s.x, 8, s.labels, { negatives: 200, seed: 9 });
  const expectPos = s.sizes.reduce((a, c) => a + c * (c - 1) / 2, 0);
  equal(p.positive.length, expectPos);
  equal(p.negative.length, 200);
  const seen = new Set<string>();
  for (let k = 0; k < p.negative.length; k++) {
    const i = p.negativePairs[2 * k], j = p.negativePairs[2 * k + 1];
    ok(i < j && s.labels[i] !== s.labels[j], "different identities, ordered");
    ok(!seen.has(`${i},${j}`), "no repeated pair");
    seen.add(`${i},${j}`);
    assertClose(p.negative[k], direct(s.x, i, s.x, j, 8), 1e-6);
  }
  for (let k = 0; k < p.positive.length; k++) {
    equal(s.labels[p.positivePairs[2 * k]], s.labels[p.positivePairs[2 * k + 1]]);
  }
  deepEqual(pairDistanceDistributions(s.x, 8, s.labels, { negatives: 200, seed: 9 }).negative, p.negative);
  const all = pairDistanceDistributions(s.x, 8, s.labels, { negatives: "all" });
  equal(all.negative.length, 40 * 39 / 2 - expectPos);
  const df = pairDistancesFrame(p);
  equal(df.height, expectPos + 200);
  deepEqual(df.getColumn("kind").toArray().slice(-1), ["+-"]);
  throws(() => pairDistanceDistributions(s.x, 8, s.labels, { negatives: 700 }), /use negatives: "all"/);
});

Deno.test("separatingThreshold: hand examples and brute force", () => {
  const a = separatingThreshold([0.1, 0.2, 0.3], [0.5, 0.6]);
  assertClose(a.threshold, 0.4, 1e-12);
  equal(a.balancedAccuracy, 1);
  // Overlap: compare against every midpoint.
  const r = new Rng(3);
  const pos = Array.from({ length: 50 }, () => 1 + 0.4 * r.normal());
  const neg = Array.from({ length: 80 }, () => 1.8 + 0.4 * r.normal());
  const t = separatingThreshold(pos, neg);
  const ba = (th: number) =>
    (pos.filter((v) => v < th).length / 50 + neg.filter((v) => v >= th).length / 80) / 2;
  const cuts = [...pos, ...neg].sort((x, y) => x - y);
  let best = 0;
  for (let k = 0; k + 1 < cuts.length; k++) best = Math.max(best, ba((cuts[k] + cuts[k + 1]) / 2));
  assertClose(t.balancedAccuracy, best, 1e-12);
  assertClose(ba(t.threshold), best, 1e-12, "threshold achieves it");
  ok(t.threshold > 1 && t.threshold < 1.8, `threshold ${t.threshold} between the means`);
});

Deno.test("identity and image distance matrices", () => {
  // Identity 0 at (0,0) and (0,2); identity 1 at (3,0).
  const x = Float32Array.from([0, 0, 0, 2, 3, 0]);
  const m = identityDistanceMatrix(x, 2, [0, 0, 1]);
  deepEqual(m.classes, [0, 1]);
  deepEqual(m.counts, [2, 1]);
  assertClose(m.matrix[0], 4, 1e-12); // within 0: one pair, distance² 4
  ok(Number.isNaN(m.matrix[3]), "one image: no within pair");
  assertClose(m.matrix[1], (9 + 13) / 2, 1e-12);
  assertClose(m.matrix[2], m.matrix[1], 0);
  const only = identityDistanceMatrix(x, 2, [0, 0, 1], [1, 0]);
  assertClose(only.matrix[3], 4, 1e-12, "order follows the classes argument");
  ok(Number.isNaN(only.matrix[0]));
  const s = syntheticIdentities({ classes: 5, total: 30, dim: 8, minSize: 3, maxSize: 10, seed: 1 });
  const big = identityDistanceMatrix(s.x, 8, s.labels);
  for (let a = 0; a < 5; a++) {
    for (let b = 0; b < 5; b++) {
      let sum = 0, c = 0;
      for (let i = 0; i < 30; i++) {
        for (let j = 0; j < 30; j++) {
          if (s.labels[i] === a && s.labels[j] === b && (a !== b ? true : i < j)) {
            sum += direct(s.x, i, s.x, j, 8), c++;
          }
        }
      }
      assertClose(big.matrix[a * 5 + b], sum / c, 1e-6, `(${a},${b})`);
    }
  }
  const im = imageDistanceMatrix(x, 2, [2, 0]);
  assertAllClose(im, [0, 9, 9, 0], 1e-12);
  throws(() => imageDistanceMatrix(x, 2, [3]), /outside 0…2/);
  const f = matrixFrame(im, ["a", "b"]);
  equal(f.height, 4);
  deepEqual(f.getColumn("value").toArray(), [0, 9, 9, 0]);
});

Deno.test("smallestK and nearestNeighbours agree with sorting", () => {
  const v = [5, 1, 4, 1, 3, 9, 0];
  deepEqual(smallestK(v, 3), [6, 1, 3]); // ties keep index order
  const x = randomVectors(40, 5, 8);
  const nn = nearestNeighbours(x, 5, 6);
  for (let i = 0; i < 40; i++) {
    const order = Array.from({ length: 40 }, (_, j) => j).sort((a, b) =>
      (a === i ? -1 : direct(x, i, x, a, 5)) - (b === i ? -1 : direct(x, i, x, b, 5)) || a - b
    );
    deepEqual(nn.indices[i], order.slice(0, 6));
    assertClose(nn.distances[i][1], Math.sqrt(squaredDistance(x, i, x, order[1], 5)), 1e-5);
  }
});

Deno.test("UMAP keeps separable identities apart and is seeded", () => {
  const s = syntheticIdentities({
    classes: 3,
    total: 90,
    dim: 16,
    minSize: 30,
    maxSize: 30,
    spread: 0.8,
    seed: 5,
  });
  const y = umap2d(s.x, 16, { seed: 3, nNeighbors: 10, nEpochs: 200 });
  equal(y.length, 180);
  let agree = 0;
  for (let i = 0; i < 90; i++) {
    let best = -1, bd = Infinity;
    for (let j = 0; j < 90; j++) {
      const d = (y[2 * i] - y[2 * j]) ** 2 + (y[2 * i + 1] - y[2 * j + 1]) ** 2;
      if (j !== i && d < bd) bd = d, best = j;
    }
    if (s.labels[best] === s.labels[i]) agree++;
  }
  equal(agree, 90, "every point's 2-D nearest neighbour shares its identity");
  deepEqual(umap2d(s.x, 16, { seed: 3, nNeighbors: 10, nEpochs: 200 }), y, "same seed, same map");
  const f = pointsFrame(y, s.labels, ["ann", "bob", "cy"]);
  deepEqual(f.columns, ["x", "y", "label", "name"]);
  equal(f.getColumn("name").toArray()[89], "cy");
});
