import { deepEqual, equal, ok } from "../assert.ts";
import {
  LITERATURE,
  LITERATURE_COLORS,
  LITERATURE_GROUPS,
  literatureBars,
  literatureRows,
  type OurResult,
} from "../../lib/verify/literature.ts";

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
