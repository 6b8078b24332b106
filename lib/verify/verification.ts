/**
 * LFW face verification ("are these two images the same person?") scored the way davidsandberg/facenet
 * scores it (its lfw.py / facenet.py calculate_roc and calculate_val), so numbers are comparable:
 * - a pair is called "same" when its squared L2 distance is < threshold;
 * - accuracy: for each of the 10 folds, the threshold on the grid 0, 0.01, …, 3.99 with the highest
 *   accuracy on the other 9 folds (first one on ties) is applied to the held-out fold; mean ± std
 *   (population std) over folds;
 * - VAL at FAR = 10⁻³: per fold, the threshold where the training folds' FAR reaches the target is
 *   interpolated linearly on the grid 0, 0.001, …, 3.999 (0 if FAR never reaches it); VAL and FAR are
 *   then measured on the held-out fold;
 * - ROC: TPR and FPR of each held-out fold on the coarse grid, averaged over folds; AUC by the
 *   trapezoid rule over it; equal error rate where FPR = 1 − TPR on that curve (linear interpolation).
 * Folds are pairs.txt's: 10 consecutive blocks of 600 pairs, or a fold index per pair.
 */
import pl from "nodejs-polars";
import { rowCount, squaredDistance, type Vectors } from "../analysis/vectors.ts";

/** facenet's threshold grids: np.arange(0, 4, 0.01) and np.arange(0, 4, 0.001). */
export function thresholdGrid(step: number, end = 4): Float64Array {
  const n = Math.ceil(end / step - 1e-9);
  return Float64Array.from({ length: n }, (_, i) => i * step);
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** TP / (TP + FN): same pairs accepted (also VAL); 0 when there are none. */
  tpr: number;
  /** FP / (FP + TN): different pairs accepted (FAR); 0 when there are none. */
  fpr: number;
  accuracy: number;
}

/** Counts at one threshold over the chosen pairs (all when `subset` is omitted). */
export function confusionAt(
  threshold: number,
  distances: ArrayLike<number>,
  same: ArrayLike<boolean>,
  subset?: ArrayLike<number>,
): Confusion {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  const m = subset ? subset.length : distances.length;
  for (let r = 0; r < m; r++) {
    const i = subset ? subset[r] : r;
    const accept = distances[i] < threshold;
    if (same[i]) accept ? tp++ : fn++;
    else accept ? fp++ : tn++;
  }
  return {
    tp,
    fp,
    tn,
    fn,
    tpr: tp + fn === 0 ? 0 : tp / (tp + fn),
    fpr: fp + tn === 0 ? 0 : fp / (fp + tn),
    accuracy: m === 0 ? 0 : (tp + tn) / m,
  };
}

/**
 * Counts at every threshold of an ascending grid in one pass (sort once, sweep), for the pairs in
 * `subset`. Index t of each array is the count of pairs with distance < thresholds[t].
 */
function sweep(
  thresholds: Float64Array,
  distances: ArrayLike<number>,
  same: ArrayLike<boolean>,
  subset: number[],
): { tp: Float64Array; fp: Float64Array; nSame: number; nDiff: number } {
  const order = [...subset].sort((a, b) => distances[a] - distances[b]);
  const tp = new Float64Array(thresholds.length), fp = new Float64Array(thresholds.length);
  let p = 0, ctp = 0, cfp = 0;
  for (let t = 0; t < thresholds.length; t++) {
    while (p < order.length && distances[order[p]] < thresholds[t]) {
      if (same[order[p]]) ctp++;
      else cfp++;
      p++;
    }
    tp[t] = ctp;
    fp[t] = cfp;
  }
  let nSame = 0;
  for (const i of subset) if (same[i]) nSame++;
  return { tp, fp, nSame, nDiff: subset.length - nSame };
}

export interface VerificationOptions {
  /** Number of consecutive equal folds (default 10), or a fold index per pair. */
  folds?: number | ArrayLike<number>;
  /** Thresholds for accuracy and ROC (default facenet's 0 … 3.99 by 0.01), ascending. */
  thresholds?: ArrayLike<number>;
  /** Thresholds for VAL/FAR (default 0 … 3.999 by 0.001), ascending. */
  valThresholds?: ArrayLike<number>;
  /** Default 1e-3. */
  farTarget?: number;
}

export interface Summary {
  mean: number;
  std: number;
  perFold: number[];
}

