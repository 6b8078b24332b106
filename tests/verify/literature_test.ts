import { deepEqual, equal, ok } from "../assert.ts";
import {
  LITERATURE,
  LITERATURE_COLORS,
  LITERATURE_GROUPS,
  literatureBars,
  literatureRows,
  type OurResult,
  seenOurResults,
  view1OurResults,
} from "../../lib/verify/literature.ts";
import type { View1SummaryRow } from "../../lib/verify/view1_eval.ts";

const ours: OurResult[] = [
  {
    method: "Zeiler&Fergus, flip + WCCN",
    label: "ours: ZF, flip + WCCN · LFW dev-train only · View 1, people unseen",
    accuracy: 0.705,
    se: 0.0125,
    trainedOn: "LFW peopleDevTrain, 1,125 people",
    protocol: "View 1 pairsDevTest, people unseen",
    unseenPeople: true,
  },
  {
    method: "Zeiler&Fergus, slides",
    label: "ours: ZF, slides · LFW ≥ 3 images · pairs.txt, people seen",
    accuracy: 0.7325,
    se: 0.0074,
    trainedOn: "LFW ≥ 3 images, 901 people",
    protocol: "View 2 pairs.txt, people seen in training",
    unseenPeople: false,
  },
];

Deno.test("literature table: sane values, training data and protocol on every entry, the anchors present", () => {
  for (const e of LITERATURE) {
    ok(e.accuracy > 0.5 && e.accuracy < 1, `${e.method}: accuracy ${e.accuracy}`);
    ok(e.se === null || (e.se > 0 && e.se < 0.05), `${e.method}: SE ${e.se}`);
    ok(e.year >= 1991 && e.year <= 2015, `${e.method}: year ${e.year}`);
    ok(e.trainedOn.length > 0 && e.protocol.startsWith("View 2"), e.method);
    // Only the deep networks and high-dim LBP used labelled outside data.
    equal(e.protocol.includes("labeled outside data"), !e.lfwOnly, e.method);
  }
  const names = LITERATURE.map((e) => e.method);
  for (const anchor of ["Eigenfaces", "Nowak & Jurie", "V1-like/MKL", "Fisher vector faces", "FaceNet"]) {
    ok(names.some((n) => n.startsWith(anchor)), `${anchor} missing`);
  }
  // The LFW page's figures (checked in issue #16).
  const acc = (m: string) => LITERATURE.find((e) => e.method.startsWith(m))!.accuracy;
  deepEqual([acc("Eigenfaces"), acc("Nowak"), acc("V1-like")], [0.6002, 0.7393, 0.7935]);
  ok(LITERATURE.filter((e) => e.lfwOnly).length >= 4);
  ok(LITERATURE.filter((e) => e.checked !== null).length >= 5);
});

Deno.test("literatureRows and literatureBars: ours carry no year, every bar says what it trained on", () => {
  const rows = literatureRows(ours);
  equal(rows.length, LITERATURE.length + 2);
  const mine = rows.filter((r) => String(r.method).startsWith("ours"));
  deepEqual(mine.map((r) => r.year), [null, null]);
  deepEqual(mine.map((r) => r.group), [LITERATURE_GROUPS.oursUnseen, LITERATURE_GROUPS.oursSeen]);
  equal(mine[0]["accuracy %"], 70.5);
  equal(
    rows.filter((r) => r["checked against"] === "not re-checked").length,
    LITERATURE.filter((e) => !e.checked).length,
  );
  const bars = literatureBars(ours);
  equal(bars.length, rows.length);
  for (const b of bars) {
    ok(b.group in LITERATURE_COLORS, `no colour for ${b.group}`);
    ok(b.label.split(" · ").length === 3, `label without training data and protocol: ${b.label}`);
    ok(b.label.length <= 70, `label too long for the chart: ${b.label}`);
    if (b.lo !== undefined) ok(b.lo < b.value && b.hi! > b.value && b.hi! <= 1, b.label);
  }
  const eigen = bars.find((b) => b.label.startsWith("Eigenfaces"))!;
  equal(eigen.group, LITERATURE_GROUPS.lfwOnly);
  equal(eigen.lo, 0.6002 - 0.0079);
});

Deno.test("view1OurResults and seenOurResults: our rows as literature entries, ± the SE over folds", () => {
  const headline: View1SummaryRow[] = [{
    network: "Zeiler&Fergus, raw (chosen)",
    "training people": 1125,
    "training images": 6469,
    "test pairs": 1000,
    "test people trained on": 0,
    "accuracy %": 81.7,
    SE: 1.23,
    AUC: 0.89,
    "EER %": 19.6,
    "VAL @ FAR=1e-3 %": 5,
  }];
  const [v] = view1OurResults(headline);
  equal(v.method, "Zeiler&Fergus, raw");
  equal(v.label, "ours: ZF, raw · LFW dev-train only · View 1, people unseen");
  ok(Math.abs(v.accuracy - 0.817) < 1e-12 && Math.abs(v.se - 0.0123) < 1e-12);
  equal(v.trainedOn, "LFW peopleDevTrain only, 1,125 people");
  equal(v.unseenPeople, true);

  // Folds 0.7 and 0.8 (and 0.75 twice): sample std 0.0408…, SE = std/√4.
  const perFold = [0.7, 0.8, 0.75, 0.75];
  const [s] = seenOurResults({ Inception: { accuracy: { mean: 0.75, std: 0, perFold } } });
  equal(s.method, "Inception, slides' training");
  equal(s.label, "ours: Inception, slides · LFW ≥ 3 images · pairs.txt, people seen");
  equal(s.unseenPeople, false);
  const mean = 0.75, sd = Math.sqrt(perFold.reduce((a, x) => a + (x - mean) ** 2, 0) / 3);
  ok(Math.abs(s.se - sd / 2) < 1e-12, `${s.se} vs ${sd / 2}`);
  const rows = literatureRows([v, s]);
  deepEqual(rows.slice(-2).map((r) => r.group), [LITERATURE_GROUPS.oursUnseen, LITERATURE_GROUPS.oursSeen]);
});
