/**
 * Identity classifiers on embeddings, as in the slides: an SVM (libsvm, one-vs-one C-SVC) and k nearest
 * neighbours, their settings, and their evaluation by seeded stratified 10-fold cross-validation (grid.ts
 * has the grid search, fit.ts the classifier fitted on everything, with class probabilities for new images).
 *
 * Defaults ("default hyperparameters" of the slides, i.e. scikit-learn's): SVM with RBF kernel, C = 1,
 * γ = "scale" = 1 / (dim · Var(X)) (scikit-learn ≥ 0.22; ≈ 1 for unit 128-d vectors). libsvm's own
 * default, γ = 1 / dim ("auto", scikit-learn < 0.22), is available too. KNN: k = 5 (ZF) / k = 1
 * (Inception), Euclidean distance, majority vote.
 *
 * Speed: the SVM is trained on a precomputed kernel (see `trainSvmPrecomputed` in svm.ts for why), and
 * KNN is a brute-force search over the squared-distance matrix, which the cross-validation computes once
 * and shares between folds. The same model and votes as libsvm's RBF kernel and ml-knn (tests compare).
 */
import KNNModule from "ml-knn";
import { rowCount, squaredDistanceMatrix, type Vectors } from "../analysis/vectors.ts";
import { groupByLabel } from "../data/faceset.ts";
import { Rng } from "../rng.ts";
import { nearestK, vote } from "./knn.ts";
import { runSvmFolds, type SvmFoldJob } from "./svm_folds.ts";

/** γ for RBF: a number, "scale" (1 / (dim · Var(X)), scikit-learn's default) or "auto" (1 / dim). */
export type Gamma = number | "scale" | "auto";

export interface SvmSpec {
  kind: "svm";
  /** Default "rbf". */
  kernel?: "rbf" | "linear";
  /** Default 1. */
  C?: number;
  /** Default "scale". */
  gamma?: Gamma;
}

export interface KnnSpec {
  kind: "knn";
  k: number;
  /** "brute" (default): exact search over squared distances here. "ml-knn": ml-knn's k-d tree, about
   * 20 × slower in 128-d; kept as a cross-check. */
  impl?: "brute" | "ml-knn";
}

export type ClassifierSpec = SvmSpec | KnnSpec;

/** A short readable name, e.g. `SVM rbf C=1 γ=scale` or `KNN k=5`. */
export function specName(spec: ClassifierSpec): string {
  if (spec.kind === "knn") return `KNN k=${spec.k}${spec.impl === "ml-knn" ? " (ml-knn)" : ""}`;
  const kernel = spec.kernel ?? "rbf";
  const g = spec.gamma ?? "scale";
  const gs = typeof g === "number" ? String(Number(g.toPrecision(3))) : g;
  return `SVM ${kernel} C=${spec.C ?? 1}${kernel === "rbf" ? ` γ=${gs}` : ""}`;
}

export function checkSpec(spec: ClassifierSpec): void {
  if (spec.kind === "knn") {
    if (!Number.isInteger(spec.k) || spec.k < 1) throw new RangeError(`KNN k must be ≥ 1, got ${spec.k}`);
    return;
  }
  if (spec.kind !== "svm") {
    throw new TypeError(`unknown classifier kind ${JSON.stringify((spec as SvmSpec).kind)}`);
  }
  const C = spec.C ?? 1;
  if (!(C > 0)) throw new RangeError(`SVM C must be > 0, got ${C}`);
  const g = spec.gamma ?? "scale";
  if (typeof g === "number" ? !(g > 0) : g !== "scale" && g !== "auto") {
    throw new RangeError(`SVM gamma must be > 0, "scale" or "auto", got ${JSON.stringify(g)}`);
  }
}

/** γ = 1 / (dim · Var(X)) over all entries of the given rows (scikit-learn's "scale"). */
export function scaleGamma(x: Vectors, dim: number, rows?: ArrayLike<number>): number {
  const n = rowCount(x, dim);
  const idx = rows ?? { length: n } as ArrayLike<number>;
  let s = 0, s2 = 0;
  for (let r = 0; r < idx.length; r++) {
    const o = (rows ? idx[r] : r) * dim;
    for (let d = 0; d < dim; d++) {
      s += x[o + d];
      s2 += x[o + d] * x[o + d];
    }
  }
  const m = idx.length * dim;
  const v = s2 / m - (s / m) ** 2;
  return v > 0 ? 1 / (dim * v) : 1;
}

