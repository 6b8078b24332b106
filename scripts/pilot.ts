/**
 * A pilot run for issue #15: train the slides' network with a named recipe (lib/training/recipes.ts) for
 * at most M minutes, score it on the fixed held-out identities and append one row to the pilots' table.
 *
 *   deno task pilot -- --model zf|inception --recipe NAME --minutes M [--steps N] [--out FILE] [--fresh]
 *
 * --steps is the planned number of batches the recipe's schedule is laid out for (default 2000);
 * --out defaults to results/pilots.csv. Checkpoints go to $FACENET_MODELS/pilot-<model>-<recipe>/, and
 * running the same command again resumes there. Data come from $FACENET_DATA (see lib/config.ts).
 */
import { resolve } from "node:path";
import { setupBackend } from "../lib/backend.ts";
import { REPO_ROOT } from "../lib/config.ts";
import { loadLfwFaces } from "../lib/data/preprocess.ts";
import { appendPilotRow, PILOT_COLUMNS, RECIPES, runPilot } from "../lib/training/mod.ts";
import { exitWithUsage, modelArg, parseScriptArgs } from "./args.ts";
import { exitWith } from "./exit.ts";

const USAGE = "usage: deno task pilot -- --model zf|inception --recipe NAME --minutes M [--steps N] " +
  `[--out FILE] [--fresh]\nrecipes: ${Object.keys(RECIPES).join(", ")}`;

const OPTIONS = {
  model: { type: "string" },
  recipe: { type: "string" },
  minutes: { type: "string" },
  steps: { type: "string" },
  out: { type: "string" },
  fresh: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

async function main(): Promise<number> {
  const v = parseScriptArgs(OPTIONS, USAGE);
  const model = modelArg(v.model, USAGE);
  if (!v.recipe || !Object.hasOwn(RECIPES, v.recipe)) {
    exitWithUsage(`--recipe must be one of ${Object.keys(RECIPES).join(", ")}`, USAGE);
  }
  const minutes = Number(v.minutes);
  if (v.minutes === undefined || !(minutes > 0)) {
    exitWithUsage(`--minutes must be a positive number, got ${JSON.stringify(v.minutes)}`, USAGE);
  }
  const steps = v.steps === undefined ? undefined : Number(v.steps);
  if (steps !== undefined && !(Number.isSafeInteger(steps) && steps > 0)) {
    exitWithUsage(`--steps must be a positive integer, got ${JSON.stringify(v.steps)}`, USAGE);
  }
  const out = resolve(v.out ?? resolve(REPO_ROOT, "results", "pilots.csv"));

  await setupBackend();
  const faces = await loadLfwFaces({ minImages: 3 });
  const row = await runPilot(faces, { model, recipe: v.recipe, minutes, steps, fresh: v.fresh });
  appendPilotRow(out, row);
  console.log(PILOT_COLUMNS.join(","));
  console.log(PILOT_COLUMNS.map((c) => row[c]).join(","));
  console.log(`appended to ${out}`);
  return 0;
}

await exitWith("pilot", main);