export interface VerificationResult {
  /** Held-out accuracy per fold with the threshold chosen on the other folds. */
  accuracy: Summary;
  /** The chosen threshold of each fold. */
  bestThresholds: number[];
  /** Validation rate (TPR) at the interpolated FAR-target threshold, per held-out fold. */
  val: Summary;
  /** FAR actually reached on each held-out fold. */
  far: Summary;
  /** The interpolated threshold of each fold. */
  valThresholds: number[];
  farTarget: number;
  /** Fold-averaged held-out ROC on `thresholds`. */
  roc: { thresholds: Float64Array; tpr: Float64Array; fpr: Float64Array };
  auc: number;
  /** Equal error rate: the FPR where FPR = 1 − TPR on the ROC curve. */
  eer: number;
}

/**
 * Standard error of the mean over folds, sample std / √k (k − 1 in the variance): the project's one
 * convention for "±" on LFW accuracies, as the LFW results page reports (û ± SE). `Summary.std` is the
 * population std facenet prints; SE = std / √(k − 1).
 */
export function standardError(values: ArrayLike<number>): number {
  const k = values.length;
  if (k < 2) throw new RangeError(`a standard error needs at least 2 values, got ${k}`);
  let mean = 0;
  for (let i = 0; i < k; i++) mean += values[i] / k;
  let ss = 0;
  for (let i = 0; i < k; i++) ss += (values[i] - mean) ** 2;
  return Math.sqrt(ss / (k - 1) / k);
}

/** The distances of the same-person pairs and of the different-person pairs, each in their order. */
export function splitBySame(
  distances: ArrayLike<number>,
  same: ArrayLike<boolean>,
): { same: number[]; different: number[] } {
  if (distances.length !== same.length) {
    throw new RangeError(`${distances.length} distances for ${same.length} same/different flags`);
  }
  const out = { same: [] as number[], different: [] as number[] };
  for (let i = 0; i < distances.length; i++) (same[i] ? out.same : out.different).push(distances[i]);
  return out;
}

/** The mean over folds of the threshold each fold chose: one τ to draw over all pairs' distances. */
export function meanThreshold(r: Pick<VerificationResult, "bestThresholds">): number {
  const t = r.bestThresholds;
  if (t.length === 0) throw new RangeError("no fold thresholds to average");
  return t.reduce((a, b) => a + b, 0) / t.length;
}

function summary(v: number[]): Summary {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std, perFold: v };
}

function checkPairs(distances: ArrayLike<number>, same: ArrayLike<boolean>): void {
  if (distances.length !== same.length) {
    throw new RangeError(`${distances.length} distances but ${same.length} same/different flags`);
  }
  if (distances.length === 0) throw new RangeError("no pairs");
  for (let i = 0; i < distances.length; i++) {
    if (!Number.isFinite(distances[i])) throw new RangeError(`distance of pair ${i} is ${distances[i]}`);
  }
}

function ascending(t: ArrayLike<number>, what: string): Float64Array {
  const a = Float64Array.from(t);
  if (a.length === 0) throw new RangeError(`${what}: empty threshold grid`);
  for (let i = 1; i < a.length; i++) {
    if (!(a[i] > a[i - 1])) {
      throw new RangeError(`${what}: thresholds must increase (at ${i}: ${a[i - 1]}, ${a[i]})`);
    }
  }
  return a;
}

/** Fold index per pair: `folds` consecutive blocks of equal size, or the given indices. */
export function pairFolds(nPairs: number, folds: number | ArrayLike<number>): Int32Array {
  if (typeof folds === "number") {
    if (!Number.isInteger(folds) || folds < 2 || folds > nPairs) {
      throw new RangeError(`folds must be an integer in 2…${nPairs}, got ${folds}`);
    }
    // sklearn KFold(shuffle=False): the first n % k folds get one extra pair.
    const base = Math.floor(nPairs / folds), extra = nPairs % folds;
    const out = new Int32Array(nPairs);
    let i = 0;
    for (let f = 0; f < folds; f++) {
      for (let c = 0; c < base + (f < extra ? 1 : 0); c++) out[i++] = f;
    }
    return out;
  }
  if (folds.length !== nPairs) {
    throw new RangeError(`fold index for ${folds.length} pairs, but there are ${nPairs}`);
  }
  return Int32Array.from(folds, (f, i) => {
    if (!Number.isInteger(f) || f < 0) throw new RangeError(`fold index of pair ${i} is ${f}`);
    return f;
  });
}

/** The threshold where FAR first reaches `target`, linearly interpolated on an ascending grid (facenet's
 * interp1d(far, thresholds)(target)); 0 when FAR never reaches the target. */
