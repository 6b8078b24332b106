/**
 * Scoring a View 1 network (issue #16): a checkpoint trained on `peopleDevTrain.txt`'s people
 * (`deno task train -- --recipe reference --people view1`) is scored on `pairsDevTest.txt`, whose people
 * it never saw, with cheap test-time and post-hoc variants chosen on people it never saw either.
 *
 * 1. **What the network trained on is rebuilt, not trusted**: `trainingFaces(faces, config)` (the function
 *    the training loop uses) on View 1's faces, checked against the checkpoint's data fingerprint; then
 *    no person of `pairsDevTest.txt` may be among the trained people or the held-out ones.
 * 2. **Variants are chosen on the held-out dev-train people** (`VIEW1_HELD_OUT`, 59 people, 202 images):
 *    plain or flip-averaged embeddings (image and mirror, averaged, L2-normalised), each as is or through
 *    a linear metric fitted on the trained people's embeddings (WCCN, or LDA to 96, 64 or 32 dimensions;
 *    metric.ts). Each variant is scored by the **per-person AUC** over all pairs of held-out images: for
 *    every held-out person, the probability that one of their same-person distances is below a
 *    different-person distance (all different pairs), averaged over people. Per person, because one of
 *    the 59 people has 28 images and would own 378 of the 615 same pairs in a plain AUC (also reported).
 *    The highest wins; ties go to the earlier, simpler variant. Cosine and squared-L2 scores rank pairs
 *    alike on unit vectors, so that is no choice to make.
 * 3. **The test pairs are touched once**: the chosen variant (and the plain embedding, for reference) on
 *    pairsDevTest's 1,000 pairs in 10 stratified folds of 50 same + 50 different pairs (consecutive in
 *    file order); for each fold the threshold is chosen on the other nine (`evaluatePairs`). Accuracy is
 *    the mean over folds ± SE (sample std / √10); AUC and EER come from the fold-averaged held-out ROC;
 *    VAL at FAR = 10⁻³ as in verification.ts (with 450 different training pairs per fold, that FAR is
 *    below one pair, so the threshold sits just under the closest different pair: a coarse number).
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { checkLabels, type Vectors } from "../analysis/vectors.ts";
import type { FaceSet } from "../data/faceset.ts";
import { loadDevPairs, type Pair, protocolPath } from "../data/protocol.ts";
import { embed } from "../models/embed.ts";
import { type CheckpointState, fingerprint } from "../training/checkpoint.ts";
import type { TrainConfig } from "../training/config.ts";
import { heldOutFaces, rankAuc } from "../training/heldout.ts";
import { trainingFaces } from "../training/loop.ts";
import { pairImages } from "./lfw_pairs.ts";
import { applyMetric, fitLda, fitWccn } from "./metric.ts";
import {
  evaluatePairs,
  pairDistances,
  pairFolds,
  standardError,
  type VerificationResult,
} from "./verification.ts";
import { assertNoTrainedTestPeople, trainedTestPeople, view1TrainingFaces } from "./view1.ts";

/** Folds of pairsDevTest.txt: 10 × (50 same + 50 different). */
export const VIEW1_FOLDS = 10;

/** One way of turning a network's outputs into the vectors that are compared. */
export interface View1Variant {
  name: string;
  /** Flip-averaged embeddings (image and mirror). */
  flip: boolean;
  /** A linear metric fitted on the trained people's embeddings, or none. */
  metric: null | "wccn" | { lda: number };
}

const METRICS: View1Variant["metric"][] = [null, "wccn", { lda: 96 }, { lda: 64 }, { lda: 32 }];

function metricName(m: View1Variant["metric"]): string {
  return m === null ? "" : m === "wccn" ? " + WCCN" : ` + LDA-${m.lda}`;
}

/** The ten variants compared on the held-out people, simplest first (ties go to the earlier one). */
export const VIEW1_VARIANTS: readonly View1Variant[] = [false, true].flatMap((flip) =>
  METRICS.map((metric) => ({ name: `${flip ? "flip" : "raw"}${metricName(metric)}`, flip, metric }))
);

/** Fold index per pair: the same pairs in file order cut into `k` consecutive blocks, the different
 * pairs likewise, so every fold holds the same share of each (pairsDevTest: 50 + 50). */
