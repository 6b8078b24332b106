import { join } from "node:path";
import { deepEqual, equal, throws } from "../assert.ts";
import type { View1RocRow, View1SummaryRow, View1VariantRow } from "../../lib/verify/view1_eval.ts";
import {
  loadView1Results,
  saveView1Results,
  VIEW1_FILES,
  view1Headline,
  view1RocSeries,
} from "../../lib/verify/view1_results.ts";

function rows(network: string, chosen: string, acc: number) {
  const summary = [chosen, "raw"].map((v, i): View1SummaryRow => ({
    network: `${network}, ${v}${i === 0 ? " (chosen)" : ""}`,
    "training people": 1125,
    "training images": 6469,
    "test pairs": 1000,
    "test people trained on": 0,
    "accuracy %": acc - i,
    SE: 1.25,
    AUC: 0.8123,
    "EER %": 25.5,
    "VAL @ FAR=1e-3 %": 1.2,
  }));
  const variants = ["raw", chosen].map((v): View1VariantRow => ({
    network,
    variant: v,
    "held-out people": 59,
    "held-out images": 202,
    "AUC per person (chooses)": v === chosen ? 0.9 : 0.8,
    "AUC all pairs": 0.85,
    chosen: v === chosen ? "yes" : "",
  }));
  const roc = [0, 0.01].map((t): View1RocRow => ({
    network,
    variant: chosen,
    threshold: t,
    fpr: t,
    tpr: 2 * t,
  }));
  return { summary, variants, roc };
}

Deno.test("View 1 tables: saving one network keeps the other's rows, and they read back as written", () => {
  const dir = Deno.makeTempDirSync();
  try {
    equal(loadView1Results(dir), null);
    saveView1Results(dir, "Zeiler&Fergus", rows("Zeiler&Fergus", "flip + WCCN", 70.5));
    saveView1Results(dir, "Inception", rows("Inception", "flip", 66.25));
    // Rerunning ZF replaces its rows only.
    const zf = rows("Zeiler&Fergus", "flip + LDA-64", 71.5);
    saveView1Results(dir, "Zeiler&Fergus", zf);
    const r = loadView1Results(dir)!;
    deepEqual(r.summary.map((s) => s.network), [
      "Inception, flip (chosen)",
      "Inception, raw",
      "Zeiler&Fergus, flip + LDA-64 (chosen)",
      "Zeiler&Fergus, raw",
    ]);
    deepEqual(r.summary[2], zf.summary[0]);
    deepEqual(r.variants.filter((v) => v.network === "Zeiler&Fergus"), zf.variants);
    equal(r.roc.length, 4);
    deepEqual(view1Headline(r.summary).map((s) => [s.network, s["accuracy %"]]), [
      ["Inception, flip (chosen)", 66.25],
      ["Zeiler&Fergus, flip + LDA-64 (chosen)", 71.5],
    ]);
    // Counts are written as integers.
    const text = Deno.readTextFileSync(join(dir, VIEW1_FILES.summary));
    equal(text.split("\n")[1], `"Inception, flip (chosen)",1125,6469,1000,0,66.25,1.25,0.8123,25.5,1.2`);
    Deno.removeSync(join(dir, VIEW1_FILES.roc));
    throws(() => loadView1Results(dir), /view1_roc.csv is missing beside view1_summary.csv/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("view1RocSeries: one curve per network and variant, points in file order", () => {
  const pt = (network: string, variant: string, fpr: number, tpr: number): View1RocRow => ({
    network,
    variant,
    threshold: 0,
    fpr,
    tpr,
  });
  const series = view1RocSeries([
    pt("Zeiler&Fergus", "raw", 0, 0),
    pt("Inception", "raw", 0, 0.1),
    pt("Zeiler&Fergus", "raw", 0.5, 0.9),
    pt("Zeiler&Fergus", "flip", 1, 1),
  ]);
  deepEqual(series, [
    { name: "Zeiler&Fergus, raw", fpr: [0, 0.5], tpr: [0, 0.9] },
    { name: "Inception, raw", fpr: [0], tpr: [0.1] },
    { name: "Zeiler&Fergus, flip", fpr: [1], tpr: [1] },
  ]);
  deepEqual(view1RocSeries([]), []);
});
