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

/** Write each notebook's module beside the notebooks (their imports are `../lib/…`) and remove it after. */
async function withModules<T>(
  sources: Record<string, string>,
  f: (files: string[]) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ dir: NOTEBOOKS, prefix: ".typecheck-" });
  try {
    // One level deeper than notebooks/: the imports' `../` must still reach the repository root.
    const files = Object.entries(sources).map(([name, src]) => {
      const file = join(dir, `${name}.ts`);
      Deno.writeTextFileSync(file, src.replaceAll('from "../', 'from "../../'));
      return file;
    });
    return await f(files);
  } finally {
    await Deno.remove(dir, { recursive: true });
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
  const sources = Object.fromEntries(
    notebooks.map((nb) => [nb.split("/").at(-1)!.replace(".ipynb", ""), notebookModule(nb)]),
  );
  const r = await withModules(sources, denoCheck);
  ok(r.ok, `deno check failed on the notebooks' code:\n${r.out}`);
});

Deno.test("the notebook check fails on a notebook that calls the library wrongly", async () => {
  const bad = 'import { examplePairs } from "../lib/notebook/mod.ts";\nexamplePairs("not labels");\n';
  const r = await withModules({ "99_bad": bad }, denoCheck);
  ok(!r.ok);
  match(r.out, /TS2554|TS2345|Expected/);
});
