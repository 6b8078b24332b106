/**
 * The bookkeeping of the "our images" notebook: which unseen photos train the classifier and which
 * are held out, example same/different pairs to show, and which detection in a group photo belongs to
 * which person. Where its outputs go (out of tracked files when they show the user's photos) is
 * decided in lib/faces/own.ts.
 */
import { pairDistanceDistributions, separatingThreshold } from "../analysis/distances.ts";
import type { ClassifierSpec } from "../classify/classifiers.ts";
import { type FittedClassifier, rankClasses } from "../classify/fit.ts";
import { type FaceSet, groupByLabel } from "../data/faceset.ts";
import { type Box, type Face, type GroupPhoto, memberAt } from "../faces/mod.ts";
import type { ImageBlock } from "../models/embed.ts";
import type { Thumbnail } from "../plots/images.ts";
import { basename } from "node:path";
import { Rng } from "../rng.ts";
import { squaredDistance } from "../analysis/vectors.ts";
import { fromSquared } from "../slides/compare.ts";

/** Rows `indices` of an n × dim block, in that order. */
export function gatherRows(x: Float32Array, dim: number, indices: ArrayLike<number>): Float32Array {
  if (!Number.isInteger(dim) || dim < 1 || x.length % dim !== 0) {
    throw new RangeError(`${x.length} values do not form rows of ${dim}`);
  }
  const n = x.length / dim;
  const out = new Float32Array(indices.length * dim);
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r];
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`row ${i} outside 0…${n - 1}`);
    out.set(x.subarray(i * dim, (i + 1) * dim), r * dim);
  }
  return out;
}

/**
 * Per identity, hold out the last `heldOut` images (in their order) and train on the rest; an identity
 * keeps at least one training image, so with fewer than `heldOut` + 1 images it holds out fewer.
 */
export function holdOutSplit(
  labels: ArrayLike<number>,
  heldOut: number,
): { train: number[]; test: number[] } {
  if (!Number.isInteger(heldOut) || heldOut < 0) {
    throw new RangeError(`heldOut must be a non-negative integer, got ${heldOut}`);
  }
  const members = groupByLabel(labels);
  const train: number[] = [], test: number[] = [];
  for (const m of members.values()) {
    const h = Math.min(heldOut, m.length - 1);
    train.push(...m.slice(0, m.length - h));
    test.push(...m.slice(m.length - h));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/** Notebook 05's classifier set-up: who it knows, which photos train and test it, and which kind. */
export interface KnownStrangerSplit {
  /** The classifier's people (labels, ascending); everyone else is a stranger to it. */
  known: number[];
  /** Photos of known people it is trained on, and their held-out photos (indices into the labels). */
  train: number[];
  test: number[];
  /** Photos of the strangers. */
  stranger: number[];
  /** People with a single photo: it cannot both train the classifier and test it, so they are strangers. */
  single: number[];
  /** Held-out photos per known person: 3 when each has at least 4 photos, otherwise 1. */
  heldOut: number;
  /** SVM (RBF, C = 10) when every known person keeps at least 5 training photos, otherwise 1-NN. */
  spec: ClassifierSpec;
  /** One sentence per single-photo person for the notebook: who was left out of the held-out test, and why. */
  notes: string[];
}

/**
 * Split the photos of `people` unseen people (labels 0 … people − 1, named `names` in messages). A
 * known person needs 2 photos, one to train on and one to hold out, so people with a single photo
 * are strangers the classifier is never told about; when nobody has a single photo and there are three
 * or more people, the last person is the stranger. Each known person's last photos are held out (see
 * holdOutSplit). Few photos per person make a kernel SVM's probability model meaningless, so the
 * classifier is then a nearest neighbour instead. Fewer than 2 people with 2 photos is an error that
 * names the people with one.
 */
export function knownStrangerSplit(
  labels: ArrayLike<number>,
  people: number,
  names?: readonly string[],
): KnownStrangerSplit {
  if (!Number.isInteger(people) || people < 2) {
    throw new RangeError(`need at least 2 people, got ${people}`);
  }
  const name = (l: number) => names?.[l] ?? `person ${l}`;
  const counts = new Array<number>(people).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= people) {
      throw new RangeError(`label ${l} outside 0…${people - 1}`);
    }
    counts[l]++;
  }
  const missing = counts.findIndex((c) => c === 0);
  if (missing >= 0) throw new RangeError(`${name(missing)} has no photos`);
  const all = counts.map((_, l) => l);
  const single = all.filter((l) => counts[l] === 1);
  const several = all.filter((l) => counts[l] >= 2);
  if (several.length < 2) {
    throw new RangeError(
      `the classifier needs at least 2 people with 2 or more photos (one to train on, one to hold out); ` +
        `${single.map((l) => `${name(l)} has 1`).join(", ")}` +
        (several.length ? ` and only ${name(several[0])} has more` : ""),
    );
  }
  const strangers = new Set(single.length > 0 ? single : people >= 3 ? [people - 1] : []);
  const known = all.filter((l) => !strangers.has(l));
  const isKnown = (i: number) => !strangers.has(labels[i]);
  const heldOut = Math.min(...known.map((l) => counts[l])) >= 4 ? 3 : 1;
  // Strangers share one pseudo-label, only so that holdOutSplit sees every index.
  const split = holdOutSplit(Array.from(labels, (l) => (strangers.has(l) ? -1 : l)), heldOut);
  const train = split.train.filter(isKnown);
  const test = split.test.filter(isKnown);
  const stranger = Array.from({ length: labels.length }, (_, i) => i).filter((i) => !isKnown(i));
  const trainCounts = new Map(known.map((l) => [l, 0]));
  for (const i of train) trainCounts.set(labels[i], trainCounts.get(labels[i])! + 1);
  const spec: ClassifierSpec = Math.min(...trainCounts.values()) >= 5
    ? { kind: "svm", kernel: "rbf", C: 10, gamma: "scale" }
    : { kind: "knn", k: 1 };
  const notes = single.map((l) =>
    `${name(l)}: only 1 photo with a face, so not in the held-out test (a person needs one photo to ` +
    `train the classifier on and one to test it): treated as a stranger; add a photo to include them.`
  );
  return { known, train, test, stranger, single, heldOut, spec, notes };
}