/** γ as a number: itself, 1 / dim for "auto", or the "scale" value of `x` (over `rows`). */
export function resolveGamma(g: Gamma, x: Vectors, dim: number, rows?: ArrayLike<number>): number {
  if (typeof g === "number") return g;
  return g === "auto" ? 1 / dim : scaleGamma(x, dim, rows);
}

export function checkData(x: Vectors, dim: number, labels: ArrayLike<number>): number {
  const n = rowCount(x, dim);
  if (labels.length !== n) throw new RangeError(`${n} embeddings but ${labels.length} labels`);
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0) {
      throw new RangeError(`label ${i} is ${labels[i]}, expected a non-negative integer`);
    }
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------
// Folds

/**
 * Stratified k-fold assignment (fold index per sample), seeded: each identity's images are shuffled and
 * dealt round-robin over the folds, continuing where the previous identity stopped, so every identity is
 * spread as evenly as possible and fold sizes differ by at most one. Identities are visited in a
 * shuffled order. An identity with fewer images than folds appears in only some test folds.
 */
export function stratifiedFolds(labels: ArrayLike<number>, folds: number, seed = 0): Int32Array {
  if (!Number.isInteger(folds) || folds < 2) {
    throw new RangeError(`folds must be an integer ≥ 2, got ${folds}`);
  }
  if (labels.length < folds) throw new RangeError(`${labels.length} samples cannot fill ${folds} folds`);
  // #region exercise 4: Stratified k-fold cross-validation
  // Task: give every sample a fold index in 0…folds−1 (an Int32Array, one per label) so that each
  //   identity's images are spread over the folds as evenly as possible and the fold sizes differ by
  //   at most one, as the comment above the function describes; seeded: the same seed gives the same
  //   folds, another seed others. crossValidate then trains on k−1 folds and tests on the held-out one.
  // Hint: group the sample indices by label. `new Rng(seed)` (../rng.ts) has a seeded shuffle; use
  //   it both for the images of an identity and for the order of the identities.
  // Hint: don't start again at fold 0 for each identity: with 3 folds and only identities of 2
  //   images, fold 2 would stay empty.
  // Tests: stratifiedFolds spreads every identity evenly and balances fold sizes
  const rng = new Rng(seed);
  const byClass = groupByLabel(labels);
  const classes = rng.shuffle([...byClass.keys()].sort((a, b) => a - b));
  const out = new Int32Array(labels.length);
  let next = 0;
  for (const c of classes) {
    for (const i of rng.shuffle(byClass.get(c)!)) {
      out[i] = next;
      next = (next + 1) % folds;
    }
  }
  return out;
  // #endregion exercise 4
}

// ---------------------------------------------------------------------------------------------------
// KNN

interface MlKnn {
  predict(rows: number[][]): number[];
}
const MlKnnClass = KNNModule as unknown as new (
  rows: number[][],
  labels: number[],
  opts: { k: number },
) => MlKnn;

function rowsOf(x: Vectors, dim: number, idx: ArrayLike<number>): number[][] {
  return Array.from(idx, (i) => Array.from(x.subarray(i * dim, (i + 1) * dim)));
}

// ---------------------------------------------------------------------------------------------------
// Cross-validation

export interface CrossValidationOptions {
  /** Number of stratified folds (default 10), or a fold index per sample. */
  folds?: number | ArrayLike<number>;
  seed?: number;
  /** The n × n squared-distance matrix of `x` if already computed (shared by several runs). */
  distances?: Float32Array;
  /** Called after each fold, in fold order. */
  onFold?: (fold: number, folds: number, accuracy: number) => void;
  /** SVM folds fitted at once, on worker threads (default: one per core, at most 4, from 2,000 samples;
   * 1: here, in turn). */
  threads?: number;
}

export interface CrossValidation {
  spec: ClassifierSpec;
  name: string;
  /** Test accuracy of each fold. */
  foldAccuracy: number[];
  mean: number;
  /** Population standard deviation over folds (numpy's default, as `scores.std()`). */
  std: number;
  /** Out-of-fold prediction for every sample. */
  predicted: Int32Array;
  /** Fold index of every sample. */
  folds: Int32Array;
  /** γ used in each fold (SVM rbf only; "scale" is computed on each fold's training rows). */
  gammas?: number[];
  seconds: number;
}

function meanStd(v: number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std };
}