export function stratifiedFolds(same: ArrayLike<boolean>, k = VIEW1_FOLDS): Int32Array {
  const idx: [number[], number[]] = [[], []];
  for (let i = 0; i < same.length; i++) idx[same[i] ? 0 : 1].push(i);
  const out = new Int32Array(same.length);
  for (const [kind, list] of idx.entries()) {
    if (list.length < k) {
      throw new RangeError(
        `${list.length} ${kind === 0 ? "same" : "different"} pairs cannot fill ${k} folds`,
      );
    }
    const f = pairFolds(list.length, k);
    list.forEach((i, r) => out[i] = f[r]);
  }
  return out;
}

/** Every pair i < j of `labels`' items, as row indices, and whether the two share a label. */
export function allPairs(labels: ArrayLike<number>): { a: Int32Array; b: Int32Array; same: boolean[] } {
  const n = labels.length;
  const m = (n * (n - 1)) / 2;
  const a = new Int32Array(m), b = new Int32Array(m), same: boolean[] = new Array(m);
  let p = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++, p++) {
      a[p] = i;
      b[p] = j;
      same[p] = labels[i] === labels[j];
    }
  }
  return { a, b, same };
}

export interface HeldOutScore {
  /** Mean over people (with a same pair) of P(their same distance < a different distance). */
  perPersonAuc: number;
  /** The same probability over all pairs (dominated by the people with the most images). */
  auc: number;
  people: number;
  images: number;
  samePairs: number;
  differentPairs: number;
}

/** Score embeddings of the held-out people (n × dim, unit rows) over all their pairs; see the module. */
export function scoreHeldOut(x: Vectors, dim: number, labels: ArrayLike<number>): HeldOutScore {
  checkLabels(x, dim, labels, "held-out embeddings");
  const { a, b, same } = allPairs(labels);
  const d = pairDistances(x, dim, a, b);
  const diff: number[] = [];
  const byPerson = new Map<number, number[]>();
  for (let p = 0; p < d.length; p++) {
    if (!same[p]) diff.push(d[p]);
    else {
      const l = labels[a[p]];
      const g = byPerson.get(l);
      if (g) g.push(d[p]);
      else byPerson.set(l, [d[p]]);
    }
  }
  const sameAll = [...byPerson.values()].flat();
  if (byPerson.size === 0 || diff.length === 0) {
    throw new RangeError(
      `held-out people need same and different pairs (got ${sameAll.length} and ${diff.length})`,
    );
  }
  let sum = 0;
  for (const g of byPerson.values()) sum += rankAuc(g, diff);
  return {
    perPersonAuc: sum / byPerson.size,
    auc: rankAuc(sameAll, diff),
    people: new Set(Array.from(labels)).size,
    images: labels.length,
    samePairs: sameAll.length,
    differentPairs: diff.length,
  };
}

/** Embeddings of one kind (plain or flip-averaged) of the trained and the held-out people. */
export interface EmbeddingSets {
  train: Vectors;
  trainLabels: ArrayLike<number>;
  heldOut: Vectors;
  heldOutLabels: ArrayLike<number>;
}

/** Maps a network's embeddings (n × dim) to the compared vectors (n × out, unit rows). */
export type Transform = (x: Vectors) => { x: Float32Array; dim: number };

/** Fit `v`'s metric (if any) on the trained people's embeddings. */
export function fitVariant(v: View1Variant, sets: EmbeddingSets, dim: number): Transform {
  if (v.metric === null) return (x) => ({ x: Float32Array.from(x), dim });
  const m = v.metric === "wccn"
    ? fitWccn(sets.train, dim, sets.trainLabels)
    : fitLda(sets.train, dim, sets.trainLabels, { dims: Math.min(v.metric.lda, dim) });
  return (x) => ({ x: applyMetric(m, x, dim), dim: m.outDim });
}

export interface VariantScore extends HeldOutScore {
  variant: View1Variant;
}

export interface VariantChoice {
  /** One score per variant, in `variants` order. */
  scores: VariantScore[];
  /** Index of the chosen variant. */
  chosen: number;
  /** The fitted transform of every variant, by name. */
  transforms: Map<string, Transform>;
}

/**
 * Fit every variant on the trained people and score it on the held-out people; choose the highest
 * per-person AUC (the first on ties). `sets.flip` may be absent when no variant flips.
 */
