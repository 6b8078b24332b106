import { assertClose, deepEqual, equal, match, ok, throws } from "../assert.ts";
import { describeShift, median, withinSmallerThanBetween } from "../../lib/slides/claims.ts";

// The committed quick run's Zeiler&Fergus matrix of notebook 05 (figures/05_own_faces/distance_matrix_zf.csv),
// rounded to 3 decimals: ORL s4's own photos (0.493) are farther apart than s4 is from s3 (0.418).
const NAMES = ["ORL s1", "ORL s2", "ORL s3", "ORL s4", "ORL s5", "ORL s6"];
const ZF = [
  [0.519, 0.702, 1.627, 1.774, 1.413, 1.929],
  [0.702, 0.311, 1.460, 1.686, 1.651, 1.602],
  [1.627, 1.460, 0.277, 0.418, 1.191, 0.519],
  [1.774, 1.686, 0.418, 0.493, 1.281, 0.572],
  [1.413, 1.651, 1.191, 1.281, 0.147, 1.357],
  [1.929, 1.602, 0.519, 0.572, 1.357, 0.180],
].flat();

Deno.test("withinSmallerThanBetween: the committed ZF matrix fails it at s4 against s3", () => {
  const r = withinSmallerThanBetween(ZF, NAMES);
  equal(r.holds, false);
  deepEqual(r.counterexamples, [{ person: "ORL s4", within: 0.493, other: "ORL s3", between: 0.418 }]);
  deepEqual(r.untested, []);
  match(r.sentence, /does \*\*not\*\* hold/);
  match(
    r.sentence,
    /ORL s4's own photos are 0\.49 apart on average, farther than ORL s4 is from ORL s3 \(0\.42\)/,
  );
  // Squared or plain distances: the same verdict.
  deepEqual(
    withinSmallerThanBetween(ZF.map(Math.sqrt), NAMES).counterexamples.map((c) => [c.person, c.other]),
    [[
      "ORL s4",
      "ORL s3",
    ]],
  );
});

Deno.test("withinSmallerThanBetween: holds, skips a one-photo person, and orders violations by size", () => {
  // a within 0.1, b within 0.2, c has one photo (NaN); all between-distances ≥ 1.
  const ok3 = [0.1, 1, 1.5, 1, 0.2, 1.2, 1.5, 1.2, NaN];
  const r = withinSmallerThanBetween(ok3, ["a", "b", "c"]);
  equal(r.holds, true);
  deepEqual(r.untested, ["c"]);
  match(r.sentence, /For all 2 people \(c: a single photo/);
  // a: within 0.9 > between a–b 0.5 (by 0.4) and = a–c 0.9 (tie counts: not smaller); b fine.
  const bad = [0.9, 0.5, 0.9, 0.5, 0.1, 1.0, 0.9, 1.0, 0.2];
  const v = withinSmallerThanBetween(bad, ["a", "b", "c"]);
  deepEqual(v.counterexamples.map((c) => [c.person, c.other]), [["a", "b"], ["a", "c"]]);
  match(v.sentence, /as far as a is from c/);
  throws(() => withinSmallerThanBetween([0, 1, 1], ["a", "b"]), /expected 2² = 4/);
  throws(() => withinSmallerThanBetween([0], ["a"]), /at least 2 people/);
  throws(() => withinSmallerThanBetween([0.1, NaN, 1, 0.1], ["a", "b"]), /entry \(a, b\) is NaN/);
});

Deno.test("median: odd and even counts", () => {
  equal(median([3, 1, 2]), 2);
  equal(median([4, 1, 3, 2]), 2.5);
  throws(() => median([]), /no values/);
});

Deno.test("describeShift: ++ moves right and +− further right (the committed quick run's histograms)", () => {
  const early = { epoch: 3, positive: [0.2, 0.3, 0.4], negative: [0.5, 0.7, 0.9] };
  const late = { epoch: 10, positive: [0.3, 0.45, 0.6], negative: [0.8, 1.1, 1.4] };
  const s = describeShift(early, late);
  deepEqual([s.positive.direction, s.negative.direction], ["right", "right"]);
  assertClose(s.positive.change, 0.15, 1e-12);
  assertClose(s.negative.change, 0.4, 1e-12);
  assertClose(s.gapFrom, 0.4, 1e-12);
  assertClose(s.gapTo, 0.65, 1e-12);
  match(s.sentence, /^From epoch 3 to epoch 10, the \+\+ \(same person\) squared distances moved right/);
  match(
    s.sentence,
    /\+− \(different people\) squared distances moved further right, to larger values \(median 0\.70 → 1\.10\)/,
  );
  match(
    s.sentence,
    /the gap between the two medians grew from 0\.40 to 0\.65, so the groups separated more, though the \+\+ pairs did not move left\.$/,
  );
});

Deno.test("describeShift: the textbook case, a move within the tolerance, and overlap growing", () => {
  const good = describeShift(
    { epoch: 1, positive: [1, 1], negative: [1, 1] },
    { epoch: 2, positive: [0.5, 0.5], negative: [1.5, 1.5] },
  );
  deepEqual([good.positive.direction, good.negative.direction], ["left", "right"]);
  match(
    good.sentence,
    /moved left, to smaller values.*moved right, to larger values.*both in the direction that separates them/,
  );
  ok(!good.sentence.includes("further"), "opposite directions: no 'further'");
  const still = describeShift(
    { epoch: 1, positive: [0.5], negative: [1] },
    { epoch: 2, positive: [0.504], negative: [0.7] },
  );
  equal(still.positive.direction, "unchanged");
  equal(still.negative.direction, "left");
  match(
    still.sentence,
    /stayed where they were \(median 0\.50 → 0\.50\).*shrank from 0\.50 to 0\.20, so the groups overlap more/,
  );
  equal(
    describeShift({ epoch: 1, positive: [0.5], negative: [1] }, {
      epoch: 2,
      positive: [0.505],
      negative: [1],
    }, {
      tolerance: 0.001,
    }).positive.direction,
    "right",
  );
  throws(
    () => describeShift({ epoch: 1, positive: [], negative: [1] }, still as never),
    /epoch 1 \(earlier\) needs/,
  );
});