function farThreshold(far: Float64Array, thresholds: Float64Array, target: number): number {
  let hi = -1;
  for (let t = 0; t < far.length; t++) {
    if (far[t] >= target) {
      hi = t;
      break;
    }
  }
  if (hi < 0) return 0;
  if (hi === 0 || far[hi] === target) return thresholds[hi];
  const lo = hi - 1;
  return thresholds[lo] + (target - far[lo]) * (thresholds[hi] - thresholds[lo]) / (far[hi] - far[lo]);
}

/** Trapezoid area under (x, y) in the given order. */
function trapezoid(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 1; i < x.length; i++) s += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
  return s;
}

/** The x where x = 1 − tpr(x) along the polyline (fpr, tpr), taken in threshold order. */
export function equalErrorRate(fpr: ArrayLike<number>, tpr: ArrayLike<number>): number {
  const g = (i: number) => 1 - fpr[i] - tpr[i];
  if (g(0) <= 0) return fpr[0];
  for (let i = 1; i < fpr.length; i++) {
    if (g(i) <= 0) {
      const a = g(i - 1), b = g(i);
      const w = a === b ? 0 : a / (a - b);
      return fpr[i - 1] + w * (fpr[i] - fpr[i - 1]);
    }
  }
  return fpr[fpr.length - 1];
}

/** LFW verification metrics for pair distances (squared L2) and same-identity flags; see the module. */
export function evaluatePairs(
  distances: ArrayLike<number>,
  same: ArrayLike<boolean>,
  opts: VerificationOptions = {},
): VerificationResult {
  checkPairs(distances, same);
  const n = distances.length;
  const fold = pairFolds(n, opts.folds ?? 10);
  const k = Math.max(...fold) + 1;
  const thresholds = ascending(opts.thresholds ?? thresholdGrid(0.01), "thresholds");
  const valGrid = ascending(opts.valThresholds ?? thresholdGrid(0.001), "valThresholds");
  const farTarget = opts.farTarget ?? 1e-3;
  const tprSum = new Float64Array(thresholds.length), fprSum = new Float64Array(thresholds.length);
  const acc: number[] = [], best: number[] = [], val: number[] = [], far: number[] = [], valTh: number[] = [];
  // #region exercise 3: The LFW 10-fold threshold protocol
  // Task: for each fold f in 0…k−1, test on the pairs i with fold[i] === f and train on all others
  //   (a fold without pairs is a RangeError), and fill:
  //   - best / acc: the threshold of `thresholds` with the highest accuracy on the training pairs
  //     (the first one on ties), and the test pairs' accuracy at it;
  //   - tprSum / fprSum: add the test pairs' TPR and FPR at every threshold of `thresholds` (a rate
  //     is 0 when the fold has no same, or no different, pairs);
  //   - valTh / val / far: on `valGrid`, the threshold where the training pairs' FAR reaches
  //     `farTarget` (farThreshold interpolates it), and the test pairs' TPR and FPR at it.
  // Hint: a pair is accepted as "same" when its distance is < threshold; accuracy is
  //   (TP + TN) / pairs. sweep(grid, distances, same, subset) counts TP and FP at every threshold of
  //   an ascending grid in one pass; confusionAt gives everything at a single threshold.
  // Hint: nothing here may look at the test pairs before the thresholds are chosen.
  // Tests: evaluatePairs on a hand-worked example
  // Tests: evaluatePairs agrees with a brute-force loop on random overlapping distances
  // Tests: evaluatePairs recovers the known rates of two uniform distributions
  for (let f = 0; f < k; f++) {
    const train: number[] = [], test: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? test : train).push(i);
    if (test.length === 0) throw new RangeError(`fold ${f} of 0…${k - 1} has no pairs`);
    // Accuracy: best threshold on the training folds (first maximum), applied to the test fold.
    const tr = sweep(thresholds, distances, same, train);
    let bi = 0, ba = -1;
    for (let t = 0; t < thresholds.length; t++) {
      const a = (tr.tp[t] + (tr.nDiff - tr.fp[t])) / train.length;
      if (a > ba) ba = a, bi = t;
    }
    best.push(thresholds[bi]);
    acc.push(confusionAt(thresholds[bi], distances, same, test).accuracy);
    const te = sweep(thresholds, distances, same, test);
    for (let t = 0; t < thresholds.length; t++) {
      tprSum[t] += te.nSame ? te.tp[t] / te.nSame : 0;
      fprSum[t] += te.nDiff ? te.fp[t] / te.nDiff : 0;
    }
    // VAL @ FAR: interpolate the threshold on the training folds' FAR curve.
    const tv = sweep(valGrid, distances, same, train);
    const farTrain = tv.fp.map((v) => tv.nDiff ? v / tv.nDiff : 0);
    const th = farThreshold(farTrain, valGrid, farTarget);
    valTh.push(th);
    const c = confusionAt(th, distances, same, test);
    val.push(c.tpr);
    far.push(c.fpr);
  }
  // #endregion exercise 3
  const tpr = tprSum.map((v) => v / k), fpr = fprSum.map((v) => v / k);
  return {
    accuracy: summary(acc),
    bestThresholds: best,
    val: summary(val),
    far: summary(far),
    valThresholds: valTh,
    farTarget,
    roc: { thresholds, tpr, fpr },
    auc: trapezoid(fpr, tpr),
    eer: equalErrorRate(fpr, tpr),
  };
}

