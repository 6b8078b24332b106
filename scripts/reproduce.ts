/**
 * `deno task reproduce`: run every notebook in order, headless, through Jupyter with the Deno kernel.
 *
 *   FACENET_PROFILE=smoke|quick|full deno task reproduce [--only 01,03] [--out DIR]
 *
 * quick/full execute the notebooks in place (so the committed notebooks carry real outputs) and write
 * `figures/`; smoke writes executed notebooks and figures under `build/smoke/` so a CI-sized run never
 * overwrites committed results (`outputsInPlace` in lib/profiles.ts). Stops at the first failing cell, naming notebook and cell.
 */
import { basename, join } from "node:path";
import { env, profile, REPO_ROOT } from "../lib/config.ts";
import { profileSettings } from "../lib/profiles.ts";
import { exitWithUsage, parseScriptArgs } from "./args.ts";
import {
  checkExpectedFigures,
  ensureJupyter,
  executeNotebook,
  findCellBySource,
  listNotebooks,
  parseCellError,
} from "./notebook_runner.ts";

const USAGE =
  "usage: FACENET_PROFILE=smoke|quick|full deno task reproduce [--only 01,03] [--out DIR] [--timeout SECONDS_PER_CELL]";
const OPTIONS = {
  only: { type: "string" },
  out: { type: "string" },
  timeout: { type: "string", default: "-1" },
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

await ensureJupyter();
let notebooks = listNotebooks(join(REPO_ROOT, "notebooks"));
if (values.only) {
  const want = values.only.split(",").map((s) => s.trim());
  notebooks = notebooks.filter((nb) => want.some((w) => basename(nb).startsWith(w)));
}
if (notebooks.length === 0) exitWithUsage(`no notebook matches --only ${values.only}`, USAGE);

console.log(
  `Reproducing ${notebooks.length} notebooks, profile ${prof}` +
    (outDir ? `, executed copies in ${outDir}` : ""),
);
const kernelEnv: Record<string, string> = { FACENET_PROFILE: prof };
if (figures) kernelEnv.FACENET_FIGURES = figures;
const timings: { notebook: string; seconds: number }[] = [];
for (const nb of notebooks) {
  const name = basename(nb, ".ipynb");
  const t0 = performance.now();
  console.log(`▶ ${name} …`);
  const r = await executeNotebook(nb, { outDir, timeout, env: kernelEnv });
  const seconds = (performance.now() - t0) / 1000;
  if (r.code !== 0) {
    const err = parseCellError(r.stderr);
    const idx = err ? findCellBySource(nb, err.source) : undefined;
    console.error(
      `✗ ${name} failed after ${seconds.toFixed(0)} s` +
        (idx !== undefined ? ` in code cell #${idx + 1}` : ""),
    );
    if (err) console.error(`--- cell source ---\n${err.source}\n--- error ---\n${err.error}`);
    else console.error(r.stderr.slice(-4000));
    Deno.exit(1);
  }
  const missing = checkExpectedFigures(join(REPO_ROOT, "notebooks", "expected_figures.json"), name, figures);
  if (missing.length) {
    console.error(`✗ ${name} ran but did not write: ${missing.join(", ")}`);
    Deno.exit(1);
  }
  timings.push({ notebook: name, seconds });
  console.log(`✓ ${name} (${seconds.toFixed(1)} s)`);
}
const total = timings.reduce((s, t) => s + t.seconds, 0);
console.log(
  `\nAll ${timings.length} notebooks ran (profile ${prof}), ${(total / 60).toFixed(1)} min in all:`,
);
for (const t of timings) console.log(`  ${t.notebook.padEnd(24)} ${t.seconds.toFixed(1).padStart(8)} s`);
