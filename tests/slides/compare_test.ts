import { assertClose, deepEqual, equal, throws } from "../assert.ts";
import {
  fromPlain,
  fromSquared,
  lossTableWithSlides,
  plainDistance,
  scaledEpochs,
  slideClassifiers,
  slideLossAt,
  slidesAccuracy,
  slidesPairDistances,
  squaredDistanceFrom,
  withSlidesColumn,
} from "../../lib/slides/compare.ts";

Deno.test("lossTableWithSlides: the slides' six rows with our loss at the scaled epoch", () => {
  // A 10-epoch run whose loss is 0.2 − epoch/100.
  const history = Array.from({ length: 10 }, (_, k) => ({ epoch: k + 1, loss: 0.2 - (k + 1) / 100 }));
  const rows = lossTableWithSlides(history, "zf");
  // ZF's slide epochs 1, 10, 25, 50, 100, 230 of 230 → round(e·10/230), at least 1: 1, 1, 1, 2, 4, 10.
  deepEqual(rows.map((r) => r.slideEpoch), [1, 10, 25, 50, 100, 230]);
  deepEqual(rows.map((r) => r.slideLoss), [0.196, 0.179, 0.092, 0.061, 0.031, 0.034]);
  deepEqual(rows.map((r) => r.epoch), [1, 1, 1, 2, 4, 10]);
  rows.forEach((r) => assertClose(r.loss!, 0.2 - r.epoch / 100, 1e-12));
  // A run planned for 20 epochs, stopped after 10: the later rows have no loss yet.
  const partial = lossTableWithSlides(history, "inception", 20);
  deepEqual(partial.map((r) => r.epoch), [1, 2, 5, 10, 14, 20]);
  deepEqual(partial.map((r) => r.loss === null), [false, false, false, false, true, true]);
  // The full run: epochs coincide.
  const full = Array.from({ length: 421 }, (_, k) => ({ epoch: k + 1, loss: 1 / (k + 1) }));
  deepEqual(lossTableWithSlides(full, "inception").map((r) => r.epoch), [1, 50, 100, 200, 300, 421]);
  throws(() => lossTableWithSlides([], "zf"), /no epochs/);
  equal(slideLossAt("inception", 300), 0.024);
  equal(slideLossAt("inception", 301), null);
  deepEqual(scaledEpochs([72, 230], 230, 10), [3, 10]);
});

Deno.test("slides' classifiers: their four specs, and the slides' column matches only those", () => {
  const four = slideClassifiers();
  deepEqual(four.map((c) => [c.model, c.spec, c.accuracy]), [
    ["zf", { kind: "svm" }, 0.4983],
    ["zf", { kind: "knn", k: 5 }, 0.4224],
    ["inception", { kind: "svm" }, 0.5164],
    ["inception", { kind: "knn", k: 1 }, 0.4864],
  ]);
  equal(
    slidesAccuracy("zf", { kind: "svm", kernel: "rbf", C: 1, gamma: "scale" }),
    0.4983,
    "defaults spelled out",
  );
  equal(slidesAccuracy("zf", { kind: "svm", C: 10 }), null);
  equal(slidesAccuracy("zf", { kind: "svm", kernel: "linear" }), null);
  equal(slidesAccuracy("zf", { kind: "knn", k: 1 }), null, "ZF's slide KNN is k = 5");
  equal(slidesAccuracy("inception", { kind: "knn", k: 1 }), 0.4864);
  const rows = withSlidesColumn([
    { model: "inception" as const, spec: { kind: "svm" as const }, accuracy: 0.13 },
    { model: "zf" as const, spec: { kind: "knn" as const, k: 15 }, accuracy: 0.2 },
  ]);
  deepEqual(rows.map((r) => [r.accuracy, r["accuracy (slides)"]]), [[0.13, 0.5164], [0.2, null]]);
  equal(withSlidesColumn(rows, "slides")[0].slides, 0.5164);
});

Deno.test("distances in both conventions: plain (slides) and squared (ours)", () => {
  equal(plainDistance(0.25), 0.5);
  equal(squaredDistanceFrom(0.5), 0.25);
  equal(plainDistance(-1e-12), 0, "rounding below 0 reads as 0");
  throws(() => plainDistance(-0.1), /must be ≥ 0, got -0.1/);
  throws(() => squaredDistanceFrom(NaN), /must be ≥ 0, got NaN/);
  deepEqual(fromSquared(4), { squared: 4, plain: 2 }, "antipodal unit vectors");
  deepEqual(fromPlain(Math.SQRT2).plain, Math.SQRT2);
  assertClose(fromPlain(Math.SQRT2).squared, 2, 1e-12, "orthogonal unit vectors");
  const pairs = slidesPairDistances();
  deepEqual(pairs.map((p) => [p.same, p.plain]), [
    [true, 0.5],
    [true, 0.38],
    [true, 0.23],
    [false, 0.89],
    [false, 1.53],
    [false, 1.28],
  ]);
  // Squared by hand: 0.25, 0.1444, 0.0529, 0.7921, 2.3409, 1.6384.
  [0.25, 0.1444, 0.0529, 0.7921, 2.3409, 1.6384].forEach((v, i) => assertClose(pairs[i].squared, v, 1e-12));
});
