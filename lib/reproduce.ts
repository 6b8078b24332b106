/** Helpers of the notebook runner (scripts/reproduce.ts), kept here so they are tested. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { figuresRoot } from "./config.ts";

/** Notebooks named `NN_name.ipynb`, in order. */
export function listNotebooks(dir: string): string[] {
  return readdirSync(dir).filter((f) => /^\d\d_.+\.ipynb$/.test(f)).sort().map((f) => join(dir, f));
}

/** The failing cell's source and error text from nbconvert/nbclient's stderr, if it reported one. */
export function parseCellError(stderr: string): { source: string; error: string } | undefined {
  const m = stderr.match(
    /An error occurred while executing the following cell:\n-+\n([\s\S]*?)\n-+\n([\s\S]*)$/,
  );
  return m ? { source: m[1], error: m[2].trim() } : undefined;
}

/** Index among the notebook's code cells of the one whose source is `source`. */
export function findCellBySource(notebookPath: string, source: string): number | undefined {
  const nb = JSON.parse(readFileSync(notebookPath, "utf8")) as {
    cells: { cell_type: string; source: string | string[] }[];
  };
  const code = nb.cells.filter((c) => c.cell_type === "code");
  const i = code.findIndex((c) =>
    (Array.isArray(c.source) ? c.source.join("") : c.source).trim() === source.trim()
  );
  return i < 0 ? undefined : i;
}

/** Files a notebook must have written, from `expected_figures.json` ({ "01_x": ["a.svg", …] }), that are missing. */
export function checkExpectedFigures(manifestPath: string, notebook: string, root = figuresRoot()): string[] {
  if (!existsSync(manifestPath)) return [];
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, string[]>;
  return (manifest[notebook] ?? []).filter((f) => !existsSync(join(root, notebook, f))).map((f) =>
    `${notebook}/${f}`
  );
}
