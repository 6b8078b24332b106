/**
 * Every committed notebook type-checks against the library as it is now (scripts/notebook_runner.ts
 * notebookModule + `deno check`), so a changed library signature fails here and not half-way through
 * a reproduction.
 */
import { join } from "node:path";
import { equal, match, ok } from "../assert.ts";
import { REPO_ROOT } from "../../lib/config.ts";
import { listNotebooks, notebookModule } from "../../scripts/notebook_runner.ts";

const NOTEBOOKS = join(REPO_ROOT, "notebooks");

async function denoCheck(files: string[]): Promise<{ ok: boolean; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", ...files],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { ok: r.success, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

/** Write each module as a file in notebooks/ (where its `../lib/…` imports resolve) and remove it after. */
async function withModules<T>(sources: string[], f: (files: string[]) => Promise<T>): Promise<T> {
  const files: string[] = [];
  try {
    for (const src of sources) {
      const file = await Deno.makeTempFile({ dir: NOTEBOOKS, prefix: ".typecheck-", suffix: ".ts" });
      files.push(file);
      await Deno.writeTextFile(file, src);
    }
    return await f(files);
  } finally {
    for (const file of files) await Deno.remove(file);
  }
}

Deno.test("notebookModule joins a notebook's code cells in order, each closed, markdown left out", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const nb = join(dir, "01_x.ipynb");
    Deno.writeTextFileSync(
      nb,
      JSON.stringify({
        cells: [
          { cell_type: "markdown", source: ["# title"] },
          { cell_type: "code", source: ["const a = 1;\n", "a"] },
          { cell_type: "code", source: "a + 1" },
        ],
      }),
    );
    equal(notebookModule(nb), "// code cell 0\nconst a = 1;\na\n;\n// code cell 1\na + 1\n;\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("every committed notebook type-checks against the library", async () => {
  const notebooks = listNotebooks(NOTEBOOKS);
  ok(notebooks.length >= 6, `notebooks found: ${notebooks.length}`);
  const r = await withModules(notebooks.map(notebookModule), denoCheck);
  ok(r.ok, `deno check failed on the notebooks' code:\n${r.out}`);
});

Deno.test("the notebook check fails on a notebook that calls the library wrongly", async () => {
  const bad = 'import { examplePairs } from "../lib/notebook/mod.ts";\nexamplePairs("not labels");\n';
  const r = await withModules([bad], denoCheck);
  ok(!r.ok);
  match(r.out, /TS2554|TS2345|Expected/);
});
