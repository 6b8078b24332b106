import { deepEqual, equal } from "../assert.ts";
import {
  checkExpectedFigures,
  type CommandResult,
  executeNotebook,
  findCellBySource,
  hasNbconvert,
  listNotebooks,
  parseCellError,
} from "../../scripts/notebook_runner.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";

// The exact shape nbclient prints when a cell raises (captured from a real failing Deno-kernel run).
const STDERR = `[NbConvertApp] Converting notebook x.ipynb to notebook
nbclient.exceptions.CellExecutionError: An error occurred while executing the following cell:
------------------
// fails
throw new Error("boom in cell");
------------------

Error: boom in cell
    at <anonymous>:2:7
`;

Deno.test("parseCellError extracts the failing cell's source and error", () => {
  const e = parseCellError(STDERR);
  deepEqual(e?.source, '// fails\nthrow new Error("boom in cell");');
  equal(e?.error.split("\n")[0], "Error: boom in cell");
  equal(parseCellError("Traceback: kernel died"), undefined);
});

Deno.test("listNotebooks orders NN_ notebooks and findCellBySource counts code cells only", () => {
  const dir = Deno.makeTempDirSync();
  const nb = {
    cells: [
      { cell_type: "markdown", source: "# t" },
      { cell_type: "code", source: ["const a = 1;\n", "a"] },
      { cell_type: "code", source: '// fails\nthrow new Error("boom in cell");' },
    ],
  };
  for (const f of ["02_b.ipynb", "01_a.ipynb", "notes.ipynb", "10_c.ipynb"]) {
    Deno.writeTextFileSync(join(dir, f), JSON.stringify(nb));
  }
  deepEqual(listNotebooks(dir).map((p) => p.slice(dir.length + 1)), [
    "01_a.ipynb",
    "02_b.ipynb",
    "10_c.ipynb",
  ]);
  equal(findCellBySource(join(dir, "01_a.ipynb"), parseCellError(STDERR)!.source), 1);
  equal(findCellBySource(join(dir, "01_a.ipynb"), "nope"), undefined);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("checkExpectedFigures lists exactly the missing files", () => {
  const dir = Deno.makeTempDirSync();
  Deno.mkdirSync(join(dir, "figs", "01_a"), { recursive: true });
  Deno.writeTextFileSync(join(dir, "figs", "01_a", "hist.svg"), "<svg/>");
  Deno.writeTextFileSync(join(dir, "m.json"), JSON.stringify({ "01_a": ["hist.svg", "hist.png"] }));
  deepEqual(checkExpectedFigures(join(dir, "m.json"), "01_a", join(dir, "figs")), ["01_a/hist.png"]);
  deepEqual(checkExpectedFigures(join(dir, "m.json"), "02_b", join(dir, "figs")), []);
  Deno.removeSync(dir, { recursive: true });
});

interface Cell {
  cell_type: string;
  source: string;
  outputs?: { output_type: string; data?: Record<string, string | string[]>; text?: string | string[] }[];
}

/**
 * Execute `cells` as a notebook with executeNotebook in a temporary folder, through a throw-away
 * Jupyter data dir whose only kernel is this Deno binary (no change to the user's): nbconvert's
 * result, and the executed cells when it wrote the notebook.
 */
async function executeCells(cells: Cell[]): Promise<CommandResult & { cells?: Cell[] }> {
  const dir = Deno.makeTempDirSync();
  try {
    const spec = join(dir, "jupyter", "kernels", "deno");
    Deno.mkdirSync(spec, { recursive: true });
    const argv = [Deno.execPath(), "jupyter", "--kernel", "--conn", "{connection_file}"];
    Deno.writeTextFileSync(
      join(spec, "kernel.json"),
      JSON.stringify({ argv, display_name: "Deno", language: "typescript" }),
    );
    const nb = {
      cells: cells.map((c, i) => ({
        ...c,
        id: `cell-${i}`,
        metadata: {},
        ...(c.cell_type === "code" ? { execution_count: null, outputs: [] } : {}),
      })),
      metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    Deno.writeTextFileSync(join(dir, "nb.ipynb"), JSON.stringify(nb));
    const r = await executeNotebook(join(dir, "nb.ipynb"), {
      outDir: join(dir, "out"),
      env: { JUPYTER_PATH: join(dir, "jupyter") },
    });
    const out = join(dir, "out", "nb.ipynb");
    return existsSync(out) ? { ...r, cells: JSON.parse(Deno.readTextFileSync(out)).cells } : r;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const jupyter = await hasNbconvert();

Deno.test({
  name: "executeNotebook keeps every cell's big result (the Deno kernel sends some after the cell's end)",
  ignore: !jupyter,
  fn: async () => {
    // Plain nbconvert --execute lost 4 of 12 such 3 MB results in one run.
    const n = 12;
    const cells: Cell[] = Array.from({ length: n }, (_, i) => ({
      cell_type: "code",
      source:
        `({ [Symbol.for("Jupyter.display")]: () => ({ "text/plain": "cell ${i} " + "x".repeat(3_000_000) }) })`,
    }));
    cells.push({ cell_type: "code", source: 'console.log("last");' });
    const r = await executeCells(cells);
    equal(r.code, 0, r.stderr);
    const text = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join("") : v ?? "");
    // each result's text without its run of x's
    const heads = (r.cells ?? []).map((c) =>
      (c.outputs ?? []).map((o) => text(o.data?.["text/plain"] ?? o.text).replace(/x+$/, ""))
    );
    deepEqual(heads, [...Array.from({ length: n }, (_, i) => [`cell ${i} `]), ["last\n"]]);
  },
});

Deno.test({
  name: "executeNotebook fails on a failing cell, with nbconvert's report that parseCellError reads",
  ignore: !jupyter,
  fn: async () => {
    const bad = 'throw new Error("boom in cell");';
    const r = await executeCells([{ cell_type: "code", source: "1 + 1" }, {
      cell_type: "code",
      source: bad,
    }]);
    equal(r.code === 0, false);
    const e = parseCellError(r.stderr);
    equal(e?.source, bad);
    equal(e?.error.includes("boom in cell"), true, e?.error);
  },
});
