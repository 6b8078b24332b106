/**
 * What an executed notebook must not carry (scripts/reproduce.ts checks each one it runs): a code cell
 * whose display produced nothing (a figure or table lost on the way, or a last expression that evaluates
 * to undefined), one machine's folders in an output (`/work/…`, `/tmp/…`, `/home/…`: library output prints
 * paths through config.ts's displayPath instead), and clock times (in an output, or the execution times
 * nbclient records in a cell's metadata), which would make every run differ.
 *
 * How a Deno notebook cell displays: the value of its last expression statement (an `execute_result`,
 * e.g. a Figure or showTable), `Deno.jupyter.display(…)` (a `display_data`), and `console.*` (a stream).
 */

/** The parts of an .ipynb (nbformat 4) that are checked. */
export interface IpynbOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface IpynbCell {
  cell_type: string;
  source: string | string[];
  metadata?: Record<string, unknown>;
  outputs?: IpynbOutput[];
}

export interface OutputProblem {
  /** 1-based among the notebook's code cells, as scripts/reproduce.ts names cells ("code cell #3"). */
  cell: number;
  kind: "no-output" | "machine-path" | "clock-time";
  /** What is wrong, quoting the offending text. */
  detail: string;
}

/** What a cell's code leads one to expect in its outputs. */
export interface ExpectedOutput {
  /** The last top-level statement, as written (comments removed), or "" for none. */
  last: string;
  /** The last statement is an expression whose value the kernel shows (execute_result or display_data). */
  value: boolean;
  /** A top-level `console.*` statement, which always prints (a stream output). */
  stream: boolean;
}

const text = (v: unknown) => (Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "");

/**
 * The top-level statements of a cell's TypeScript, comments removed: split at `;` and at line starts in
 * column 0, outside brackets, strings and template literals. A heuristic for notebook cells (it does
 * not parse regular-expression literals with unbalanced brackets), not a parser.
 */
