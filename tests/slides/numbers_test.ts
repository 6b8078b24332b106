import { deepEqual, equal, ok } from "../assert.ts";
import { SLIDES, SLIDES_NETWORKS, SLIDES_PARAMS } from "../../lib/slides/numbers.ts";
import { SLIDES_PARAMS as NETWORK_PARAMS } from "../../lib/models/networks.ts";
import { trainingConfig } from "../../lib/training/config.ts";
import { referenceConfig } from "../../lib/training/recipes.ts";

Deno.test("the slides' numbers as transcribed: schedules, loss tables, accuracies, distances, subset", () => {
  const { zf, inception } = SLIDES_NETWORKS;
  deepEqual([zf.lrStart, zf.lrEnd, zf.epochs], [0.05, 0.00015, 230]);
  deepEqual([inception.lrStart, inception.lrEnd, inception.epochs], [0.01, 0.00003, 421]);
  equal(SLIDES.batchSize, 200);
  deepEqual(zf.loss.map((r) => [r.epoch, r.loss]), [
    [1, 0.196],
    [10, 0.179],
    [25, 0.092],
    [50, 0.061],
    [100, 0.031],
    [230, 0.034],
  ]);
  deepEqual(inception.loss.map((r) => [r.epoch, r.loss]), [
    [1, 0.198],
    [50, 0.081],
    [100, 0.036],
    [200, 0.027],
    [300, 0.024],
    [421, 0.025],
  ]);
  deepEqual(zf.classifiers, [{ kind: "svm", accuracy: 0.4983 }, { kind: "knn", k: 5, accuracy: 0.4224 }]);
  deepEqual(inception.classifiers, [{ kind: "svm", accuracy: 0.5164 }, {
    kind: "knn",
    k: 1,
    accuracy: 0.4864,
  }]);
  deepEqual(SLIDES.pairDistances, { same: [0.5, 0.38, 0.23], different: [0.89, 1.53, 1.28] });
  deepEqual(SLIDES.groupPhotoConfidences, [0.48, 0.49]);
  deepEqual(SLIDES.subset, { minImages: 3, identities: 901, images: 6352 });
  // Each loss table starts at epoch 1 and ends at the last epoch of the run.
  for (const n of [zf, inception]) {
    equal(n.loss[0].epoch, 1);
    equal(n.loss.at(-1)!.epoch, n.epochs);
    ok(n.histogramEpochs.every((e) => e >= 1 && e <= n.epochs));
  }
});

Deno.test("training's full profile and the networks' parameter check read the slides' numbers", () => {
  for (const m of ["zf", "inception"] as const) {
    const cfg = trainingConfig(m, "full");
    const s = SLIDES_NETWORKS[m];
    equal(cfg.epochs, s.epochs);
    equal(cfg.batchSize, SLIDES.batchSize);
    equal(cfg.margin, SLIDES.margin);
    equal(cfg.minImages, SLIDES.subset.minImages);
    deepEqual(cfg.distanceEpochs, [...s.histogramEpochs]);
    equal(cfg.schedule.start, s.lrStart);
    equal(
      cfg.schedule.kind === "step"
        ? cfg.schedule.end
        : cfg.schedule.kind === "plateau"
        ? cfg.schedule.min
        : NaN,
      s.lrEnd,
    );
  }
  equal(NETWORK_PARAMS, SLIDES_PARAMS, "one table, re-exported");
  deepEqual(SLIDES_PARAMS, { zf: 6_705_856, inception: 7_450_032 });
});

Deno.test("a reference run's distance snapshots sit at the slides' histogram epochs, scaled", () => {
  // 5,000 batches of 50 per epoch: 100 epochs. ZF: 72 and 230 of 230 → 31, 100; Inception: 90, 400 of 421 → 21, 95.
  deepEqual(referenceConfig("zf", 5000).distanceEpochs, [31, 100]);
  deepEqual(referenceConfig("inception", 5000).distanceEpochs, [21, 95]);
});