export interface DevSplitResult {
  /** Threshold with the best accuracy on the training pairs (same grid as `evaluatePairs`). */
  threshold: number;
  trainAccuracy: number;
  testAccuracy: number;
  /** Test-pair ROC on the grid, its AUC and EER. */
  roc: { thresholds: Float64Array; tpr: Float64Array; fpr: Float64Array };
  auc: number;
  eer: number;
}

/** View 1 of LFW: choose the threshold on pairsDevTrain, report accuracy (and ROC) on pairsDevTest. */
export function evaluateDevSplit(
  train: { distances: ArrayLike<number>; same: ArrayLike<boolean> },
  test: { distances: ArrayLike<number>; same: ArrayLike<boolean> },
  opts: { thresholds?: ArrayLike<number> } = {},
): DevSplitResult {
  checkPairs(train.distances, train.same);
  checkPairs(test.distances, test.same);
  const thresholds = ascending(opts.thresholds ?? thresholdGrid(0.01), "thresholds");
  const all = (m: number) => Array.from({ length: m }, (_, i) => i);
  const tr = sweep(thresholds, train.distances, train.same, all(train.distances.length));
  let bi = 0, ba = -1;
  for (let t = 0; t < thresholds.length; t++) {
    const a = (tr.tp[t] + tr.nDiff - tr.fp[t]) / train.distances.length;
    if (a > ba) ba = a, bi = t;
  }
  const te = sweep(thresholds, test.distances, test.same, all(test.distances.length));
  const tpr = te.tp.map((v) => te.nSame ? v / te.nSame : 0);
  const fpr = te.fp.map((v) => te.nDiff ? v / te.nDiff : 0);
  return {
    threshold: thresholds[bi],
    trainAccuracy: ba,
    testAccuracy: confusionAt(thresholds[bi], test.distances, test.same).accuracy,
    roc: { thresholds, tpr, fpr },
    auc: trapezoid(fpr, tpr),
    eer: equalErrorRate(fpr, tpr),
  };
}

/** Squared L2 distance of each pair (a[p], b[p]) of embedding rows. */
export function pairDistances(
  x: Vectors,
  dim: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): Float64Array {
  const n = rowCount(x, dim);
  if (a.length !== b.length) throw new RangeError(`${a.length} first images but ${b.length} second images`);
  return Float64Array.from({ length: a.length }, (_, p) => {
    for (const i of [a[p], b[p]]) {
      if (!Number.isInteger(i) || i < 0 || i >= n) {
        throw new RangeError(`pair ${p}: image index ${i} outside 0…${n - 1}`);
      }
    }
    return squaredDistance(x, a[p], x, b[p], dim);
  });
}

/** The ROC curve as a table `threshold`, `fpr`, `tpr`. */
export function rocFrame(
  roc: { thresholds: ArrayLike<number>; tpr: ArrayLike<number>; fpr: ArrayLike<number> },
): pl.DataFrame {
  return pl.DataFrame({
    threshold: Float64Array.from(roc.thresholds),
    fpr: Float64Array.from(roc.fpr),
    tpr: Float64Array.from(roc.tpr),
  });
}

/** The headline numbers as a one-row-per-metric table `metric`, `mean`, `std`. */
export function verificationSummaryFrame(r: VerificationResult): pl.DataFrame {
  return pl.DataFrame({
    metric: ["accuracy", `VAL @ FAR=${r.farTarget}`, "FAR", "AUC", "EER"],
    mean: [r.accuracy.mean, r.val.mean, r.far.mean, r.auc, r.eer],
    std: [r.accuracy.std, r.val.std, r.far.std, NaN, NaN],
  });
}
