/**
 * `deno task reproduce`: run every notebook in order, headless, through Jupyter with the Deno kernel.
 *
 *   FACENET_PROFILE=smoke|quick|full deno task reproduce [--only 01,03] [--out DIR]
 *
 * On a fresh machine it first fetches the data, as `deno task setup` does (the LFW archive and protocol
 * files that the data root lacks, MD5-checked, then every image decoded once; with everything there it
 * fetches nothing, and images already checked are remembered in the cache folder), so this one command
 * does the whole job.
 * quick/full execute the notebooks in place (so the committed notebooks carry real outputs) and write
 * `figures/`; smoke writes executed notebooks and figures under `build/smoke/` so a CI-sized run never
 * overwrites committed results (`outputsInPlace` in lib/profiles.ts). Stops at the first failing cell, naming
 * notebook and cell, and keeps the notebook as executed up to the failure in `build/failed/` (git-ignored).
 * Errors the Deno kernel would lose (a throw in a timer, an unawaited rejection, Deno.exit) fail the cell
 * too (scripts/jupyter/late_outputs.py). Notebook 05, when `data/own/` holds the user's photos, always
 * writes its executed copy and figures under `build/own/` (git-ignored), never in place.
 *
 * Each executed notebook is then checked for outputs it must not carry (scripts/notebook_outputs.ts): a
 * display that produced nothing, a machine's folders, clock times. These are warnings, listed per cell;
 * `--strict-outputs` makes them fail the run; CI (.ci/run) uses it on the smoke run, whose notebooks came
 * out clean, and the committed (quick) notebooks came from a `--strict-outputs` run (a test keeps them
 * clean). A warning by default, so that a user's run is not failed after its work for what it printed.
 */
