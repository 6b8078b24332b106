import { deepEqual, equal } from "./assert.ts";
import { checkExpectedFigures, findCellBySource, listNotebooks, parseCellError } from "../lib/reproduce.ts";
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
