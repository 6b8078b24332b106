/**
 * The numbers behind the embedding pictures: distances between embeddings (single images and people),
 * and the distributions of same-identity (++) and different-identity (+−) pair distances with the
 * threshold that separates them best. Distances are squared L2 throughout.
 */
import pl from "nodejs-polars";
import { groupByLabel } from "../data/faceset.ts";
import { Rng } from "../rng.ts";
import { checkLabels, rowCount, squaredDistance, type Vectors } from "./vectors.ts";

export interface PairDistances {
  /** Squared distances of all same-identity pairs (i < j). */
  positive: Float64Array;
  /** Squared distances of a uniform sample of different-identity pairs. */
  negative: Float64Array;
  /** Row indices of the pairs, aligned with the arrays above. */
  positivePairs: Int32Array;
  negativePairs: Int32Array;
}

export interface PairDistanceOptions {
  /** How many different-identity pairs to sample (default: as many as there are same-identity pairs,
   * at least 1,000); "all" takes every one (n² / 2 of them: only for small sets). */
  negatives?: number | "all";
  seed?: number;
}

/**
 * All same-identity (++) pair distances and a seeded uniform sample of distinct different-identity (+−)
 * pairs, the two histograms of the slides.
 */
export function pairDistanceDistributions(
  x: Vectors,
  dim: number,
  labels: ArrayLike<number>,
  opts: PairDistanceOptions = {},
): PairDistances {
  const n = checkLabels(x, dim, labels);
  const pos: number[] = [];
  const posPairs: number[] = [];
  for (const members of groupByLabel(labels).values()) {
    for (let a = 0; a < members.length; a++) {
      for (let b = a + 1; b < members.length; b++) {
        pos.push(squaredDistance(x, members[a], x, members[b], dim));
        posPairs.push(members[a], members[b]);
      }
    }
  }
  const totalPairs = n * (n - 1) / 2;
  const negTotal = totalPairs - pos.length;
  const neg: number[] = [];
  const negPairs: number[] = [];
  const want = opts.negatives ?? Math.max(1000, pos.length);
  if (want === "all") {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        if (labels[i] !== labels[j]) {
          neg.push(squaredDistance(x, i, x, j, dim));
          negPairs.push(i, j);
        }
      }
    }
  } else {
    if (!Number.isInteger(want) || want < 0) throw new RangeError(`negatives must be ≥ 0, got ${want}`);
    const count = Math.min(want, negTotal);
    const rng = new Rng(opts.seed ?? 0);
    const seen = new Set<number>();
    // Rejection sampling of distinct pairs; fine while the sample is a small part of all pairs.
    if (count > negTotal / 2) {
      throw new RangeError(
        `asked for ${count} of ${negTotal} different-identity pairs: use negatives: "all"`,
      );
    }
    while (neg.length < count) {
      let i = rng.int(n), j = rng.int(n);
      if (i === j || labels[i] === labels[j]) continue;
      if (i > j) [i, j] = [j, i];
      const key = i * n + j;
      if (seen.has(key)) continue;
      seen.add(key);
      neg.push(squaredDistance(x, i, x, j, dim));
      negPairs.push(i, j);
    }
  }
  return {
    positive: Float64Array.from(pos),
    negative: Float64Array.from(neg),
    positivePairs: Int32Array.from(posPairs),
    negativePairs: Int32Array.from(negPairs),
  };
}

export interface SeparatingThreshold {
  /** Call a pair "same" when its distance is < threshold. */
  threshold: number;
  /** (TPR + TNR) / 2 at that threshold: the two samples weigh the same whatever their sizes. */
  balancedAccuracy: number;
  /** Fraction of ++ pairs below the threshold. */
  tpr: number;
  /** Fraction of +− pairs at or above it. */
  tnr: number;
}

/**
 * The threshold that separates ++ from +− distances best, i.e. maximises balanced accuracy, searched
 * exactly over all cut points; the threshold is placed midway between the two neighbouring distances.
 */
export function separatingThreshold(
  positive: ArrayLike<number>,
  negative: ArrayLike<number>,
): SeparatingThreshold {
  const np = positive.length, nn = negative.length;
  if (np === 0 || nn === 0) throw new RangeError(`need both ++ and +− distances, got ${np} and ${nn}`);
  const all = new Float64Array(np + nn);
  const isPos = new Uint8Array(np + nn);
  for (let i = 0; i < np; i++) all[i] = positive[i], isPos[i] = 1;
  for (let i = 0; i < nn; i++) all[np + i] = negative[i];
  const order = Array.from(all.keys()).sort((a, b) => all[a] - all[b]);
  // Threshold below everything: no ++ accepted, all +− rejected.
  let tp = 0, fp = 0;
  let best = { threshold: all[order[0]] - 1e-9, balancedAccuracy: 0.5, tpr: 0, tnr: 1 };
  for (let k = 0; k < order.length; k++) {
    if (isPos[order[k]]) tp++;
    else fp++;
    // Only cut between distinct values.
    if (k + 1 < order.length && all[order[k + 1]] === all[order[k]]) continue;
    const tpr = tp / np, tnr = 1 - fp / nn;
    const ba = (tpr + tnr) / 2;
    if (ba > best.balancedAccuracy) {
      const next = k + 1 < order.length ? all[order[k + 1]] : all[order[k]] + 1e-9;
      best = { threshold: (all[order[k]] + next) / 2, balancedAccuracy: ba, tpr, tnr };
    }
  }
  return best;
}

