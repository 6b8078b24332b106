/**
 * A classifier fitted on every embedding of the known identities, for new faces: the predicted identity
 * with class probabilities ("classifier confidence"), and the identities ranked by them.
 */
import { rowCount, squaredDistance, type Vectors } from "../analysis/vectors.ts";
import {
  byLabel,
  checkData,
  checkSpec,
  type ClassifierSpec,
  type KnnSpec,
  resolveGamma,
  specName,
} from "./classifiers.ts";
import { nearestK, vote } from "./knn.ts";
import { type PrecomputedSvmModel, trainSvmPrecomputed } from "./svm.ts";

export interface FittedClassifier {
  readonly spec: ClassifierSpec;
  readonly name: string;
  /** Label values in the column order of `probabilities`. */
  readonly classes: number[];
  /** Predicted label for each row of `q` (m × dim). */
  predict(q: Vectors): Int32Array;
  /**
   * Class probabilities, m × classes.length row-major. SVM: libsvm's Platt-scaled pairwise coupling
   * (needs `probability: true` when fitting); KNN: the fraction of the k neighbours in each class.
   */
  probabilities(q: Vectors): Float64Array;
  /** Releases libsvm's memory (no-op for KNN). */
  free(): void;
}

export interface FitOptions {
  /** SVM: train libsvm's probability model (an internal 5-fold CV per pair of classes: slower). */
  probability?: boolean;
}

/** Fit a classifier on all of `x` (to classify new images afterwards). */
export async function fitClassifier(
  spec: ClassifierSpec,
  x: Vectors,
  dim: number,
  labels: ArrayLike<number>,
  opts: FitOptions = {},
): Promise<FittedClassifier> {
  checkSpec(spec);
  const n = checkData(x, dim, labels);
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  if (spec.kind === "knn") return fitKnn(spec, x, dim, labels, classes);
  const colOf = new Map(classes.map((c, j) => [c, j]));
  const queryRows = (q: Vectors) => rowCount(q, dim, "query embeddings");
  const tr = byLabel(Array.from({ length: n }, (_, i) => i), labels);
  const linear = (spec.kernel ?? "rbf") === "linear";
  const gamma = linear ? 0 : resolveGamma(spec.gamma ?? "scale", x, dim);
  const kern = (a: Vectors, i: number, j: number) => {
    if (linear) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += a[i * dim + d] * x[j * dim + d];
      return s;
    }
    return Math.exp(-gamma * squaredDistance(a, i, x, j, dim));
  };
  const model: PrecomputedSvmModel = await trainSvmPrecomputed(
    n,
    (i, out) => {
      for (let j = 0; j < n; j++) out[j] = kern(x, tr[i], tr[j]);
    },
    tr.map((i) => labels[i]),
    { cost: spec.C ?? 1, probability: opts.probability ?? false },
  );
  const row = new Float64Array(n);
  const fill = (q: Vectors, r: number) => {
    for (let j = 0; j < n; j++) row[j] = kern(q, r, tr[j]);
    return row;
  };
  return {
    spec: linear ? spec : { ...spec, gamma },
    name: specName(spec),
    classes,
    predict(q) {
      const m = queryRows(q);
      return Int32Array.from({ length: m }, (_, r) => model.predict(fill(q, r)));
    },
    probabilities(q) {
      const m = queryRows(q);
      const out = new Float64Array(m * classes.length);
      for (let r = 0; r < m; r++) {
        const p = model.predictProbability(fill(q, r));
        model.labels.forEach((l, c) => out[r * classes.length + colOf.get(l)!] = p[c]);
      }
      return out;
    },
    free() {
      model.free();
    },
  };
}

/** k nearest neighbours over all of `x`; probabilities are the neighbours' shares per class. */
function fitKnn(
  spec: KnnSpec,
  x: Vectors,
  dim: number,
  labels: ArrayLike<number>,
  classes: number[],
): FittedClassifier {
  const n = labels.length;
  const colOf = new Map(classes.map((c, j) => [c, j]));
  const queryRows = (q: Vectors) => rowCount(q, dim, "query embeddings");
  if (spec.k > n) throw new RangeError(`KNN k = ${spec.k} but only ${n} training samples`);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const neighbours = (q: Vectors, r: number) =>
    nearestK(all, spec.k, (j) => squaredDistance(q, r, x, j, dim));
  return {
    spec,
    name: specName(spec),
    classes,
    predict(q) {
      const m = queryRows(q);
      return Int32Array.from({ length: m }, (_, r) => vote(neighbours(q, r).map((j) => labels[j])));
    },
    probabilities(q) {
      const m = queryRows(q);
      const out = new Float64Array(m * classes.length);
      for (let r = 0; r < m; r++) {
        for (const j of neighbours(q, r)) out[r * classes.length + colOf.get(labels[j])!] += 1 / spec.k;
      }
      return out;
    },
    free() {},
  };
}

export interface RankedClass {
  label: number;
  probability: number;
}

/** The `top` most probable classes of one probability row, most probable first. */
export function rankClasses(probabilities: ArrayLike<number>, classes: number[], top = 5): RankedClass[] {
  if (probabilities.length !== classes.length) {
    throw new RangeError(`${probabilities.length} probabilities for ${classes.length} classes`);
  }
  return classes.map((label, j) => ({ label, probability: probabilities[j] }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, top);
}