export function topLevelStatements(source: string): string[] {
  const out: string[] = [];
  let cur = "";
  let depth = 0;
  const templates: number[] = []; // depth at which each open template literal's `${` began
  let i = 0;
  const n = source.length;
  const flush = () => {
    if (cur.trim() !== "") out.push(cur.trim());
    cur = "";
  };
  const continuation = /^[.?:+\-*/%&|^,)\]}=<>]/;
  while (i < n) {
    const c = source[i];
    // Comments: dropped (a line comment keeps its newline).
    if (c === "/" && source[i + 1] === "/") {
      while (i < n && source[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
      cur += " ";
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && source[j] !== c && source[j] !== "\n") j += source[j] === "\\" ? 2 : 1;
      cur += source.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === "`" || (c === "}" && templates.length && templates.at(-1) === depth)) {
      // A template literal's text, from its start (or the end of a `${…}`) to its end or the next `${`.
      if (c === "}") templates.pop();
      let j = i + 1;
      while (j < n && source[j] !== "`" && !(source[j] === "$" && source[j + 1] === "{")) {
        j += source[j] === "\\" ? 2 : 1;
      }
      if (j < n && source[j] === "$") {
        templates.push(depth);
        cur += source.slice(i, j + 2);
        i = j + 2;
      } else {
        cur += source.slice(i, j + 1);
        i = j + 1;
      }
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth = Math.max(0, depth - 1);
    if (depth === 0 && c === ";") {
      cur += c;
      flush();
      i++;
      continue;
    }
    if (depth === 0 && c === "\n") {
      // A line starting in column 0 starts a statement, unless it continues the previous one.
      const rest = source.slice(i + 1);
      const next = rest.match(/^[^\n]*/)![0].replace(/^\/\*.*?\*\/\s*/, ""); // after a leading /* … */
      const prev = cur.trimEnd();
      const open = /(=>|[=+\-*/%&|^,(\[{?:.<>!])$/.test(prev) && !/(\+\+|--)$/.test(prev);
      if (next !== "" && !/^\s/.test(next) && !continuation.test(next) && !next.startsWith("//") && !open) {
        flush();
      } else cur += c;
      i++;
      continue;
    }
    cur += c;
    i++;
  }
  flush();
  return out;
}

const DECLARATION =
  /^(const|let|var|function|async\s+function|class|abstract\s+class|interface|type\s+\w|enum|import|export|if|for|while|do|switch|try|return|throw|declare|namespace|break|continue)\b/;
const ASSIGNMENT = /^[\w$.[\]"'`]+\s*(\*\*|<<|>>>?|&&|\|\||\?\?|[-+*/%&|^])?=(?![=>])/;

/** What the outputs of a cell with this source must hold. */
export function expectedOutput(source: string): ExpectedOutput {
  const statements = topLevelStatements(source).map((s) => s.replace(/;$/, "").trim()).filter((s) =>
    s !== ""
  );
  const last = statements.at(-1) ?? "";
  const stream = statements.some((s) => /^console\.(log|info|warn|error|debug|table|dir)\s*\(/.test(s));
  const value = last !== "" && !DECLARATION.test(last) && !/^void\b/.test(last) && !last.startsWith("{") &&
    !/^console\./.test(last) && !ASSIGNMENT.test(last);
  return { last, value, stream };
}

/** One machine's folders: an absolute path under a home, work or temporary folder. */
const MACHINE_PATH = /(?<![\w.~$/:-])\/(?:work|tmp|home|root|Users|var\/folders)\/[^\s"'`<>|)\],;]*/g;
/** A clock time: an ISO date (with or without time) or a JavaScript Date string. */
const CLOCK = [
  /\b(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z?)?\b/g,
  /\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d\d \d{4}\b/g,
];

/** The text of an output that a reader sees (stream text, text-like mime types, an error's message). */
function outputTexts(o: IpynbOutput): { where: string; text: string }[] {
  if (o.output_type === "stream") return [{ where: o.name ?? "stream", text: text(o.text) }];
  if (o.output_type === "error") {
    return [{ where: "error", text: [o.ename, o.evalue, ...(o.traceback ?? [])].join("\n") }];
  }
  return Object.entries(o.data ?? {})
    .filter(([mime]) => mime.startsWith("text/") || mime.endsWith("json") || mime === "image/svg+xml")
    .map(([mime, v]) => ({
      where: mime,
      text: typeof v === "object" && !Array.isArray(v) ? JSON.stringify(v) : text(v),
    }));
}

const quote = (s: string) => JSON.stringify(s.length > 80 ? s.slice(0, 77) + "…" : s);

/**
 * Problems of an executed notebook (its parsed JSON or its text): code cells whose display produced no
 * output, outputs naming a machine's folders, and clock times in outputs or in cells' metadata. Cells
 * that raised (an `error` output) are reported only for paths and times: the run failed anyway.
 */
export function notebookOutputProblems(ipynb: unknown): OutputProblem[] {
  const nb = (typeof ipynb === "string" ? JSON.parse(ipynb) : ipynb) as { cells?: IpynbCell[] };
  if (!nb || !Array.isArray(nb.cells)) throw new TypeError("not a notebook: no cells array");
  const problems: OutputProblem[] = [];
  nb.cells.filter((c) => c.cell_type === "code").forEach((c, k) => {
    const cell = k + 1;
    const outputs = c.outputs ?? [];
    const source = text(c.source);
    const failed = outputs.some((o) => o.output_type === "error");
    if (!failed && source.trim() !== "") {
      const want = expectedOutput(source);
      const shown = outputs.some((o) =>
        o.output_type === "execute_result" || o.output_type === "display_data"
      );
      const printed = outputs.some((o) => o.output_type === "stream");
      if (want.value && !shown) {
        problems.push({
          cell,
          kind: "no-output",
          detail: `its last expression ${quote(want.last)} displayed nothing` +
            " (a lost figure or table, or a value that is undefined: write `void …` if nothing is meant to show)",
        });
      } else if (want.stream && !printed && outputs.length === 0) {
        problems.push({ cell, kind: "no-output", detail: "its console output is missing" });
      }
    }
    for (const o of outputs) {
      for (const { where, text: t } of outputTexts(o)) {
        // A path at the end of a sentence or before a colon: without that punctuation.
        for (const m of new Set((t.match(MACHINE_PATH) ?? []).map((m) => m.replace(/[.:]+$/, "")))) {
          problems.push({
            cell,
            kind: "machine-path",
            detail: `${where} shows the machine path ${quote(m)}`,
          });
        }
        for (const re of CLOCK) {
          for (const m of new Set(t.match(re) ?? [])) {
            problems.push({ cell, kind: "clock-time", detail: `${where} shows the clock time ${quote(m)}` });
          }
        }
      }
    }
    const timing = c.metadata?.execution;
    if (timing && typeof timing === "object" && Object.keys(timing).length > 0) {
      problems.push({
        cell,
        kind: "clock-time",
        detail: `its metadata records execution times (${Object.keys(timing).join(", ")})`,
      });
    }
  });
  return problems;
}

/** One line per problem, e.g. `02_zeiler_fergus, code cell #7: its last expression "figs[0]" displayed nothing`. */
export function formatOutputProblems(notebook: string, problems: OutputProblem[]): string[] {
  return problems.map((p) => `${notebook}, code cell #${p.cell}: ${p.detail}`);
}