/** One held-out photo in notebook 05's table (a type, not an interface, so rows pass as showTable/saveCsv rows). */
export type HeldOutPrediction = {
  photo: string;
  person: string;
  predicted: string;
  confidence: number;
  "p(true person)": number;
};

/**
 * The fitted classifier's most probable person for each photo in `rows` (indices into the n × dim
 * embeddings `x`, with `labels`, `names` and `paths` per photo), its probability and the probability
 * of the true person; `accuracy` is the fraction predicted right.
 */
export function heldOutPredictions(
  clf: FittedClassifier,
  x: Float32Array,
  dim: number,
  rows: number[],
  photos: { labels: ArrayLike<number>; paths: string[] },
  names: string[],
): { rows: HeldOutPrediction[]; accuracy: number } {
  // #region exercise 5: Own faces: the distance matrix and the nearest-identity decision
  // Task (decision): for each photo i of `rows`, the identity the classifier finds most probable (for
  //   the 1-NN of notebook 05, the nearest known identity), as one row per photo: photo (its path),
  //   person (the true name), predicted (the predicted name), confidence (the predicted class's
  //   probability) and "p(true person)" (0 if the classifier never saw that person); accuracy is the
  //   fraction of rows predicted right (NaN without rows).
  // Hint: clf.probabilities(gatherRows(x, dim, rows)) returns one block of clf.classes.length
  //   probabilities per photo, in the order of clf.classes; rankClasses (../classify/fit.ts) ranks one
  //   block.
  // Tests: heldOutPredictions: a 1-NN on points in the plane
  const k = clf.classes.length;
  const probs = clf.probabilities(gatherRows(x, dim, rows));
  const out = rows.map((i, r) => {
    const row = probs.subarray(r * k, (r + 1) * k);
    const top = rankClasses(row, clf.classes, 1)[0];
    const truth = photos.labels[i];
    const j = clf.classes.indexOf(truth);
    return {
      photo: photos.paths[i],
      person: names[truth],
      predicted: names[top.label],
      confidence: top.probability,
      "p(true person)": j >= 0 ? row[j] : 0,
    };
  });
  const right = out.filter((r) => r.person === r.predicted).length;
  return { rows: out, accuracy: out.length ? right / out.length : NaN };
  // #endregion exercise 5
}

