import { deepEqual, equal, match, throws } from "../assert.ts";
import {
  expectedOutput,
  formatOutputProblems,
  type IpynbCell,
  type IpynbOutput,
  notebookOutputProblems,
  topLevelStatements,
} from "../../scripts/notebook_outputs.ts";
import { join } from "node:path";
import { REPO_ROOT } from "../../lib/config.ts";

const code = (source: string, outputs: IpynbOutput[] = [], metadata = {}): IpynbCell => ({
  cell_type: "code",
  source: source.split(/(?<=\n)/), // as nbformat stores it: one string per line
  metadata,
  outputs,
});
const md = (source: string): IpynbCell => ({ cell_type: "markdown", source });
const stdout = (text: string): IpynbOutput => ({ output_type: "stream", name: "stdout", text: [text] });
const result = (plain: string, extra: Record<string, string> = {}): IpynbOutput => ({
  output_type: "execute_result",
  data: { "text/plain": plain, ...extra },
});
const figure: IpynbOutput = {
  output_type: "display_data",
  data: { "image/png": "iVBORw0KGgo/work/tmp/AAAA", "text/plain": "loss_curve: figures/02/loss_curve.svg" },
};

Deno.test("topLevelStatements splits at ; and column-0 lines, not inside brackets, strings or templates", () => {
  deepEqual(topLevelStatements("const a = 1;\nconst b = 2\nb"), ["const a = 1;", "const b = 2", "b"]);
  // A call spread over lines, with a closing bracket in column 0, is one statement.
  deepEqual(topLevelStatements("await f(x, {\n  y: 1,\n});\nf2()"), ["await f(x, {\n  y: 1,\n});", "f2()"]);
  // Semicolons and brackets inside strings, templates (with nested `${}`) and comments do not count.
  deepEqual(
    topLevelStatements("log(`a; ${g({ b: \"}\" })}; c`); // x; y\nconsole.log('(;')\n/* ; */ last"),
    ['log(`a; ${g({ b: "}" })}; c`);', "console.log('(;')", "last"],
  );
  // A column-0 line that continues an expression (a method chain, an operator) joins it.
  deepEqual(topLevelStatements("const x = a\n.map(f)\nx"), ["const x = a\n.map(f)", "x"]);
  deepEqual(topLevelStatements("const y =\nfoo()\ny"), ["const y =\nfoo()", "y"]);
  deepEqual(topLevelStatements("if (a) {\n  b();\n} else {\n  c();\n}\nd"), [
    "if (a) {\n  b();\n} else {\n  c();\n}",
    "d",
  ]);
  deepEqual(topLevelStatements("  \n// only a comment\n"), []);
});

Deno.test("expectedOutput: a last expression shows, declarations, loops, void and assignments do not", () => {
  const v = (s: string) => expectedOutput(s).value;
  equal(v("await lossCurve(points)"), true);
  equal(v("const { figures, table } = await f();\ntable;"), true);
  equal(v("figs[0];"), true);
  equal(v("showTable(rows, {\n  caption: 'x',\n})"), true);
  equal(v("void run.model.dispose();"), false);
  equal(v("const x = 1"), false);
  equal(v("for (const r of rows) {\n  console.log(r);\n}"), false);
  equal(v("if (x) throw new Error('no')"), false);
  equal(v("x = 5"), false);
  equal(v("a.b += 1"), false);
  equal(v("a === b"), true, "a comparison is an expression");
  equal(v("import { f } from './f.ts';"), false);
  equal(v("console.log('done')"), false);
  equal(expectedOutput("console.log('a');\nconst b = 1").stream, true);
  equal(expectedOutput("if (x) console.log('a')").stream, false, "a conditional print may not run");
  equal(expectedOutput("  console.log('indented, inside nothing')").stream, true);
});