export function chooseVariant(
  sets: { raw: EmbeddingSets; flip?: EmbeddingSets },
  dim: number,
  variants: readonly View1Variant[] = VIEW1_VARIANTS,
): VariantChoice {
  if (variants.length === 0) throw new RangeError("no variants to choose from");
  const scores: VariantScore[] = [];
  const transforms = new Map<string, Transform>();
  for (const v of variants) {
    const s = v.flip ? sets.flip : sets.raw;
    if (!s) throw new Error(`variant ${v.name} needs flip-averaged embeddings`);
    const t = fitVariant(v, s, dim);
    const h = t(s.heldOut);
    scores.push({ variant: v, ...scoreHeldOut(h.x, h.dim, s.heldOutLabels) });
    transforms.set(v.name, t);
  }
  let chosen = 0;
  scores.forEach((s, i) => {
    if (s.perPersonAuc > scores[chosen].perPersonAuc) chosen = i;
  });
  return { scores, chosen, transforms };
}

/** A verification result with the project's ± (SE over folds). */
export interface View1Score {
  result: VerificationResult;
  /** Standard error of the fold accuracies. */
  se: number;
}

/** Score vectors (n × dim, unit rows) on pairs in stratified folds (see the module). */
export function scoreTestPairs(
  x: Vectors,
  dim: number,
  pairs: { a: ArrayLike<number>; b: ArrayLike<number>; same: ArrayLike<boolean> },
  k = VIEW1_FOLDS,
): View1Score {
  const d = pairDistances(x, dim, pairs.a, pairs.b);
  const result = evaluatePairs(d, pairs.same, { folds: stratifiedFolds(pairs.same, k) });
  return { result, se: standardError(result.accuracy.perFold) };
}

/** What a View 1 checkpoint trained on and held out, rebuilt from LFW. */
export interface View1Split {
  /** The images it trained on (rebuilt with the training loop's own `trainingFaces`). */
  trained: FaceSet;
  /** The held-out dev-train people's images (for choosing variants). */
  heldOut: FaceSet;
}

/**
 * Rebuild what a View 1 run trained on from `all` (every preprocessed LFW image) and its config, and
 * check it against the checkpoint's fingerprint: a run of another people set (the slides' ≥ 3-image
 * people) or other data is an error saying so.
 */
export function view1Split(
  all: FaceSet,
  state: Pick<CheckpointState, "config" | "data">,
  runDir: string,
  root?: string,
): View1Split {
  const cfg: TrainConfig = state.config;
  if (!cfg.heldOut) {
    throw new Error(
      `${runDir}: not a View 1 run (it held no people out); train one with ` +
        "`deno task train -- --model zf --recipe reference --steps N --people view1`",
    );
  }
  const faces = view1TrainingFaces(all, root);
  const trained = trainingFaces(faces, cfg);
  const print = fingerprint(trained);
  if (JSON.stringify(print) !== JSON.stringify(state.data)) {
    throw new Error(
      `${runDir}: the checkpoint was trained on ${state.data.n} images of ${state.data.classes} people ` +
        `(${JSON.stringify(state.data)}), but View 1's training set rebuilt from this data root has ` +
        `${print.n} images of ${print.classes} people (${JSON.stringify(print)}): not a View 1 run, ` +
        "or other data (FACENET_DATA)",
    );
  }
  return { trained, heldOut: heldOutFaces(faces, cfg.heldOut) };
}

/** One row of view1_summary.csv. */
export interface View1SummaryRow {
  [column: string]: string | number;
  network: string;
  "training people": number;
  "training images": number;
  "test pairs": number;
  "test people trained on": number;
  "accuracy %": number;
  SE: number;
  AUC: number;
  "EER %": number;
  "VAL @ FAR=1e-3 %": number;
}

/** One row of view1_variants.csv (the selection table). */
export interface View1VariantRow {
  [column: string]: string | number;
  network: string;
  variant: string;
  "held-out people": number;
  "held-out images": number;
  "AUC per person (chooses)": number;
  "AUC all pairs": number;
  chosen: string;
}

/** One point of view1_roc.csv. */
export interface View1RocRow {
  [column: string]: string | number;
  network: string;
  variant: string;
  threshold: number;
  fpr: number;
  tpr: number;
}

