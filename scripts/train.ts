/**
 * Train one of the FaceNet networks on the LFW subset of people with ≥ 3 images.
 *
 *   deno run -A scripts/train.ts --model zf|inception [--profile smoke|quick|full] [--run NAME]
 *                                [--fresh] [--epochs N] [--stop-after N]
 *
 * The profile defaults to $FACENET_PROFILE (else quick); checkpoints go to $FACENET_MODELS/<run>
 * (default models/<model>-<profile>). Re-running the same command resumes from the last checkpoint;
 * --fresh starts over. Data come from $FACENET_DATA (see lib/config.ts).
 */
import { setupBackend } from "../lib/backend.ts";
import { type Profile, profile, PROFILES } from "../lib/config.ts";
import { exitWithUsage, parseScriptArgs } from "./args.ts";
import { exitWith } from "./exit.ts";
import { loadLfwFaces } from "../lib/data/preprocess.ts";
import { formatSummary } from "../lib/models/summary.ts";
import { lockRunDir, type ModelKind, runFolder, train } from "../lib/training/mod.ts";

const USAGE =
  "usage: deno run -A scripts/train.ts --model zf|inception [--profile smoke|quick|full] [--run NAME] [--fresh] [--epochs N] [--stop-after N]";

// 0 is refused too: --epochs 0 has nothing to train, --stop-after 0 would write no checkpoint.
function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < 1) {
    exitWithUsage(`--${name} must be a positive integer, got ${JSON.stringify(v)}`, USAGE);
  }
  return n;
}

const OPTIONS = {
  model: { type: "string" },
  profile: { type: "string" },
  run: { type: "string" },
  fresh: { type: "boolean", default: false },
  epochs: { type: "string" },
  "stop-after": { type: "string" },
  summary: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

async function main(): Promise<number> {
  const values = parseScriptArgs(OPTIONS, USAGE);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const model = values.model as ModelKind | undefined;
  if (model !== "zf" && model !== "inception") exitWithUsage("--model must be zf or inception", USAGE);
  const prof = (values.profile ?? profile()) as Profile;
  if (!(PROFILES as readonly string[]).includes(prof)) {
    exitWithUsage(`--profile must be one of ${PROFILES.join(", ")}`, USAGE);
  }
  const epochs = positiveInt("epochs", values.epochs);
  const stopAfter = positiveInt("stop-after", values["stop-after"]);
  let runDir: string;
  try {
    runDir = runFolder(values.run ?? `${model}-${prof}`);
  } catch (e) {
    exitWithUsage(`--run: ${(e as Error).message}`, USAGE);
  }
  // Locked before the data are loaded (minutes when uncached), so that a second run fails at once.
  await Deno.mkdir(runDir, { recursive: true });
  using _lock = lockRunDir(runDir);

  await setupBackend();
  const faces = await loadLfwFaces({ minImages: 3 });
  console.log(
    `LFW ≥ 3 images: ${faces.n} images of ${faces.classNames.length} people (${faces.height}×${faces.width})`,
  );
  const r = await train(model, faces, {
    profile: prof,
    runDir,
    resume: !values.fresh,
    stopAfter,
    config: epochs === undefined ? {} : { epochs },
  });
  if (values.summary) console.log(formatSummary(r.model));
  const last = r.history[r.history.length - 1];
  console.log(
    `${r.finished ? "Finished" : "Stopped"} after epoch ${r.epochsDone}/${r.config.epochs}` +
      (last ? `, loss ${last.loss.toFixed(4)}` : "") + `; checkpoint and history.csv in ${r.runDir}`,
  );
  r.model.dispose();
  return 0;
}

await exitWith("train", main);
