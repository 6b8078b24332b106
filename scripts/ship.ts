/**
 * Ship a finished training run into the repository (issue #15's reference weights):
 *
 *   deno task ship -- --run DIR [--to weights/reference/<network>] [--partial]
 *
 * Copies the run's final model (TensorFlow.js layers format: model.json + weight files; not the
 * optimizer's state), history.csv, state.json (config, history, data fingerprint) and ++/+− distance
 * snapshots into `--to` (default `weights/reference/<network>`, replaced whole) and writes its
 * manifest.json: the SHA-256 of every file, recipe and config, data fingerprint, epochs, images,
 * training time, backend, git commit (and whether the tree was dirty) and the command that trains it
 * again (lib/reference/). A run that has not finished its planned epochs is refused unless --partial.
 */
import { displayPath } from "../lib/config.ts";
import { shipRun } from "../lib/reference/mod.ts";
import { exitWithUsage, parseScriptArgs } from "./args.ts";

const USAGE = "usage: deno task ship -- --run DIR [--to weights/reference/<network>] [--partial]";
const OPTIONS = {
  run: { type: "string" },
  to: { type: "string" },
  partial: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

async function main(): Promise<number> {
  const v = parseScriptArgs(OPTIONS, USAGE);
  if (!v.run) exitWithUsage("--run is required", USAGE);
  const m = await shipRun(v.run, v.to, { partial: v.partial });
  console.log(
    `manifest: ${m.network}, ${
      m.finished ? "finished" : "PARTIAL"
    } ${m.epochs.done}/${m.epochs.planned} epochs, ` +
      `${m.imagesTrained} images, ${(m.trainingSeconds / 3600).toFixed(2)} h training on ${m.backend.name}` +
      `${m.backend.device ? ` (${m.backend.device})` : ""}; git ${
        m.git ? m.git.commit.slice(0, 10) : "unknown"
      }` +
      `${m.git?.dirty ? " (dirty)" : ""}; reproduce: ${m.command ?? "no known command makes this config"}`,
  );
  console.log(`Commit ${displayPath(m.dir)} to use these weights by default (README, "Reference weights").`);
  return 0;
}

try {
  Deno.exit(await main());
} catch (e) {
  console.error(`ship failed: ${e instanceof Error ? e.message : String(e)}`);
  Deno.exit(1);
}