export interface View1Evaluation {
  summary: View1SummaryRow[];
  variants: View1VariantRow[];
  roc: View1RocRow[];
  choice: VariantChoice;
  /** Scores on pairsDevTest by variant name: the chosen one and "raw". */
  test: Map<string, View1Score>;
  split: View1Split;
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

/** The summary row of a test score (percentages to 2 decimals, AUC to 4). */
export function summaryRow(
  network: string,
  split: { trained: Pick<FaceSet, "n" | "classNames"> },
  testPairs: number,
  trainedOn: number,
  s: View1Score,
): View1SummaryRow {
  const r = s.result;
  return {
    network,
    "training people": split.trained.classNames.length,
    "training images": split.trained.n,
    "test pairs": testPairs,
    "test people trained on": trainedOn,
    "accuracy %": round(100 * r.accuracy.mean, 2),
    SE: round(100 * s.se, 2),
    AUC: round(r.auc, 4),
    "EER %": round(100 * r.eer, 2),
    "VAL @ FAR=1e-3 %": round(100 * r.val.mean, 2),
  };
}

/**
 * The whole View 1 evaluation of a checkpoint (see the module): rebuild and check what it trained on,
 * embed the trained, held-out and test images plainly and flip-averaged, choose a variant on the
 * held-out people, score it and the plain embedding on pairsDevTest.
 */
export async function evaluateView1(
  model: tfl.LayersModel,
  state: Pick<CheckpointState, "config" | "data">,
  all: FaceSet,
  opts: { network: string; runDir: string; root?: string; batchSize?: number; log?: (s: string) => void },
): Promise<View1Evaluation> {
  const log = opts.log ?? (() => {});
  const split = view1Split(all, state, opts.runDir, opts.root);
  const file = protocolPath("pairsDevTest.txt", opts.root);
  const testPairs: Pair[] = loadDevPairs("test", opts.root);
  const trainedNames = new Set(split.trained.classNames);
  const trainedOn = trainedTestPeople(testPairs, trainedNames).length;
  assertNoTrainedTestPeople(testPairs, trainedNames, file);
  const chosenOn = trainedTestPeople(testPairs, new Set(split.heldOut.classNames));
  if (chosenOn.length) {
    throw new Error(
      `${file}: ${chosenOn.length} test people are among the held-out people the variants are chosen ` +
        `on (${chosenOn.slice(0, 5).join(", ")})`,
    );
  }
  const P = pairImages([testPairs], all, file);
  log(
    `View 1: trained on ${split.trained.n} images of ${split.trained.classNames.length} people; ` +
      `${split.heldOut.n} held-out images of ${split.heldOut.classNames.length} people; ` +
      `${testPairs.length} test pairs on ${P.faces.n} images, none of whose people was trained on`,
  );
  const batchSize = opts.batchSize ?? 64;
  const embedAll = async (flip: boolean) => {
    const t0 = performance.now();
    const [train, heldOut, test] = [
      await embed(model, split.trained, { flip, batchSize }),
      await embed(model, split.heldOut, { flip, batchSize }),
      await embed(model, P.faces, { flip, batchSize }),
    ];
    log(`embedded ${flip ? "flip-averaged" : "plain"} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return { train, heldOut, test };
  };
  const raw = await embedAll(false);
  const flip = await embedAll(true);
  const dim = raw.train.length / split.trained.n;
  const sets = (e: typeof raw): EmbeddingSets => ({
    train: e.train,
    trainLabels: split.trained.labels,
    heldOut: e.heldOut,
    heldOutLabels: split.heldOut.labels,
  });
  const choice = chooseVariant({ raw: sets(raw), flip: sets(flip) }, dim);
  const chosen = choice.scores[choice.chosen].variant;
  const test = new Map<string, View1Score>();
  for (const v of chosen.name === "raw" ? [chosen] : [chosen, VIEW1_VARIANTS[0]]) {
    const t = choice.transforms.get(v.name)!;
    const y = t((v.flip ? flip : raw).test);
    test.set(v.name, scoreTestPairs(y.x, y.dim, P));
  }
  const label = (v: View1Variant) => `${opts.network}, ${v.name}${v === chosen ? " (chosen)" : ""}`;
  const summary = [...test.entries()].map(([name, s]) =>
    summaryRow(label(VIEW1_VARIANTS.find((v) => v.name === name)!), split, testPairs.length, trainedOn, s)
  );
  const variants = choice.scores.map((s, i): View1VariantRow => ({
    network: opts.network,
    variant: s.variant.name,
    "held-out people": s.people,
    "held-out images": s.images,
    "AUC per person (chooses)": round(s.perPersonAuc, 4),
    "AUC all pairs": round(s.auc, 4),
    chosen: i === choice.chosen ? "yes" : "",
  }));
  const roc = [...test.entries()].flatMap(([name, s]) =>
    Array.from(s.result.roc.thresholds, (threshold, t): View1RocRow => ({
      network: opts.network,
      variant: name,
      threshold: round(threshold, 4),
      fpr: s.result.roc.fpr[t],
      tpr: s.result.roc.tpr[t],
    }))
  );
  return { summary, variants, roc, choice, test, split };
}
