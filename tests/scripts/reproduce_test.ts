import { deepEqual, equal, ok } from "../assert.ts";
import {
  checkExpectedFigures,
  type CommandResult,
  executeNotebook,
  findCellBySource,
  hasNbconvert,
  listNotebooks,
  parseCellError,
} from "../../scripts/notebook_runner.ts";
import { notebookOutputProblems } from "../../scripts/notebook_outputs.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runScript } from "./run_script.ts";

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
  metadata?: Record<string, unknown>;
  outputs?: { output_type: string; data?: Record<string, string | string[]>; text?: string | string[] }[];
}

/**
 * Write `cells` as `dir`/nb.ipynb, with a throw-away Jupyter data dir `dir`/jupyter whose only kernel is
 * this Deno binary (no change to the user's): the notebook's path and the environment that selects it.
 */
function writeNotebook(dir: string, cells: Cell[]): { path: string; env: Record<string, string> } {
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
      metadata: c.metadata ?? {},
      ...(c.cell_type === "code" ? { execution_count: null, outputs: [] } : {}),
    })),
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  Deno.writeTextFileSync(join(dir, "nb.ipynb"), JSON.stringify(nb));
  return { path: join(dir, "nb.ipynb"), env: { JUPYTER_PATH: join(dir, "jupyter") } };
}

/**
 * Execute `cells` as a notebook with executeNotebook in a temporary folder (see writeNotebook):
 * nbconvert's result, and the executed cells when it wrote the notebook.
 */
async function executeCells(
  cells: Cell[],
): Promise<CommandResult & { cells?: Cell[]; failedCells?: Cell[] }> {
  const dir = Deno.makeTempDirSync();
  try {
    const nb = writeNotebook(dir, cells);
    const r = await executeNotebook(nb.path, {
      outDir: join(dir, "out"),
      env: nb.env,
      failedCopy: join(dir, "failed", "nb.ipynb"),
    });
    const read = (f: string) =>
      existsSync(f) ? JSON.parse(Deno.readTextFileSync(f)).cells as Cell[] : undefined;
    return {
      ...r,
      cells: read(join(dir, "out", "nb.ipynb")),
      failedCells: read(join(dir, "failed", "nb.ipynb")),
    };
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
    equal(r.failedCells, undefined);
    // the hidden prelude takes no execution count: cells count from 1
    deepEqual(r.cells?.map((c) => (c as { execution_count?: number }).execution_count), [
      ...Array.from({ length: n + 1 }, (_, i) => i + 1),
    ]);
    const text = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join("") : v ?? "");
    // each result's text without its run of x's
    const heads = (r.cells ?? []).map((c) =>
      (c.outputs ?? []).map((o) => text(o.data?.["text/plain"] ?? o.text).replace(/x+$/, ""))
    );
    deepEqual(heads, [...Array.from({ length: n }, (_, i) => [`cell ${i} `]), ["last\n"]]);
  },
});

Deno.test({
  name: "executeNotebook files a result sent during the next cell under the cell its execution count names",
  ignore: !jupyter,
  fn: async () => {
    // The Deno kernel publishes a cell's result from an op that can run after the next cell's request
    // arrived, so the message carries the next cell's parent header but its own cell's count (seen once
    // in CI: the last cell got count 12). A timer replays that: cell 1's result is sent while cell 2 runs.
    const r = await executeCells([
      {
        cell_type: "code",
        source: `void setTimeout(() => Deno.jupyter.broadcast("execute_result", {
  execution_count: 1, data: { "text/plain": "result of cell 1" }, metadata: {} }), 300);`,
      },
      { cell_type: "code", source: 'await new Promise((r) => setTimeout(r, 1500));\nconsole.log("cell 2");' },
    ]);
    equal(r.code, 0, r.stderr);
    deepEqual(r.cells?.map((c) => (c as { execution_count?: number }).execution_count), [1, 2]);
    const text = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join("") : v ?? "");
    deepEqual(r.cells?.map((c) => (c.outputs ?? []).map((o) => text(o.data?.["text/plain"] ?? o.text))), [
      ["result of cell 1"],
      ["cell 2\n"],
    ]);
  },
});