/** ++ and +− distances as one long table: columns `kind` ("++" / "+-"), `i`, `j`, `distance`. */
export function pairDistancesFrame(p: PairDistances): pl.DataFrame {
  const np = p.positive.length, nn = p.negative.length;
  const kind: string[] = new Array(np + nn);
  const i = new Int32Array(np + nn), j = new Int32Array(np + nn);
  const d = new Float64Array(np + nn);
  for (let k = 0; k < np; k++) {
    kind[k] = "++";
    i[k] = p.positivePairs[2 * k];
    j[k] = p.positivePairs[2 * k + 1];
    d[k] = p.positive[k];
  }
  for (let k = 0; k < nn; k++) {
    kind[np + k] = "+-";
    i[np + k] = p.negativePairs[2 * k];
    j[np + k] = p.negativePairs[2 * k + 1];
    d[np + k] = p.negative[k];
  }
  return pl.DataFrame({ kind, i: pl.Series("i", i, pl.Int32), j: pl.Series("j", j, pl.Int32), distance: d });
}

// ---------------------------------------------------------------------------------------------------
// Distance matrices

export interface IdentityDistances {
  /** The identities in matrix order (label values). */
  classes: number[];
  /** k × k: entry (a, b) is the mean squared distance between images of a and images of b; the diagonal
   * is the mean over distinct pairs within a (NaN for an identity with one image). */
  matrix: Float64Array;
  /** Images per identity, in matrix order. */
  counts: number[];
}

/** Mean embedding distance within and between identities (optionally only the listed ones, in that order). */
export function identityDistanceMatrix(
  x: Vectors,
  dim: number,
  labels: ArrayLike<number>,
  classes?: number[],
): IdentityDistances {
  checkLabels(x, dim, labels);
  const cls = classes ?? [...new Set(Array.from(labels))].sort((a, b) => a - b);
  if (new Set(cls).size !== cls.length) throw new RangeError(`classes list has duplicates: ${cls}`);
  const groups = groupByLabel(labels);
  const members: number[][] = cls.map((c) => groups.get(c) ?? []);
  members.forEach((m, k) => {
    if (m.length === 0) throw new RangeError(`identity ${cls[k]} has no images`);
  });
  // #region exercise 5: Own faces: the distance matrix and the nearest-identity decision
  // Task (distance matrix): return { classes: cls, matrix, counts }: `matrix` is k×k (k = cls.length),
  //   row-major, symmetric; entry (a, b) is the mean squared distance over all pairs of one image of
  //   identity cls[a] and one of cls[b] (members[a] and members[b] list their images); on the
  //   diagonal, over the distinct pairs of two images of the identity (NaN if it has only one).
  //   counts[a] is the number of images of cls[a].
  // Hint: squaredDistance(x, i, x, j, dim) is the squared distance of rows i and j; compute b ≥ a only.
  // Tests: identity and image distance matrices
  const k = cls.length;
  const matrix = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      let s = 0, c = 0;
      for (let p = 0; p < members[a].length; p++) {
        for (let q = a === b ? p + 1 : 0; q < members[b].length; q++) {
          s += squaredDistance(x, members[a][p], x, members[b][q], dim);
          c++;
        }
      }
      matrix[a * k + b] = matrix[b * k + a] = c > 0 ? s / c : NaN;
    }
  }
  return { classes: cls, matrix, counts: members.map((m) => m.length) };
  // #endregion exercise 5
}

/** A square matrix as a long table `row`, `column`, `value` (names label rows and columns). */
export function matrixFrame(matrix: ArrayLike<number>, names: string[]): pl.DataFrame {
  const k = names.length;
  if (matrix.length !== k * k) throw new RangeError(`matrix has ${matrix.length} entries, expected ${k}²`);
  const row: string[] = [], column: string[] = [], value: number[] = [];
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      row.push(names[a]);
      column.push(names[b]);
      value.push(matrix[a * k + b]);
    }
  }
  return pl.DataFrame({ row, column, value });
}

/** Squared distances between the chosen images (k × k, row-major). */
export function imageDistanceMatrix(x: Vectors, dim: number, indices: ArrayLike<number>): Float64Array {
  const n = rowCount(x, dim);
  const k = indices.length;
  for (let a = 0; a < k; a++) {
    if (!Number.isInteger(indices[a]) || indices[a] < 0 || indices[a] >= n) {
      throw new RangeError(`image index ${indices[a]} outside 0…${n - 1}`);
    }
  }
  const out = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      out[a * k + b] = out[b * k + a] = squaredDistance(x, indices[a], x, indices[b], dim);
    }
  }
  return out;
}
