/**
 * The slides' claims, checked by code on our numbers instead of asserted in prose: "distances within a
 * person are smaller than between people" on the person × person distance matrix, and which way the
 * ++ and +− distance distributions move between two epochs. Each returns the facts and a Markdown
 * sentence a notebook can show as it is, so the text next to a figure always says what the data says.
 */
/** A person whose own photos are farther apart, on average, than they are from someone else's. */
export interface WithinBetweenCounterexample {
  person: string;
  /** Mean distance between the person's own photos (the matrix diagonal). */
  within: number;
  other: string;
  /** Mean distance between the person's photos and the other person's. */
  between: number;
}

export interface WithinBetweenCheck {
  /** True when every tested person's within-distance is below each of their between-distances. */
  holds: boolean;
  /** Every (person, other) pair that breaks it, the largest violation first. */
  counterexamples: WithinBetweenCounterexample[];
  /** People with no within-distance (a single photo: NaN on the diagonal), not tested. */
  untested: string[];
  /** A Markdown sentence saying whether the claim holds and, if not, where it fails. */
  sentence: string;
}

const f2 = (v: number) => v.toFixed(2);

/**
 * Check "distances within a person are smaller than between people in all cases" on a k × k
 * (row-major) person × person matrix of mean distances (e.g. identityDistanceMatrix's): for every
 * person a and every other person b, matrix[a][a] < matrix[a][b]. Works for squared or plain distances
 * alike (the square root keeps the order); `names` label the rows.
 */
export function withinSmallerThanBetween(
  matrix: ArrayLike<number>,
  names: readonly string[],
): WithinBetweenCheck {
  const k = names.length;
  if (k < 2) throw new RangeError(`withinSmallerThanBetween needs at least 2 people, got ${k}`);
  if (matrix.length !== k * k) {
    throw new RangeError(`matrix has ${matrix.length} entries, expected ${k}² = ${k * k} for ${k} names`);
  }
  const shown = names;
  const counterexamples: WithinBetweenCounterexample[] = [];
  const untested: string[] = [];
  for (let a = 0; a < k; a++) {
    const within = matrix[a * k + a];
    if (Number.isNaN(within)) {
      untested.push(shown[a]);
      continue;
    }
    for (let b = 0; b < k; b++) {
      if (b === a) continue;
      const between = matrix[a * k + b];
      if (!Number.isFinite(between)) {
        throw new RangeError(`matrix entry (${shown[a]}, ${shown[b]}) is ${between}`);
      }
      if (!(within < between)) counterexamples.push({ person: shown[a], within, other: shown[b], between });
    }
  }
  counterexamples.sort((x, y) => (y.within - y.between) - (x.within - x.between));
  const holds = counterexamples.length === 0;
  const tested = k - untested.length;
  const skipped = untested.length
    ? ` (${untested.join(", ")}: a single photo, so no within-person distance to test)`
    : "";
  const sentence = holds
    ? `For all ${tested} people${skipped}, the mean distance between their own photos is smaller than ` +
      `to every other person: the slides' "smaller within a person than between people, in all cases" holds here.`
    : `The slides' "smaller within a person than between people, in all cases" does **not** hold here: ` +
      counterexamples.map((c) =>
        `${c.person}'s own photos are ${f2(c.within)} apart on average, ` +
        `${c.within === c.between ? "as far as" : "farther than"} ${c.person} is from ${c.other} (${
          f2(c.between)
        })`
      ).join("; ") + `${skipped}.`;
  return { holds, counterexamples, untested, sentence };
}

/** Where one group of distances sits at two epochs. */
export interface GroupShift {
  /** Median at the earlier and at the later epoch. */
  from: number;
  to: number;
  /** to − from. */
  change: number;
  /** "right": larger distances; "left": smaller; "unchanged": moved less than the tolerance. */
  direction: "right" | "left" | "unchanged";
}

export interface ShiftDescription {
  /** Same-identity (++) and different-identity (+−) pairs. */
  positive: GroupShift;
  negative: GroupShift;
  /** Gap between the +− and the ++ medians, at the earlier and the later epoch. */
  gapFrom: number;
  gapTo: number;
  /** A Markdown sentence describing both moves, computed from the data. */
  sentence: string;
}

/** A sample's median (mean of the two middle values for an even count). */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One epoch's ++ and +− distances. */
export interface EpochDistances {
  epoch: number;
  positive: ArrayLike<number>;
  negative: ArrayLike<number>;
}

/**
 * Which way the ++ and the +− distances moved between two epochs, by their medians: each group moves
 * "right" (larger), "left" (smaller) or stays, where a move smaller than `tolerance` (default 0.01, in
 * the distances' unit) counts as staying. The sentence says "further right" when both moved right and
 * the +− group moved more, and whether the gap between the two groups grew: a good embedding moves ++
 * left and +− right, and this says what the run did instead of assuming it.
 */
export function describeShift(
  early: EpochDistances,
  late: EpochDistances,
  opts: { tolerance?: number; unit?: string } = {},
): ShiftDescription {
  const tol = opts.tolerance ?? 0.01;
  if (!(tol >= 0)) throw new RangeError(`tolerance must be ≥ 0, got ${tol}`);
  for (const [e, what] of [[early, "earlier"], [late, "later"]] as const) {
    if (e.positive.length === 0 || e.negative.length === 0) {
      throw new RangeError(
        `epoch ${e.epoch} (${what}) needs ++ and +− distances, got ${e.positive.length} and ${e.negative.length}`,
      );
    }
  }
  const shift = (a: ArrayLike<number>, b: ArrayLike<number>): GroupShift => {
    const from = median(a), to = median(b), change = to - from;
    return { from, to, change, direction: change > tol ? "right" : change < -tol ? "left" : "unchanged" };
  };
  const positive = shift(early.positive, late.positive);
  const negative = shift(early.negative, late.negative);
  const gapFrom = negative.from - positive.from, gapTo = negative.to - positive.to;
  const unit = opts.unit ?? "squared distances";
  const moved = (g: GroupShift, name: string, further: boolean) =>
    g.direction === "unchanged"
      ? `the ${name} ${unit} stayed where they were (median ${f2(g.from)} → ${f2(g.to)})`
      : `the ${name} ${unit} moved ${further ? "further " : ""}${
        g.direction === "right" ? "right, to larger" : "left, to smaller"
      } ` +
        `values (median ${f2(g.from)} → ${f2(g.to)})`;
  const further = positive.direction === negative.direction && positive.direction !== "unchanged" &&
    Math.abs(negative.change) > Math.abs(positive.change);
  const gap = Math.abs(gapTo - gapFrom) <= tol
    ? `the gap between the two medians stayed at about ${f2(gapTo)}`
    : `the gap between the two medians ${gapTo > gapFrom ? "grew" : "shrank"} from ${f2(gapFrom)} to ${
      f2(gapTo)
    }`;
  const grew = gapTo > gapFrom + tol, shrank = gapTo < gapFrom - tol;
  const wanted = positive.direction === "left" && negative.direction === "right"
    ? "both in the direction that separates them"
    : grew
    ? `so the groups separated more, though the ${
      positive.direction !== "left" ? "++ pairs did not move left" : "+− pairs did not move right"
    }`
    : shrank
    ? "so the groups overlap more than before"
    : "so the groups are about as separated as before";
  const sentence =
    `From epoch ${early.epoch} to epoch ${late.epoch}, ${moved(positive, "++ (same person)", false)} ` +
    `and ${moved(negative, "+− (different people)", further)}; ${gap}, ${wanted}.`;
  return { positive, negative, gapFrom, gapTo, sentence };
}