Deno.test({
  name: "executeNotebook records no clock times, and removes those an earlier run left in a cell's metadata",
  ignore: !jupyter,
  fn: async () => {
    const earlier = { execution: { "iopub.execute_input": "2026-11-28T07:39:39.914000Z" }, tags: ["keep"] };
    const r = await executeCells([
      { cell_type: "code", source: 'console.log("a")', metadata: earlier },
      { cell_type: "code", source: '({ [Symbol.for("Jupyter.display")]: () => ({ "text/plain": "b" }) })' },
    ]);
    equal(r.code, 0, r.stderr);
    deepEqual(r.cells?.map((c) => c.metadata), [{ tags: ["keep"] }, {}]);
    deepEqual(notebookOutputProblems({ cells: r.cells }), [], "a clean executed notebook");
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
    equal(e?.error.includes("boom in cell"), true, e?.error ?? "no cell error parsed");
  },
});

/**
 * Run `sources` as code cells, expecting the run to fail in cell `failing` (an index into `sources`, or the
 * indices it may be) with an error containing `message`: nbconvert's report names that cell
 * (parseCellError + findCellBySource, as scripts/reproduce.ts does), and the notebook as executed so far
 * is written.
 */
async function expectCellFailure(
  sources: string[],
  failingAt: number | number[],
  message: string,
): Promise<void> {
  const r = await executeCells(sources.map((source) => ({ cell_type: "code", source })));
  equal(r.code === 0, false, `the run succeeded:\n${r.stderr}`);
  equal(r.cells, undefined);
  const e = parseCellError(r.stderr);
  const candidates = [failingAt].flat();
  const failing = candidates.find((i) => sources[i] === e?.source);
  ok(failing !== undefined, `expected cell ${candidates.join(" or ")} to be named:\n${r.stderr}`);
  equal(e?.error.includes(message), true, e?.error ?? "no cell error parsed");
  const dir = Deno.makeTempDirSync();
  const nb = join(dir, "nb.ipynb");
  Deno.writeTextFileSync(
    nb,
    JSON.stringify({ cells: sources.map((source) => ({ cell_type: "code", source })) }),
  );
  equal(findCellBySource(nb, e!.source), failing);
  Deno.removeSync(dir, { recursive: true });
  // the partial copy holds the cells run before the failure, with their outputs
  equal(r.failedCells?.length, sources.length);
  equal(r.failedCells?.[0].outputs?.length !== 0, true, JSON.stringify(r.failedCells?.[0]));
}

Deno.test({
  name: "executeNotebook fails, naming the cell, on a throw in a timer (the kernel itself reports nothing)",
  ignore: !jupyter,
  fn: async () => {
    // The timer fires after its cell's reply: while the next cell waits (the error is noticed there), or,
    // when a loaded machine delays the next request past the timer, still under its own cell.
    await expectCellFailure(
      [
        'console.log("first")',
        'setTimeout(() => { throw new Error("boom in timer"); }, 10); "scheduled"',
        "await new Promise((r) => setTimeout(r, 500)); 2",
        "3",
      ],
      [1, 2],
      "boom in timer",
    );
    // As the last cell, it surfaces after the notebook's end, under that cell.
    await expectCellFailure(
      [
        'console.log("first")',
        'setTimeout(() => { throw new Error("late boom"); }, 10); "scheduled"',
      ],
      1,
      "late boom",
    );
  },
});

Deno.test({
  name: "executeNotebook fails, naming the cell, on an unawaited rejected promise",
  ignore: !jupyter,
  fn: async () => {
    await expectCellFailure(
      [
        'console.log("first")',
        'Promise.reject(new Error("rejected, never awaited")); "done"',
        "3",
      ],
      1,
      "rejected, never awaited",
    );
  },
});

Deno.test({
  name: "executeNotebook fails, naming the cell, on Deno.exit(0) and on a kernel killed mid-cell",
  ignore: !jupyter,
  fn: async () => {
    await expectCellFailure(['console.log("first")', "Deno.exit(0)", "3"], 1, "Deno.exit(0) in a notebook");
    await expectCellFailure(
      ['console.log("first")', 'Deno.kill(Deno.pid, "SIGKILL")', "3"],
      1,
      "kernel died",
    );
  },
});

