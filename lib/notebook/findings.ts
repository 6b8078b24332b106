/**
 * Notebook 06's closing "findings": one Markdown bullet per result of the run, read from the CSV files
 * notebooks 02–05 wrote (so the text cannot go stale). A table not written yet is named instead of a
 * number. Notebook 05's table is the default people's (figures/), never the user's photos' (build/own/).
 */
import pl from "nodejs-polars";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { displayPath, figuresRoot as defaultFiguresRoot } from "../config.ts";
import { view1Headline, type View1Results } from "../verify/view1_results.ts";
import { collapsedLoss } from "./network_report.ts";
import type { NotebookNetwork } from "./pipeline.ts";

type Cell = string | number | boolean | null | undefined;
type Row = Record<string, Cell>;

/** What the findings need besides the CSV files of notebooks 02–05. */
export interface FindingsInput {
  /** Folder holding `<notebook>/<file>.csv`; the project's figures/ folder by default. */
  figuresRoot?: string;
  /** The two networks of notebooks 02/03 by display name (their config gives a collapsed embedding's loss). */
  nets: Record<"Zeiler&Fergus" | "Inception", Pick<NotebookNetwork, "config">>;
  /** Notebook 06's pairs.txt summary: per network its accuracy and standard error in percent. */
  pairsSummary: { network: string; "accuracy %": number; "± SE": number }[];
  /** The View 1 results (`loadView1Results`), or null when `deno task view1` has not run. */
  view1: Pick<View1Results, "summary"> | null;
}

/** A notebook's table: its displayed path and rows, or null rows when the file is missing or empty. */
function readTable(root: string, notebook: string, file: string): { path: string; rows: Row[] | null } {
  const path = join(root, notebook, file);
  if (!existsSync(path)) return { path: displayPath(path), rows: null };
  let rows: Row[];
  try {
    rows = pl.readCSV(Deno.readTextFileSync(path)).toRecords() as Row[];
  } catch (e) {
    throw new Error(`${path}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
  return { path: displayPath(path), rows: rows.length ? rows : null };
}

const fixed = (v: Cell, digits: number) => Number(v).toFixed(digits);

/**
 * The findings as a Markdown bullet list, one bullet per result in the notebooks' order (02, 03, 04,
 * 05, this notebook's pairs.txt, View 1), for `showMarkdown`.
 */
export function projectFindings(input: FindingsInput): string {
  const root = input.figuresRoot ?? defaultFiguresRoot();
  const findings: string[] = [];
  const training = [["02_zeiler_fergus", "Zeiler&Fergus"], ["03_inception", "Inception"]] as const;
  for (const [notebook, name] of training) {
    const loss = readTable(root, notebook, "loss_table.csv");
    const sep = readTable(root, notebook, "distance_thresholds.csv");
    // A loss table without the slides' column predates notebook 02/03's comparison: not this run's report.
    if (loss.rows === null || sep.rows === null || loss.rows[0].slides_loss === undefined) {
      findings.push(
        `**${name}, training:** not reported yet (run notebook ${
          notebook.slice(0, 2)
        }: ${loss.path}, ${sep.path}).`,
      );
      continue;
    }
    const last = loss.rows[loss.rows.length - 1], early = sep.rows[0], late = sep.rows[sep.rows.length - 1];
    findings.push(
      `**${name}, training.** Loss ${
        fixed(last.loss, 4)
      } at epoch ${last.epoch} of this run; the slides had ` +
        `${
          fixed(last.slides_loss, 3)
        } at their epoch ${last.slide_epoch} (an embedding that maps every face to one ` +
        `point scores ${
          Number(collapsedLoss(input.nets[name].config).toFixed(4))
        }). On the saved training pairs ` +
        `the best ++/+− threshold reached a balanced accuracy of ${
          fixed(early["balanced accuracy"], 3)
        } at epoch ` +
        `${early["epoch here"]} and ${fixed(late["balanced accuracy"], 3)} at epoch ${late["epoch here"]} ` +
        `(${loss.path}, ${sep.path}).`,
    );
  }
  // cv_summary.csv keeps notebook 04's display columns (issue #15 states its targets in them).
  const cv = readTable(root, "04_classifiers", "cv_summary.csv");
  findings.push(
    cv.rows === null
      ? `**Classifiers:** not reported yet (run notebook 04: ${cv.path}).`
      : `**Classifiers, 10-fold on the training people.** ` + cv.rows.map((r) =>
        `${r.network}, ${r.classifier}${r.embeddings ? `, ${r.embeddings} embeddings` : ""}: ${
          r["accuracy (here)"]
        }` +
        (r["accuracy (slides)"] ? ` (slides: ${r["accuracy (slides)"]})` : "")
      ).join("; ") + ` (${cv.path}).`,
  );
  const separation = readTable(root, "05_own_faces", "separation.csv");
  findings.push(
    separation.rows === null
      ? `**Unseen people (notebook 05):** not reported yet (${separation.path}).`
      : `**Unseen people (notebook 05's default set), same vs. different person.** Best balanced accuracy ` +
        separation.rows.map((r) => `${r.network} ${fixed(r["balanced accuracy"], 3)}`).join(", ") +
        ` (${separation.path}).`,
  );
  findings.push(
    `**LFW \`pairs.txt\`, people seen in training.** ` +
      input.pairsSummary.map((r) => `${r.network}: ${r["accuracy %"]}% ± ${r["± SE"]}`).join("; ") +
      ` (this notebook; comparable with no published result).`,
  );
  findings.push(
    input.view1 === null
      ? `**LFW View 1, people never seen:** not computed yet (\`deno task view1\`).`
      : `**LFW View 1, people never seen** (the number comparable with published results): ` +
        view1Headline(input.view1.summary).map((r) => `${r.network}: ${r["accuracy %"]}% ± ${r.SE}`).join(
          "; ",
        ) +
        `.`,
  );
  return findings.map((s) => `- ${s}`).join("\n");
}
