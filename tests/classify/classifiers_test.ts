import { assert, assertClose, deepEqual, equal, ok, rejects, throws } from "../assert.ts";
import { squaredDistanceMatrix } from "../../lib/analysis/mod.ts";
import { syntheticIdentities } from "../analysis/synthetic.ts";
import {
  compactGrid,
  crossValidate,
  defaultGrid,
  fitClassifier,
  foldsFrame,
  gridSearch,
  rankClasses,
  scaleGamma,
  specName,
  stratifiedFolds,
  summaryFrame,
} from "../../lib/classify/mod.ts";
import { MAX_PRECOMPUTED, trainSvm, trainSvmPrecomputed } from "../../lib/classify/svm.ts";
import { env } from "../../lib/config.ts";

/** Small labelled clusters: `classes` identities of `per` unit vectors in `dim` dimensions. */
function clusters(classes: number, per: number, dim: number, spread: number, seed = 1) {
  return syntheticIdentities({
    classes,
    total: classes * per,
    dim,
    minSize: per,
    maxSize: per,
    spread,
    seed,
  });
}

Deno.test("stratifiedFolds spreads every identity evenly and balances fold sizes", () => {
  const labels = Int32Array.from([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4]);
  const k = 4;
  const f = stratifiedFolds(labels, k, 7);
  const sizes = new Array(k).fill(0);
  for (const v of f) sizes[v]++;
  ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `fold sizes ${sizes}`);
  for (let c = 0; c <= 4; c++) {
    const per = new Array(k).fill(0);
    labels.forEach((l, i) => {
      if (l === c) per[f[i]]++;
    });
    ok(Math.max(...per) - Math.min(...per) <= 1, `class ${c} per fold ${per}`);
  }
  deepEqual(stratifiedFolds(labels, k, 7), f, "same seed, same folds");
  ok(stratifiedFolds(labels, k, 8).some((v, i) => v !== f[i]), "another seed, other folds");
  throws(() => stratifiedFolds(labels, 1), /folds must be/);
});

Deno.test("scaleGamma is 1 / (dim · Var) over all entries", () => {
  // Entries {1, 0, 0, 1}: mean ½, variance ¼ → γ = 1 / (2 · ¼) = 2.
  assertClose(scaleGamma(Float32Array.from([1, 0, 0, 1]), 2), 2, 1e-12);
  // Entries {1, 3, 5, 7} as two rows of 2: mean 4, var 5 → 1 / 10.
  assertClose(scaleGamma(Float64Array.from([1, 3, 5, 7]), 2), 0.1, 1e-12);
  assertClose(scaleGamma(Float64Array.from([1, 3, 5, 7]), 2, [1]), 1 / (2 * 1), 1e-12, "rows subset {5,7}");
});

Deno.test("KNN cross-validation matches a direct brute-force reference and ml-knn", async () => {
  const s = clusters(6, 9, 8, 2.2, 3);
  const n = s.labels.length;
  const folds = stratifiedFolds(s.labels, 3, 0);
  for (const k of [1, 3]) {
    const r = await crossValidate({ kind: "knn", k }, s.x, s.dim, s.labels, { folds });
    // Reference: for every sample, distances to all other-fold samples computed directly, sorted
    // (ties by index), majority vote with ties to the class met first.
    let correct = 0;
    for (let t = 0; t < n; t++) {
      const cand: [number, number][] = [];
      for (let j = 0; j < n; j++) {
        if (folds[j] === folds[t]) continue;
        let d = 0;
        for (let q = 0; q < s.dim; q++) d += (s.x[t * s.dim + q] - s.x[j * s.dim + q]) ** 2;
        cand.push([d, j]);
      }
      cand.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const votes = cand.slice(0, k).map((c) => s.labels[c[1]]);
      const count = (l: number) => votes.filter((v) => v === l).length;
      const top = Math.max(...votes.map(count));
      const want = votes.find((v) => count(v) === top)!;
      equal(r.predicted[t], want, `k=${k} sample ${t}`);
      if (want === s.labels[t]) correct++;
    }
    assertClose(
      r.foldAccuracy.reduce((a, b, f) => a + b * folds.filter((v) => v === f).length, 0),
      correct,
      1e-9,
      "accuracy × fold size sums to correct predictions",
    );
    // ml-knn agrees where no vote can tie (k = 1).
    if (k === 1) {
      const m = await crossValidate({ kind: "knn", k, impl: "ml-knn" }, s.x, s.dim, s.labels, { folds });
      deepEqual(m.predicted, r.predicted);
    }
  }
});