export interface ExamplePair {
  i: number;
  j: number;
  same: boolean;
}

/**
 * Example pairs to tabulate: up to `perKind` same-identity pairs (one per identity in turn: its first
 * and a random other image) and `perKind` different-identity pairs (consecutive identities, random
 * images), seeded.
 */
export function examplePairs(labels: ArrayLike<number>, perKind: number, seed = 0): ExamplePair[] {
  const rng = new Rng(seed);
  const members = groupByLabel(labels);
  const ids = [...members.keys()].sort((a, b) => a - b);
  const out: ExamplePair[] = [];
  const multi = ids.filter((c) => members.get(c)!.length >= 2);
  for (let k = 0; k < perKind && multi.length > 0; k++) {
    const m = members.get(multi[k % multi.length])!;
    out.push({ i: m[0], j: m[1 + rng.int(m.length - 1)], same: true });
  }
  for (let k = 0; k < perKind && ids.length > 1; k++) {
    const p = members.get(ids[k % ids.length])!, q = members.get(ids[(k + 1) % ids.length])!;
    out.push({ i: p[rng.int(p.length)], j: q[rng.int(q.length)], same: false });
  }
  return out;
}

/**
 * The example pairs as a table: each pair's people and photos, whether it is one person, and per network
 * (embeddings in `embeddings`, `dim` numbers per image) the squared distance d² (ours) and the plain one
 * d = √d² (the slides' convention).
 */
export function examplePairRows(
  pairs: ExamplePair[],
  faces: Pick<FaceSet, "labels" | "paths">,
  names: readonly string[],
  embeddings: Record<string, Float32Array>,
  dim: number,
): Record<string, string | number>[] {
  return pairs.map((p) => {
    const row: Record<string, string | number> = {
      "person A": names[faces.labels[p.i]],
      "photo A": basename(faces.paths[p.i]),
      "person B": names[faces.labels[p.j]],
      "photo B": basename(faces.paths[p.j]),
      same: p.same ? "yes" : "no",
    };
    for (const [net, e] of Object.entries(embeddings)) {
      const d = fromSquared(squaredDistance(e, p.i, e, p.j, dim));
      row[`d² ${net}`] = d.squared;
      row[`d ${net}`] = d.plain;
    }
    return row;
  });
}

/** One group-photo member and the detected face taken for them. */
export interface AssignedFace {
  name: string;
  face: Face;
}

const area = (b: Box) => b.width * b.height;

/**
 * Match detections to the people of a composed group photo: a face belongs to the member whose tile
 * holds its centre; a member with several faces (a photo that shows two) keeps the largest. Faces
 * between tiles are returned as `stray`; members without a face as `missed`.
 */
export function assignGroupFaces(
  group: GroupPhoto,
  faces: Face[],
): { assigned: AssignedFace[]; stray: Face[]; missed: string[] } {
  const best = new Map<string, Face>();
  const stray: Face[] = [];
  for (const f of faces) {
    const name = memberAt(group, f.box);
    if (name === undefined) stray.push(f);
    else if (!best.has(name) || area(f.box) > area(best.get(name)!.box)) best.set(name, f);
  }
  const assigned: AssignedFace[] = [];
  const missed: string[] = [];
  for (const m of group.members) {
    const f = best.get(m.name);
    if (f) assigned.push({ name: m.name, face: f });
    else missed.push(m.name);
  }
  return { assigned, stray, missed };
}

/** How well one network's embeddings separate the unseen people (one row of notebook 05's table; a type, not an
 * interface, so rows pass as showTable/saveCsv rows). */
