import { equal, rejects } from "../assert.ts";
import { squaredDistance } from "../../lib/analysis/mod.ts";
import { classifyHeldOutImages } from "../../lib/classify/mod.ts";
import { syntheticIdentities } from "../analysis/synthetic.ts";

const data = () =>
  syntheticIdentities({ classes: 12, total: 72, dim: 8, minSize: 6, maxSize: 6, spread: 0.9, seed: 3 });

Deno.test("classifyHeldOutImages: 1-NN on the held-out rows equals a brute-force nearest neighbour", async () => {
  const { x, labels, dim } = data();
  const held = [0, 7, 13, 20, 33, 41, 58, 70];
  const r = await classifyHeldOutImages({ kind: "knn", k: 1 }, x, dim, labels, held);
  // Independent reference: the nearest row outside `held`, by a plain loop.
  let correct = 0;
  for (const h of held) {
    let best = -1, bestD = Infinity;
    for (let j = 0; j < labels.length; j++) {
      if (held.includes(j)) continue;
      const d = squaredDistance(x, h, x, j, dim);
      if (d < bestD) [best, bestD] = [j, d];
    }
    if (labels[best] === labels[h]) correct++;
  }
  equal(r.images, held.length);
  equal(r.correct, correct);
  equal(r.accuracy, correct / held.length);
  equal(r.classes, 12);
  equal(r.se, Math.sqrt((r.accuracy * (1 - r.accuracy)) / held.length));
});

Deno.test("classifyHeldOutImages: an SVM names well-separated held-out images", async () => {
  const s = syntheticIdentities({
    classes: 6,
    total: 36,
    dim: 8,
    minSize: 6,
    maxSize: 6,
    spread: 0.05,
    seed: 5,
  });
  const held = [1, 8, 15, 22, 29, 34];
  const r = await classifyHeldOutImages({ kind: "svm" }, s.x, s.dim, s.labels, held);
  equal(r.correct, 6);
});

Deno.test("classifyHeldOutImages: bad rows are errors naming them", async () => {
  const { x, labels, dim } = data();
  await rejects(classifyHeldOutImages({ kind: "knn", k: 1 }, x, dim, labels, [3, 3]), /row 3 listed twice/);
  await rejects(classifyHeldOutImages({ kind: "knn", k: 1 }, x, dim, labels, [999]), /row 999 outside/);
  const oneClass = Array.from({ length: labels.length }, (_, i) => i).filter((i) => labels[i] === labels[0]);
  await rejects(
    classifyHeldOutImages({ kind: "knn", k: 1 }, x, dim, labels, oneClass),
    /has no image left to fit on/,
  );
});
