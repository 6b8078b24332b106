/**
 * The View 1 tables on disk (issue #16): `deno task view1` writes them into notebook 06's figure folder,
 * one network at a time, and the notebook reads them back.
 * - view1_summary.csv: one row per scored variant (columns of `View1SummaryRow`);
 * - view1_variants.csv: the held-out selection table (`View1VariantRow`);
 * - view1_roc.csv: the test ROC points (`View1RocRow`).
 * Every row starts with the network's name (`Zeiler&Fergus`, `Inception`), followed in the summary by
 * ", <variant>"; saving one network's rows keeps the other network's.
 */
import pl from "nodejs-polars";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeCsv } from "../files.ts";
import type { View1Evaluation, View1RocRow, View1SummaryRow, View1VariantRow } from "./view1_eval.ts";

/** File names, in the order save writes them. */
export const VIEW1_FILES = {
  summary: "view1_summary.csv",
  variants: "view1_variants.csv",
  roc: "view1_roc.csv",
} as const;

type Row = Record<string, string | number | null>;

/** The network a row belongs to: its `network` cell up to the first comma. */
function networkOf(r: Row): string {
  return String(r.network).split(",")[0].trim();
}

function readRows(path: string): Row[] {
  try {
    return pl.readCSV(path).toRecords() as Row[];
  } catch (e) {
    throw new Error(`${path}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Write `rows` to `path`, keeping the rows of other networks already there. */
function mergeCsv(path: string, network: string, rows: Row[]): void {
  if (rows.length === 0) throw new RangeError(`${path}: no rows for ${network}`);
  const kept = existsSync(path) ? readRows(path).filter((r) => networkOf(r) !== network) : [];
  const all = [...kept, ...rows];
  const cols = Object.keys(rows[0]);
  writeCsv(
    pl.DataFrame(cols.map((c) => {
      const vals = all.map((r) => r[c] ?? null);
      // Counts stay integers in the file (polars would write 1125 as 1125.0).
      const ints = vals.every((v) => typeof v === "number" && Number.isInteger(v));
      return ints ? pl.Series(c, vals as number[], pl.Int64) : pl.Series(c, vals);
    })),
    path,
  );
}

/** Save one network's View 1 tables in `dir`, replacing that network's earlier rows. */
export function saveView1Results(
  dir: string,
  network: string,
  r: Pick<View1Evaluation, "summary" | "variants" | "roc">,
): string[] {
  const paths = [join(dir, VIEW1_FILES.summary), join(dir, VIEW1_FILES.variants), join(dir, VIEW1_FILES.roc)];
  mergeCsv(paths[0], network, r.summary);
  mergeCsv(paths[1], network, r.variants);
  mergeCsv(paths[2], network, r.roc);
  return paths;
}

export interface View1Results {
  summary: View1SummaryRow[];
  variants: View1VariantRow[];
  roc: View1RocRow[];
}

/** The View 1 tables in `dir`, or null when `deno task view1` has not written them yet. */
export function loadView1Results(dir: string): View1Results | null {
  const path = (f: string) => join(dir, f);
  if (!existsSync(path(VIEW1_FILES.summary))) return null;
  for (const f of [VIEW1_FILES.variants, VIEW1_FILES.roc]) {
    if (!existsSync(path(f))) {
      throw new Error(`${path(f)} is missing beside ${VIEW1_FILES.summary}; rerun deno task view1`);
    }
  }
  const clean = (rows: Row[]) =>
    rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v ?? ""])));
  return {
    summary: clean(readRows(path(VIEW1_FILES.summary))) as View1SummaryRow[],
    variants: clean(readRows(path(VIEW1_FILES.variants))) as View1VariantRow[],
    roc: clean(readRows(path(VIEW1_FILES.roc))) as View1RocRow[],
  };
}

/** The summary rows of the variants chosen on the held-out people (one per network): the headline. */
export function view1Headline(summary: View1SummaryRow[]): View1SummaryRow[] {
  return summary.filter((r) => String(r.network).endsWith("(chosen)"));
}

/** The ROC points of view1_roc.csv as one curve per network and variant (lib/plots rocCurve's input). */
export function view1RocSeries(roc: View1RocRow[]): { name: string; fpr: number[]; tpr: number[] }[] {
  const byName = new Map<string, { name: string; fpr: number[]; tpr: number[] }>();
  for (const r of roc) {
    const name = `${r.network}, ${r.variant}`;
    const curve = byName.get(name) ?? byName.set(name, { name, fpr: [], tpr: [] }).get(name)!;
    curve.fpr.push(r.fpr);
    curve.tpr.push(r.tpr);
  }
  return [...byName.values()];
}