export type SeparationRow = {
  network: string;
  "mean d² same": number;
  "mean d² different": number;
  threshold: number;
  "balanced accuracy": number;
};

/**
 * All same-person (++) against all different-person (+−) squared distances, per network: their
 * means, the threshold that separates them best and its balanced accuracy.
 */
export function separationTable(
  embeddings: Record<string, Float32Array>,
  dim: number,
  labels: ArrayLike<number>,
): SeparationRow[] {
  const mean = (v: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i];
    return s / v.length;
  };
  return Object.entries(embeddings).map(([network, x]) => {
    const pd = pairDistanceDistributions(x, dim, labels, { negatives: "all" });
    const t = separatingThreshold(pd.positive, pd.negative);
    return {
      network,
      "mean d² same": mean(pd.positive),
      "mean d² different": mean(pd.negative),
      threshold: t.threshold,
      "balanced accuracy": t.balancedAccuracy,
    };
  });
}

/**
 * The network with the highest balanced accuracy (the first listed on a tie), and a sentence that
 * says which, or that both separate the people equally well.
 */
export function betterNetwork(rows: SeparationRow[]): { network: string; tie: boolean; message: string } {
  if (rows.length === 0) throw new RangeError("betterNetwork: no networks to compare");
  const best = rows.reduce((a, b) => (b["balanced accuracy"] > a["balanced accuracy"] ? b : a));
  const tie = rows.filter((r) => r["balanced accuracy"] === best["balanced accuracy"]).length > 1;
  return {
    network: best.network,
    tie,
    message: tie
      ? `both networks separate these people equally well; using ${best.network}`
      : `better on these people: ${best.network}`,
  };
}

/** Image `i` of a face block as a thumbnail for `faceGrid` (its pixels are a view, not a copy). */
export function faceThumbnail(faces: ImageBlock, i: number, label?: string): Thumbnail {
  if (!Number.isInteger(i) || i < 0 || i >= faces.n) {
    throw new RangeError(`image ${i} outside 0…${faces.n - 1}`);
  }
  const px = faces.height * faces.width;
  return {
    pixels: faces.pixels.subarray(i * px, (i + 1) * px),
    width: faces.width,
    height: faces.height,
    label,
  };
}

/**
 * Up to `perRow` crops of each person, one row per person in label order, captioned with the photo's
 * file name (the first also with the person's name): what the networks see. A person with fewer crops
 * repeats their first, so rows stay aligned; a person with none is left out. `columns` is the row length.
 */
export function personThumbnails(
  faces: Pick<FaceSet, "pixels" | "n" | "height" | "width" | "labels" | "classNames" | "paths">,
  perRow = 6,
): { thumbnails: Thumbnail[]; columns: number } {
  if (!Number.isInteger(perRow) || perRow < 1) {
    throw new RangeError(`perRow must be a positive integer, got ${perRow}`);
  }
  const members = groupByLabel(faces.labels);
  if (members.size === 0) throw new RangeError("personThumbnails: no faces");
  const columns = Math.min(perRow, Math.max(...[...members.values()].map((m) => m.length)));
  const thumbnails = faces.classNames.flatMap((name, c) => {
    const rows = (members.get(c) ?? []).slice(0, columns);
    if (rows.length === 0) return [];
    return Array.from({ length: columns }, (_, k) => {
      const i = rows[k] ?? rows[0];
      const file = basename(faces.paths[i]);
      return faceThumbnail(faces, i, k === 0 ? `${name}: ${file}` : file);
    });
  });
  return { thumbnails, columns };
}

/** Square crops (e.g. `cropFace`'s, size × size grayscale) stacked into one block for `embed`. */
export function stackCrops(crops: Uint8Array[], size = 96): ImageBlock {
  const px = size * size;
  const pixels = new Uint8Array(crops.length * px);
  crops.forEach((c, k) => {
    if (c.length !== px) throw new RangeError(`crop ${k} has ${c.length} pixels, not ${size}×${size}`);
    pixels.set(c, k * px);
  });
  return { pixels, n: crops.length, height: size, width: size };
}