Deno.test("SVM on a precomputed kernel gives libsvm's own RBF and linear predictions", async () => {
  const s = clusters(5, 12, 10, 2.5, 5);
  const n = s.labels.length;
  const folds = stratifiedFolds(s.labels, 4, 1);
  for (
    const spec of [{ kind: "svm", kernel: "rbf", C: 2, gamma: 0.7 }, {
      kind: "svm",
      kernel: "linear",
      C: 1,
    }] as const
  ) {
    const r = await crossValidate(spec, s.x, s.dim, s.labels, { folds });
    for (let f = 0; f < 4; f++) {
      const train: number[] = [], test: number[] = [];
      for (let i = 0; i < n; i++) (folds[i] === f ? test : train).push(i);
      const row = (i: number) => s.x.subarray(i * s.dim, (i + 1) * s.dim);
      const m = await trainSvm(train.map(row), train.map((i) => s.labels[i]), {
        kernel: spec.kernel,
        cost: spec.C,
        gamma: spec.kernel === "rbf" ? spec.gamma : undefined,
      });
      try {
        for (const t of test) {
          equal(r.predicted[t], m.predict(row(t)), `${specName(spec)} fold ${f} sample ${t}`);
        }
      } finally {
        m.free();
      }
    }
    ok(r.mean > 0.3, `${r.name} better than chance (${r.mean})`);
  }
});

Deno.test("well-separated identities are classified perfectly; hard ones are not", async () => {
  const easy = clusters(8, 10, 16, 0.3, 2);
  for (const spec of [{ kind: "svm" }, { kind: "knn", k: 5 }, { kind: "knn", k: 1 }] as const) {
    const r = await crossValidate(spec, easy.x, easy.dim, easy.labels, { folds: 5, seed: 3 });
    equal(r.foldAccuracy.length, 5);
    equal(r.mean, 1, `${r.name} on separable clusters`);
    equal(r.std, 0);
    if (spec.kind === "svm") {
      assertClose(r.gammas![0], scaleGamma(easy.x, easy.dim), 0.2, "γ scale ≈ full-data value");
    }
  }
  const noise = clusters(8, 10, 16, 50, 2); // centres drowned in noise: near chance (1/8)
  const r = await crossValidate({ kind: "knn", k: 1 }, noise.x, noise.dim, noise.labels, { folds: 5 });
  ok(r.mean < 0.5, `noise accuracy ${r.mean}`);
  // mean ± std are those of the per-fold accuracies.
  const m = r.foldAccuracy.reduce((a, b) => a + b) / 5;
  assertClose(r.mean, m, 1e-12);
  assertClose(r.std, Math.sqrt(r.foldAccuracy.reduce((a, b) => a + (b - m) ** 2, 0) / 5), 1e-12);
});

Deno.test("grid search finds k = 1 beats k = 15 when most identities have 3 images", async () => {
  // One large identity collects most of 15 votes; the small ones need k = 1.
  const s = syntheticIdentities({
    classes: 20,
    total: 100,
    dim: 8,
    minSize: 3,
    maxSize: 40,
    spread: 0.5,
    seed: 4,
  });
  const specs = [{ kind: "knn", k: 15 }, { kind: "knn", k: 1 }] as const;
  const g = await gridSearch([...specs], s.x, s.dim, s.labels, { folds: 3 });
  ok(g.results[1].mean > g.results[0].mean + 0.2, `k=1 ${g.results[1].mean} vs k=15 ${g.results[0].mean}`);
  equal(g.best.name, "KNN k=1");
  equal(g.table.height, 2);
  deepEqual(g.table.getColumn("classifier").toArray(), ["KNN k=1", "KNN k=15"]);
  equal(foldsFrame(g.results).height, 6);
  equal(summaryFrame(g.results).getColumn("folds").toArray()[0], 3);
  equal(defaultGrid(s.x, s.dim).length, 18);
});