import { existsSync, rmSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { dataRoot, displayPath, env, profile, REPO_ROOT } from "../lib/config.ts";
import { lfwSummaryLine } from "../lib/data/lfw.ts";
import { officialSources, setupLfw } from "../lib/data/sources.ts";
import { ownPhotosDir } from "../lib/faces/own.ts";
import { profileSettings } from "../lib/profiles.ts";
import { exitWithUsage, parseScriptArgs } from "./args.ts";
import { formatOutputProblems, notebookOutputProblems } from "./notebook_outputs.ts";
import {
  checkExpectedFigures,
  ensureJupyter,
  executeNotebook,
  findCellBySource,
  listNotebooks,
  notebookTargets,
  parseCellError,
} from "./notebook_runner.ts";

const USAGE = "usage: FACENET_PROFILE=smoke|quick|full deno task reproduce [--only 01,03] [--out DIR] " +
  "[--timeout SECONDS_PER_CELL] [--strict-outputs]";
const OPTIONS = {
  only: { type: "string" },
  out: { type: "string" },
  timeout: { type: "string", default: "-1" },
  "strict-outputs": { type: "boolean", default: false },
} as const;
const values = parseScriptArgs(OPTIONS, USAGE);
const timeout = Number(values.timeout);
if (!Number.isInteger(timeout) || timeout < -1) {
  exitWithUsage(`--timeout must be whole seconds or -1, got ${values.timeout}`, USAGE);
}

const prof = profile();
// Executed in place (the committed notebooks carry real outputs), or copies under build/<profile>/.
const inPlace = profileSettings(prof).outputsInPlace;
const outDir = values.out ?? (inPlace ? undefined : join(REPO_ROOT, "build", prof, "notebooks"));
const figures = env("FACENET_FIGURES") ?? (inPlace ? undefined : join(REPO_ROOT, "build", prof, "figures"));

let notebooks = listNotebooks(join(REPO_ROOT, "notebooks"));
if (values.only !== undefined) {
  // An empty name would match every notebook: `--only " "` is a mistake, not "all".
  const want = values.only.split(",").map((s) => s.trim());
  if (want.some((w) => w === "")) {
    exitWithUsage(`--only takes notebook numbers or names separated by commas, got "${values.only}"`, USAGE);
  }
  const unmatched = want.filter((w) => !notebooks.some((nb) => basename(nb).startsWith(w)));
  if (unmatched.length) exitWithUsage(`no notebook matches --only ${unmatched.join(",")}`, USAGE);
  notebooks = notebooks.filter((nb) => want.some((w) => basename(nb).startsWith(w)));
}

// A failure (a missing tool, a kernel that will not start) ends the script with its message, not a stack.
try {
  await ensureJupyter();
} catch (e) {
  console.error(`✗ ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}

// The data the notebooks read: fetched where missing (the notebooks themselves never download).
try {
  const { index } = await setupLfw(dataRoot(), officialSources());
  console.log(`data: ${displayPath(dataRoot())}: ${lfwSummaryLine(index)}`);
} catch (e) {
  console.error(
    `✗ data: ${
      e instanceof Error ? e.message : e
    }\n  (deno task setup fetches and checks the data on its own; ` +
      "README, Data)",
  );
  Deno.exit(1);
}

console.log(
  `Reproducing ${notebooks.length} notebooks, profile ${prof}` +
    (outDir ? `, executed copies in ${outDir}` : ""),
);
const kernelEnv: Record<string, string> = { FACENET_PROFILE: prof };
if (figures) kernelEnv.FACENET_FIGURES = figures;
const timings: { notebook: string; seconds: number }[] = [];
const warned: string[] = []; // notebooks with output problems (warnings without --strict-outputs)
for (const nb of notebooks) {
  const name = basename(nb, ".ipynb");
  const t0 = performance.now();
  console.log(`▶ ${name} …`);
  const failedCopy = join(REPO_ROOT, "build", "failed", `${name}.ipynb`);
  rmSync(failedCopy, { force: true });
  const target = notebookTargets(name, { outDir, figures });
  if (target.private) {
    console.log(
      `  it uses your photos in ${displayPath(ownPhotosDir())}: executed copy in ${
        displayPath(target.outDir!)
      }, ` +
        `figures in ${
          displayPath(join(target.figures!, name))
        } (git-ignored); notebooks/${name}.ipynb is left as it is`,
    );
  }
  const vars = target.figures ? { ...kernelEnv, FACENET_FIGURES: target.figures } : kernelEnv;
  const r = await executeNotebook(nb, { outDir: target.outDir, timeout, env: vars, failedCopy }).catch(
    (e) => {
      console.error(`✗ ${name}: could not run jupyter nbconvert: ${e instanceof Error ? e.message : e}`);
      Deno.exit(1);
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  if (r.interrupted) {
    console.error(
      `✗ ${name}: interrupted (${r.interrupted}) after ${seconds.toFixed(0)} s; its kernel was shut down`,
    );
    Deno.exit(r.interrupted === "SIGINT" ? 130 : 143);
  }
  if (r.code !== 0) {
    const err = parseCellError(r.stderr);
    const idx = err ? findCellBySource(nb, err.source) : undefined;
    const first = err?.source.split("\n").find((l) => l.trim() !== "")?.trim();
    console.error(
      `✗ ${name} failed after ${seconds.toFixed(0)} s` +
        (idx !== undefined ? ` in code cell #${idx + 1}` : err ? " in a cell" : "") +
        (first !== undefined ? ` (${first.length > 60 ? first.slice(0, 57) + "…" : first})` : ""),
    );
    if (err) console.error(`--- cell source ---\n${err.source}\n--- error ---\n${err.error}`);
    else console.error(r.stderr.slice(-4000));
    if (existsSync(failedCopy)) {
      console.error(`The notebook as executed up to the failure: ${relative(Deno.cwd(), failedCopy)}`);
    }
    Deno.exit(1);
  }
  const missing = checkExpectedFigures(
    join(REPO_ROOT, "notebooks", "expected_figures.json"),
    name,
    target.figures,
  );
  if (missing.length) {
    console.error(`✗ ${name} ran but did not write: ${missing.join(", ")}`);
    Deno.exit(1);
  }
  const executed = target.outDir ? join(target.outDir, basename(nb)) : nb;
  const problems = formatOutputProblems(name, notebookOutputProblems(Deno.readTextFileSync(executed)));
  if (problems.length) {
    const mark = values["strict-outputs"] ? "✗" : "⚠";
    console.error(`${mark} ${name}: ${problems.length} output problem(s) in ${displayPath(executed)}:`);
    for (const p of problems) console.error(`    ${p}`);
    if (values["strict-outputs"]) Deno.exit(1);
    warned.push(name);
  }
  timings.push({ notebook: name, seconds });
  console.log(`✓ ${name} (${seconds.toFixed(1)} s)`);
}
const total = timings.reduce((s, t) => s + t.seconds, 0);
console.log(
  `\nAll ${timings.length} notebooks ran (profile ${prof}), ${(total / 60).toFixed(1)} min in all:`,
);
for (const t of timings) console.log(`  ${t.notebook.padEnd(24)} ${t.seconds.toFixed(1).padStart(8)} s`);
if (warned.length) {
  console.error(
    `⚠ output problems (listed above) in ${warned.join(", ")}; --strict-outputs makes them fail the run`,
  );
}
