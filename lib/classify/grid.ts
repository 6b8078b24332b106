/**
 * Choosing a classifier: the slides' grid of SVM and kNN settings (and a compact one for short runs),
 * a grid search by cross-validation on shared folds, and its results as tables.
 */
import pl from "nodejs-polars";
import { squaredDistanceMatrix, type Vectors } from "../analysis/vectors.ts";
import {
  checkData,
  checkSpec,
  type ClassifierSpec,
  crossValidate,
  type CrossValidation,
  type CrossValidationOptions,
  foldAssignment,
  scaleGamma,
} from "./classifiers.ts";

/** Per-fold accuracies of several runs as a long table: `classifier`, `fold`, `accuracy`. */
export function foldsFrame(results: CrossValidation[]): pl.DataFrame {
  const classifier: string[] = [], fold: number[] = [], accuracy: number[] = [];
  for (const r of results) {
    r.foldAccuracy.forEach((a, f) => {
      classifier.push(r.name);
      fold.push(f);
      accuracy.push(a);
    });
  }
  return pl.DataFrame({ classifier, fold: pl.Series("fold", fold, pl.Int32), accuracy });
}

/** One row per run: `classifier`, `mean`, `std`, `folds`, `seconds`, sorted by mean accuracy (best first). */
export function summaryFrame(results: CrossValidation[]): pl.DataFrame {
  const rows = [...results].sort((a, b) => b.mean - a.mean);
  return pl.DataFrame({
    classifier: rows.map((r) => r.name),
    mean: rows.map((r) => r.mean),
    std: rows.map((r) => r.std),
    folds: pl.Series("folds", rows.map((r) => r.foldAccuracy.length), pl.Int32),
    seconds: rows.map((r) => r.seconds),
  });
}

// ---------------------------------------------------------------------------------------------------
// Grid search

/**
 * The slides' "scope for improvement" grid: SVM rbf with C ∈ {1, 10, 100} × γ ∈ {¼, 1, 4} × the "scale"
 * value of `x`, SVM linear with C ∈ {0.1, 1, 10}, and KNN with k ∈ {1, 3, 5, 7, 9, 15}.
 */
export function defaultGrid(x: Vectors, dim: number): ClassifierSpec[] {
  const g = scaleGamma(x, dim);
  const specs: ClassifierSpec[] = [];
  for (const C of [1, 10, 100]) {
    for (const f of [0.25, 1, 4]) specs.push({ kind: "svm", kernel: "rbf", C, gamma: g * f });
  }
  for (const C of [0.1, 1, 10]) specs.push({ kind: "svm", kernel: "linear", C });
  for (const k of [1, 3, 5, 7, 9, 15]) specs.push({ kind: "knn", k });
  return specs;
}

/**
 * A grid small enough for a CPU run at full size: SVM rbf C=1 and C=10 at the "scale" γ, C=10 at 4× that γ,
 * SVM linear C=10, and KNN with k ∈ {1, 3, 5, 9, 15}.
 */
export function compactGrid(x: Vectors, dim: number): ClassifierSpec[] {
  const g = scaleGamma(x, dim);
  return [
    { kind: "svm", kernel: "rbf", C: 1, gamma: g },
    { kind: "svm", kernel: "rbf", C: 10, gamma: g },
    { kind: "svm", kernel: "rbf", C: 10, gamma: 4 * g },
    { kind: "svm", kernel: "linear", C: 10 },
    ...[1, 3, 5, 9, 15].map((k): ClassifierSpec => ({ kind: "knn", k })),
  ];
}

export interface GridSearch {
  results: CrossValidation[];
  /** The run with the highest mean accuracy (first in `specs` order on ties). */
  best: CrossValidation;
  /** `summaryFrame(results)`. */
  table: pl.DataFrame;
}

/**
 * Cross-validate every spec on the same folds (same seed) and the same distance matrix. At full size
 * (7,606 × 128, 901 classes) each SVM setting costs minutes for 10 folds: use fewer folds for a grid.
 */
export async function gridSearch(
  specs: ClassifierSpec[],
  x: Vectors,
  dim: number,
  labels: ArrayLike<number>,
  opts: CrossValidationOptions & { onSpec?: (r: CrossValidation, i: number, of: number) => void } = {},
): Promise<GridSearch> {
  if (specs.length === 0) throw new RangeError("gridSearch: no specs");
  specs.forEach(checkSpec);
  checkData(x, dim, labels);
  const distances = opts.distances ?? squaredDistanceMatrix(x, dim);
  const { fold } = foldAssignment(opts.folds ?? 10, labels, opts.seed ?? 0);
  const results: CrossValidation[] = [];
  for (const [i, spec] of specs.entries()) {
    const r = await crossValidate(spec, x, dim, labels, { ...opts, folds: fold, distances });
    results.push(r);
    opts.onSpec?.(r, i, specs.length);
  }
  let best = results[0];
  for (const r of results) if (r.mean > best.mean) best = r;
  return { results, best, table: summaryFrame(results) };
}