Deno.test("notebookOutputProblems: a clean notebook has none", () => {
  const nb = {
    cells: [
      md("# Title with /work/ in prose is not an output"),
      code("import { x } from '../lib/x.ts';\nconsole.log(`figures: ${displayPath(OUT)}`);", [
        stdout("figures: figures/01_data\ndata root: $FACENET_DATA\n"),
      ]),
      code("await trainingCurve(run, 'ZF', OUT)", [figure]),
      code("showTable(rows)", [
        result("| a |", { "text/html": "<table><td>https://x.org/home/a</td></table>" }),
      ]),
      code("void run.model.dispose();"),
      code("const t = 1;\n// nothing to show"),
      code(""),
    ],
  };
  deepEqual(notebookOutputProblems(nb), []);
  deepEqual(notebookOutputProblems(JSON.stringify(nb)), [], "the file's text works too");
});

Deno.test("notebookOutputProblems: lost displays, machine paths and clock times, by code cell", () => {
  const nb = {
    cells: [
      md("intro"),
      // 1: prints a data root that is a machine path, at the end of a sentence.
      code("console.log(`data root: ${dataRoot()}`)", [stdout("data root: /work/shared/data.\n")]),
      // 2: the figure was lost (only the cell's console line came back).
      code("console.log('umap');\nawait umapOfAll(run, faces, OUT)", [stdout("umap\n")]),
      // 3: a table whose HTML and Markdown name a temporary file; the stderr names one under /home.
      code("showTable(rows)", [
        {
          output_type: "stream",
          name: "stderr",
          text: "preprocessing into /tmp/q/cache/x.u8 (no cache yet)\n",
        },
        result("/home/me/a.csv", { "text/html": "<td>/home/me/a.csv</td>" }),
      ]),
      // 4: nothing at all from a print.
      code("console.log(x)"),
      // 5: a clock time in the output and execution times in the metadata.
      code("new Date().toISOString()", [result("'2026-11-28T07:39:39.914Z'")], {
        execution: { "iopub.execute_input": "2026-11-28T07:39:39.914000Z" },
      }),
      // 6: a cell that raised: its missing display is not reported again, its path is.
      code("await f()", [{ output_type: "error", ename: "Error", evalue: "no file /root/x", traceback: [] }]),
    ],
  };
  const problems = notebookOutputProblems(nb);
  deepEqual(problems.map((p) => [p.cell, p.kind]), [
    [1, "machine-path"],
    [2, "no-output"],
    [3, "machine-path"],
    [3, "machine-path"],
    [3, "machine-path"],
    [4, "no-output"],
    [5, "clock-time"],
    [5, "clock-time"],
    [6, "machine-path"],
  ]);
  match(problems[0].detail, /^stdout shows the machine path "\/work\/shared\/data"$/);
  match(problems[1].detail, /^its last expression "await umapOfAll\(run, faces, OUT\)" displayed nothing/);
  deepEqual(problems.slice(2, 5).map((p) => p.detail), [
    'stderr shows the machine path "/tmp/q/cache/x.u8"',
    'text/plain shows the machine path "/home/me/a.csv"',
    'text/html shows the machine path "/home/me/a.csv"',
  ]);
  equal(problems[5].detail, "its console output is missing");
  equal(problems[6].detail, `text/plain shows the clock time "2026-11-28T07:39:39.914Z"`);
  equal(problems[7].detail, "its metadata records execution times (iopub.execute_input)");
  equal(problems[8].detail, 'error shows the machine path "/root/x"');
  deepEqual(formatOutputProblems("02_x", problems.slice(1, 2)), [
    `02_x, code cell #2: ${problems[1].detail}`,
  ]);
  throws(() => notebookOutputProblems({ nbformat: 4 }), /not a notebook: no cells array/);
});

// The committed notebooks are what a reader sees without running anything (issue #19): every display that
// should show came back, and nothing in them names a machine's folders or a clock time.
Deno.test("the committed notebooks: every display there, no machine path or clock time", () => {
  const dir = join(REPO_ROOT, "notebooks");
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".ipynb")).sort();
  equal(names.length >= 6, true, `expected the six notebooks in ${dir}, found ${names.join(", ")}`);
  const problems = names.flatMap((n) =>
    formatOutputProblems(n, notebookOutputProblems(Deno.readTextFileSync(join(dir, n))))
  );
  deepEqual(problems, []);
});