export function foldAssignment(
  folds: number | ArrayLike<number>,
  labels: ArrayLike<number>,
  seed: number,
): { fold: Int32Array; k: number } {
  if (typeof folds === "number") return { fold: stratifiedFolds(labels, folds, seed), k: folds };
  if (folds.length !== labels.length) {
    throw new RangeError(`fold index for ${folds.length} samples, but there are ${labels.length}`);
  }
  const fold = Int32Array.from(folds);
  let k = 0;
  for (let i = 0; i < fold.length; i++) {
    if (!Number.isInteger(folds[i]) || fold[i] < 0) throw new RangeError(`fold index ${i} is ${folds[i]}`);
    k = Math.max(k, fold[i] + 1);
  }
  for (let f = 0; f < k; f++) {
    if (!fold.includes(f)) throw new RangeError(`fold ${f} of 0…${k - 1} is empty`);
  }
  return { fold, k };
}

/** Training indices sorted by label (stable), which keeps libsvm's per-pair look-ups local in memory. */
export function byLabel(idx: number[], labels: ArrayLike<number>): number[] {
  const groups = groupByLabel(labels, idx);
  return [...groups.keys()].sort((a, b) => a - b).flatMap((l) => groups.get(l)!);
}

/**
 * Stratified k-fold cross-validation of one classifier: fit on k−1 folds, predict the held-out fold,
 * accuracy per fold, mean ± std. (~80 lines: the SVM folds go to workers together, the KNN folds share
 * one distance matrix; both branches are short.)
 */
export async function crossValidate(
  spec: ClassifierSpec,
  x: Vectors,
  dim: number,
  labels: ArrayLike<number>,
  opts: CrossValidationOptions = {},
): Promise<CrossValidation> {
  checkSpec(spec);
  const n = checkData(x, dim, labels);
  const t0 = performance.now();
  let D = opts.distances;
  if (D !== undefined && D.length !== n * n) {
    throw new RangeError(`distances has ${D.length} entries, expected ${n}² = ${n * n}`);
  }
  const { fold, k } = foldAssignment(opts.folds ?? 10, labels, opts.seed ?? 0);
  const needD = !(spec.kind === "knn" && spec.impl === "ml-knn");
  if (needD && D === undefined) D = squaredDistanceMatrix(x, dim);
  const predicted = new Int32Array(n);
  const foldAccuracy: number[] = [];
  const gammas: number[] = [];
  const split = Array.from({ length: k }, () => ({ train: [] as number[], test: [] as number[] }));
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < k; f++) (fold[i] === f ? split[f].test : split[f].train).push(i);
  }
  // SVM folds are independent: all are handed to worker threads at once (svm_folds.ts).
  let svmPreds: Promise<Int32Array>[] = [];
  if (spec.kind === "svm") {
    const sq = (spec.kernel ?? "rbf") === "linear" ? squaredNorms(x, dim, n) : undefined;
    const jobs = split.map(({ train, test }): SvmFoldJob => {
      const tr = byLabel(train, labels);
      const gamma = sq ? undefined : resolveGamma(spec.gamma ?? "scale", x, dim, tr);
      if (gamma !== undefined) gammas.push(gamma);
      const kernel = sq ? "linear" : "rbf";
      return {
        kernel,
        gamma,
        sq,
        train: Int32Array.from(tr),
        test: Int32Array.from(test),
        cost: spec.C ?? 1,
      };
    });
    svmPreds = runSvmFolds(jobs, { n, labels: Int32Array.from(labels), distances: D! }, opts.threads);
    // Failures surface below, fold by fold; until then none may go unhandled.
    svmPreds.forEach((p) => p.catch(() => undefined));
  }
  for (let f = 0; f < k; f++) {
    const { train, test } = split[f];
    let pred: Int32Array;
    if (spec.kind === "knn") {
      pred = spec.impl === "ml-knn"
        ? Int32Array.from(
          new MlKnnClass(rowsOf(x, dim, train), train.map((i) => labels[i]), { k: spec.k })
            .predict(rowsOf(x, dim, test)),
        )
        : Int32Array.from(test, (t) => {
          const nn = nearestK(train, spec.k, (j) => D![t * n + j]);
          return vote(nn.map((c) => labels[train[c]]));
        });
    } else {
      pred = await svmPreds[f];
    }
    let ok = 0;
    test.forEach((t, p) => {
      predicted[t] = pred[p];
      if (pred[p] === labels[t]) ok++;
    });
    const acc = ok / test.length;
    foldAccuracy.push(acc);
    opts.onFold?.(f, k, acc);
  }
  return {
    spec,
    name: specName(spec),
    foldAccuracy,
    ...meanStd(foldAccuracy),
    predicted,
    folds: fold,
    ...(gammas.length ? { gammas } : {}),
    seconds: (performance.now() - t0) / 1000,
  };
}

function squaredNorms(x: Vectors, dim: number, n: number): Float64Array {
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) sq[i] += x[i * dim + d] ** 2;
  }
  return sq;
}
