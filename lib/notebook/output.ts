/**
 * Small helpers notebooks use to show and save results: a figure folder per notebook and tables that
 * the Deno Jupyter kernel renders as HTML (and that print as Markdown anywhere else).
 */
import pl from "nodejs-polars";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { figuresRoot } from "../config.ts";
import { writeCsv } from "../files.ts";

/** Something the Deno Jupyter kernel can display: it calls this symbol and shows the mime bundle. */
export interface Displayable {
  [key: symbol]: () => Record<string, string>;
}

/** `figures/<notebook>/`, created if needed. */
export function figureDir(notebook: string): string {
  const dir = join(figuresRoot(), notebook);
  mkdirSync(dir, { recursive: true });
  return dir;
}

type Row = Record<string, string | number | boolean | null | undefined>;

function fmt(v: unknown, digits: number, verbatim = false): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (verbatim) return String(v);
    if (Number.isInteger(v)) return v.toLocaleString("en-US");
    return Number.isFinite(v) ? v.toFixed(digits) : String(v);
  }
  return String(v);
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A table as Markdown text (numbers: thousands separators for integers, `digits` decimals otherwise;
 * the columns in `verbatim`, such as a year, print their numbers as they are). */
export function markdownTable(rows: Row[], digits = 3, verbatim: readonly string[] = []): string {
  if (rows.length === 0) return "(empty table)";
  const cols = Object.keys(rows[0]);
  const cells = rows.map((r) =>
    cols.map((c) => fmt(r[c], digits, verbatim.includes(c)).replace(/\|/g, "\\|"))
  );
  const head = `| ${cols.join(" | ")} |`;
  const rule = `| ${
    cols.map((_, j) => (typeof rows[0][cols[j]] === "number" ? "---:" : "---")).join(" | ")
  } |`;
  return [head, rule, ...cells.map((c) => `| ${c.join(" | ")} |`)].join("\n");
}

/** A table the kernel shows as HTML; `String(table)` or `console.log` gives Markdown. */
export function showTable(
  data: Row[] | pl.DataFrame,
  opts: { digits?: number; caption?: string; verbatim?: readonly string[] } = {},
): Displayable {
  const rows: Row[] = Array.isArray(data) ? data : (data.toRecords() as Row[]);
  const digits = opts.digits ?? 3;
  const verbatim = opts.verbatim ?? [];
  const md = (opts.caption ? `**${opts.caption}**\n\n` : "") + markdownTable(rows, digits, verbatim);
  const cols = rows.length ? Object.keys(rows[0]) : [];
  const html = `<table>${opts.caption ? `<caption>${esc(opts.caption)}</caption>` : ""}<thead><tr>${
    cols.map((c) => `<th>${esc(c)}</th>`).join("")
  }</tr></thead><tbody>${
    rows.map((r) =>
      `<tr>${
        cols.map((c) =>
          `<td style="text-align:${typeof r[c] === "number" ? "right" : "left"}">${
            esc(fmt(r[c], digits, verbatim.includes(c)))
          }</td>`
        )
          .join("")
      }</tr>`
    ).join("")
  }</tbody></table>`;
  return {
    [Symbol.for("Jupyter.display")]: () => ({ "text/html": html, "text/markdown": md, "text/plain": md }),
    toString: () => md,
  } as unknown as Displayable;
}

/**
 * Markdown text the kernel renders as Markdown (a bare string as a cell's last expression shows as a
 * quoted string): for sentences computed from the data, e.g. describeShift's or
 * withinSmallerThanBetween's.
 */
export function showMarkdown(text: string): Displayable {
  return {
    [Symbol.for("Jupyter.display")]: () => ({ "text/markdown": text, "text/plain": text }),
    toString: () => text,
  } as unknown as Displayable;
}

/** Rows → DataFrame, keeping all-integer columns as integers (polars would infer floats from JS numbers). */
export function rowsToFrame(rows: Row[]): pl.DataFrame {
  if (rows.length === 0) return pl.DataFrame({});
  const cols = Object.keys(rows[0]);
  return pl.DataFrame(cols.map((c) => {
    const vals = rows.map((r) => r[c]);
    // Whole numbers stay integers even beside empty cells (a year column with gaps: 2015, not 2015.0).
    const ints = vals.some((v) => v !== null && v !== undefined) &&
      vals.every((v) => v === null || v === undefined || (typeof v === "number" && Number.isInteger(v)));
    return ints ? pl.Series(c, vals.map((v) => v ?? null) as number[], pl.Int64) : pl.Series(c, vals);
  }));
}

/** Write rows as CSV (through polars) to `dir/name.csv` and return the path. */
export function saveCsv(data: Row[] | pl.DataFrame, dir: string, name: string): string {
  const df = Array.isArray(data) ? rowsToFrame(data) : data;
  return writeCsv(df, join(dir, `${name}.csv`));
}
