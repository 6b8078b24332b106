/**
 * The fixed held-out check the training pilots are compared on: a seeded set of whole identities (a
 * share of those with ≥ 3 images, chosen by name so it is the same on every machine and for every
 * recipe) that training leaves out (`TrainConfig.heldOut`), embedded after training in inference mode
 * (optionally flip-averaged) and scored by
 * - the ++/+− AUC: the probability that a same-person squared distance is below a different-person one
 *   (ties count one half), exact over all pairs, computed from ranks (Mann–Whitney U);
 * - the mean ++ and +− squared distances;
 * - 1-NN leave-one-out accuracy: each image takes the identity of its nearest other image.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { type FaceSet, groupByLabel, selectClasses, selectFaces } from "../data/faceset.ts";
import { embed } from "../models/embed.ts";
import { Rng } from "../rng.ts";

export interface HeldOutSpec {
  /** Share of the eligible identities held out (rounded, at least 2). */
  fraction: number;
  seed: number;
  /** Identities need this many images to be eligible (default 3, the course's subset). */
  minImages?: number;
}

/** The pilots' held-out set: 10% of LFW's 901 identities with ≥ 3 images (90), the same for every pilot. */
export const PILOT_HELD_OUT: HeldOutSpec = { fraction: 0.1, seed: 2017, minImages: 3 };

/**
 * One image per person held out of training (issue #15's honest variant): for every identity with at
 * least `minImages` images, one image drawn with `seed`. The draw goes through the identities in name
 * order and each one's images in path order, so it is the same on every machine.
 */
export interface HeldOutImagesSpec {
  minImages: number;
  seed: number;
}

/** Indices (into `faces`, ascending) of the images `spec` holds out. */
export function heldOutImageIndices(
  faces: Pick<FaceSet, "labels" | "classNames" | "paths">,
  spec: HeldOutImagesSpec,
): number[] {
  if (!Number.isInteger(spec.minImages) || spec.minImages < 2) {
    throw new RangeError(`held-out images: minImages must be an integer ≥ 2, got ${spec.minImages}`);
  }
  const groups = groupByLabel(faces.labels);
  const byName = [...groups.entries()].filter(([, g]) => g.length >= spec.minImages)
    .sort(([a], [b]) => cmp(faces.classNames[a], faces.classNames[b]));
  const rng = new Rng(spec.seed);
  const out = byName.map(([, g]) => {
    const sorted = [...g].sort((i, j) => cmp(faces.paths[i], faces.paths[j]));
    return sorted[rng.int(sorted.length)];
  });
  return out.sort((a, b) => a - b);
}

/** `faces` without the images `spec` holds out (the training side of the honest variant). */
export function withoutHeldOutImages(faces: FaceSet, spec: HeldOutImagesSpec): FaceSet {
  const held = new Set(heldOutImageIndices(faces, spec));
  const keep: number[] = [];
  for (let i = 0; i < faces.n; i++) if (!held.has(i)) keep.push(i);
  return selectFaces(faces, keep);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Names of the held-out identities of `faces`, sorted. */
export function heldOutNames(faces: Pick<FaceSet, "labels" | "classNames">, spec: HeldOutSpec): string[] {
  if (!(spec.fraction > 0 && spec.fraction < 1)) {
    throw new RangeError(`held-out fraction must be in (0, 1), got ${spec.fraction}`);
  }
  const counts = new Array<number>(faces.classNames.length).fill(0);
  for (const l of faces.labels) counts[l]++;
  const eligible = faces.classNames.filter((_, c) => counts[c] >= (spec.minImages ?? 3)).sort();
  const k = Math.max(2, Math.round(spec.fraction * eligible.length));
  if (k >= eligible.length) {
    throw new Error(
      `held-out check: ${k} of ${eligible.length} eligible identities would leave none to train on`,
    );
  }
  return new Rng(spec.seed).sample(eligible.length, k).map((i) => eligible[i]).sort();
}

/** Labels (class indices) of the held-out identities of `faces`. */
export function heldOutLabels(faces: Pick<FaceSet, "labels" | "classNames">, spec: HeldOutSpec): Set<number> {
  return new Set(heldOutNames(faces, spec).map((n) => faces.classNames.indexOf(n)));
}

/** The held-out identities' images. */
export function heldOutFaces(faces: FaceSet, spec: HeldOutSpec): FaceSet {
  return selectClasses(faces, heldOutNames(faces, spec));
}

/** P(a value of `same` < a value of `diff`) + ½ P(equal), exactly, from average ranks. */
export function rankAuc(same: ArrayLike<number>, diff: ArrayLike<number>): number {
  const ns = same.length, nd = diff.length;
  if (ns === 0 || nd === 0) throw new Error(`AUC needs both kinds of pairs, got ${ns} ++ and ${nd} +−`);
  const all = new Float64Array(ns + nd);
  all.set(Array.from(same), 0);
  all.set(Array.from(diff), ns);
  const order = Array.from(all.keys()).sort((a, b) => all[a] - all[b]);
  let rankSumDiff = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && all[order[j + 1]] === all[order[i]]) j++;
    const rank = (i + j) / 2 + 1; // average 1-based rank of the tie group i…j
    for (let t = i; t <= j; t++) if (order[t] >= ns) rankSumDiff += rank;
    i = j + 1;
  }
  return (rankSumDiff - (nd * (nd + 1)) / 2) / (ns * nd);
}

export interface HeldOutMetrics {
  identities: number;
  images: number;
  /** ++/+− AUC (see rankAuc): 1 = every same-person pair closer than every different-person pair. */
  auc: number;
  meanSame: number;
  meanDiff: number;
  /** 1-NN leave-one-out accuracy. */
  nnAccuracy: number;
}

/** The check's numbers from n × dim embeddings (row-major) and their labels. */
export function heldOutMetrics(
  emb: ArrayLike<number>,
  labels: ArrayLike<number>,
  dim: number,
): HeldOutMetrics {
  const n = labels.length;
  if (emb.length !== n * dim) {
    throw new Error(`held-out check: ${emb.length} values for ${n}×${dim} embeddings`);
  }
  const same: number[] = [];
  const diff: number[] = [];
  const nearest = new Float64Array(n).fill(Infinity);
  const nearestLabel = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let d = 0;
      for (let t = 0; t < dim; t++) {
        const v = emb[i * dim + t] - emb[j * dim + t];
        d += v * v;
      }
      (labels[i] === labels[j] ? same : diff).push(d);
      if (d < nearest[i]) [nearest[i], nearestLabel[i]] = [d, labels[j]];
      if (d < nearest[j]) [nearest[j], nearestLabel[j]] = [d, labels[i]];
    }
  }
  let correct = 0;
  for (let i = 0; i < n; i++) if (nearestLabel[i] === labels[i]) correct++;
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  return {
    identities: new Set(Array.from(labels)).size,
    images: n,
    auc: rankAuc(same, diff),
    meanSame: mean(same),
    meanDiff: mean(diff),
    nnAccuracy: correct / n,
  };
}

/** Embed the held-out identities of `faces` with `model` (inference mode) and score them. */
export async function heldOutCheck(
  model: tfl.LayersModel,
  faces: FaceSet,
  spec: HeldOutSpec,
  opts: { flip?: boolean; batchSize?: number } = {},
): Promise<HeldOutMetrics> {
  const held = heldOutFaces(faces, spec);
  const emb = await embed(model, held, { flip: opts.flip, batchSize: opts.batchSize });
  return heldOutMetrics(emb, held.labels, emb.length / held.n);
}