Deno.test({
  name: "reproduce fetches missing data before any notebook; a failed fetch stops it, naming the URL",
  ignore: !jupyter,
  fn: async () => {
    const dir = Deno.makeTempDirSync();
    try {
      // An empty data root and a server that cannot be reached (port 1 is refused): the first source is
      // requested, the error names it, and no notebook starts.
      const r = await runScript("scripts/reproduce.ts", ["--only", "01", "--out", join(dir, "nb")], {
        FACENET_DATA: join(dir, "data"),
        FACENET_CACHE: join(dir, "cache"),
        FACENET_LFW_URL: "http://127.0.0.1:1/",
        FACENET_PROFILE: "smoke",
      });
      equal(r.code, 1, r.stderr);
      ok(r.stderr.includes("downloading LFW deep-funneled images from http://127.0.0.1:1/"), r.stderr);
      ok(
        /✗ data: http:\/\/127\.0\.0\.1:1\/lfw-deepfunneled\.tgz: could not download/.test(r.stderr),
        r.stderr,
      );
      equal(r.stdout.includes("▶"), false, `no notebook should start: ${r.stdout}`);
      equal(existsSync(join(dir, "nb")), false);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

/** Pids of the processes (of this user) whose environment holds `marker`. */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${e.name}/environ`).split("\0").includes(marker)) {
        pids.push(Number(e.name));
      }
    } catch { /* ended meanwhile, or not ours */ }
  }
  return pids;
}

async function waitFor(what: string, ok: () => boolean, seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const sig of ["SIGTERM", "SIGINT"] as const) {
  Deno.test({
    name:
      `a ${sig} during executeNotebook goes to nbconvert, which shuts the kernel down: no orphaned kernel`,
    ignore: !jupyter || !existsSync("/proc/self/environ"),
    fn: () => interruptedRun(sig),
  });
}

async function interruptedRun(sig: "SIGTERM" | "SIGINT"): Promise<void> {
  const dir = Deno.makeTempDirSync();
  const marker = `REPRODUCE_TEST_MARK=${crypto.randomUUID()}`;
  const driver = join(dir, "driver.ts");
  try {
    const nb = writeNotebook(dir, [
      { cell_type: "code", source: 'console.log("started")' },
      { cell_type: "code", source: "await new Promise((r) => setTimeout(r, 120_000));" },
    ]);
    // A script that runs the notebook as reproduce does and prints what executeNotebook returned.
    const runner = new URL("../../scripts/notebook_runner.ts", import.meta.url).href;
    Deno.writeTextFileSync(
      driver,
      `import { executeNotebook } from ${JSON.stringify(runner)};\n` +
        `const r = await executeNotebook(${JSON.stringify(nb.path)}, { outDir: ${
          JSON.stringify(join(dir, "out"))
        }, env: ${JSON.stringify(nb.env)} });\n` +
        `console.log(JSON.stringify({ code: r.code, interrupted: r.interrupted }));\n`,
    );
    const [key, value] = marker.split("=");
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", driver],
      env: { [key]: value },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // The kernel inherits the marker through nbconvert; wait until it runs the long cell.
    const kernels = () =>
      processesWith(marker).filter((p) => {
        try {
          return Deno.readTextFileSync(`/proc/${p}/cmdline`).includes("--kernel");
        } catch {
          return false;
        }
      });
    await waitFor("the kernel to start", () => kernels().length > 0, 60);
    await new Promise((r) => setTimeout(r, 2000));
    child.kill(sig);
    // If the kernel were left running it would hold nbconvert's output pipes open: give up after 30 s.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const out = await Promise.race([
      child.output(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the run did not end within 30 s of ${sig}`)), 30_000);
      }),
    ]).finally(() => clearTimeout(timer));
    const result = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "{}");
    equal(result.interrupted, sig, new TextDecoder().decode(out.stderr));
    equal(result.code === 0, false, "an interrupted run is no success");
    await waitFor("the kernel to end", () => kernels().length === 0, 15);
  } finally {
    for (const p of processesWith(marker)) {
      try {
        Deno.kill(p, "SIGKILL");
      } catch { /* ended */ }
    }
    Deno.removeSync(dir, { recursive: true });
  }
}