Deno.test("fitted classifiers give probabilities for new images", async () => {
  const s = clusters(4, 15, 12, 0.4, 9);
  // New images: the identity centres themselves.
  const q = s.centres;
  const svm = await fitClassifier({ kind: "svm" }, s.x, s.dim, s.labels, { probability: true });
  try {
    deepEqual(Array.from(svm.predict(q)), [0, 1, 2, 3]);
    const p = svm.probabilities(q);
    equal(p.length, 16);
    for (let r = 0; r < 4; r++) {
      const row = p.subarray(r * 4, r * 4 + 4);
      assertClose(row.reduce((a, b) => a + b), 1, 1e-6, `row ${r} sums to 1`);
      equal(rankClasses(row, svm.classes, 1)[0].label, r);
      ok(row[r] > 0.5, `confident on its own centre: ${row[r]}`);
    }
    equal(rankClasses(p.subarray(0, 4), svm.classes, 3).length, 3);
  } finally {
    svm.free();
  }
  const knn = await fitClassifier({ kind: "knn", k: 5 }, s.x, s.dim, s.labels);
  deepEqual(Array.from(knn.predict(q)), [0, 1, 2, 3]);
  deepEqual(Array.from(knn.probabilities(q.subarray(0, 12))), [1, 0, 0, 0]);
  // A point halfway between centres 0 and 1: the vote fractions are multiples of 1/5 summing to 1.
  const mid = new Float32Array(12).map((_, d) => (q[d] + q[12 + d]) / 2);
  const pm = knn.probabilities(mid);
  assertClose(pm.reduce((a, b) => a + b), 1, 1e-12);
  for (const v of pm) assertClose(v * 5, Math.round(v * 5), 1e-9, "vote fraction");
  const noProb = await fitClassifier({ kind: "svm" }, s.x, s.dim, s.labels);
  try {
    throws(() => noProb.probabilities(q), /probability: true/);
  } finally {
    noProb.free();
  }
});

Deno.test("bad input is rejected with a clear message", async () => {
  const x = new Float32Array(12);
  await rejects(crossValidate({ kind: "knn", k: 1 }, x, 5, [0, 1]), /not a multiple of dim 5/);
  await rejects(crossValidate({ kind: "knn", k: 1 }, x, 4, [0, 1]), /3 embeddings but 2 labels/);
  await rejects(crossValidate({ kind: "knn", k: 0 }, x, 4, [0, 1, 1]), /k must be/);
  await rejects(crossValidate({ kind: "svm", C: -1 }, x, 4, [0, 1, 1]), /C must be > 0/);
  await rejects(crossValidate({ kind: "knn", k: 1 }, x, 4, [0, 1, 1.5]), /label 2 is 1.5/);
  await rejects(
    crossValidate({ kind: "knn", k: 1 }, x, 4, [0, 1, 1], { distances: new Float32Array(4) }),
    /distances has 4 entries/,
  );
  const big = MAX_PRECOMPUTED + 1;
  await rejects(trainSvmPrecomputed(big, () => {}, new Int32Array(big)), /limit 2 GiB/);
});

// Timing at the real size (7,606 × 128, 901 identities): minutes, so only on request.
Deno.test({
  name: "10-fold SVM and KNN at LFW size (FACENET_SLOW_TESTS=1)",
  ignore: env("FACENET_SLOW_TESTS") !== "1",
  fn: async () => {
    const s = syntheticIdentities({ seed: 1 });
    let t = performance.now();
    const D = squaredDistanceMatrix(s.x, s.dim);
    console.log(`distance matrix: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    for (const spec of [{ kind: "knn", k: 5 }, { kind: "knn", k: 1 }, { kind: "svm" }] as const) {
      t = performance.now();
      const r = await crossValidate(spec, s.x, s.dim, s.labels, { distances: D });
      console.log(`${r.name}: ${r.mean.toFixed(4)} ± ${r.std.toFixed(4)} in ${r.seconds.toFixed(1)} s`);
      assert(r.mean > 0.5, `${r.name} accuracy ${r.mean}`);
    }
  },
});

Deno.test("compactGrid: four SVM settings around the scale gamma, then KNN k = 1, 3, 5, 9, 15", () => {
  // Two 2-d points (0,0) and (2,2): per-feature values {0, 2}, variance 1 over all 4 numbers → γ = 1 / (2 · 1).
  const x = Float32Array.from([0, 0, 2, 2]);
  const names = compactGrid(x, 2).map(specName);
  deepEqual(names, [
    "SVM rbf C=1 γ=0.5",
    "SVM rbf C=10 γ=0.5",
    "SVM rbf C=10 γ=2",
    "SVM linear C=10",
    "KNN k=1",
    "KNN k=3",
    "KNN k=5",
    "KNN k=9",
    "KNN k=15",
  ]);
});
