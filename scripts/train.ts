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
import { loadLfwFaces } from "../lib/data/preprocess.ts";
import { formatSummary } from "../lib/models/summary.ts";
import { type ModelKind, train, TrainingDivergedError } from "../lib/training/mod.ts";

const USAGE =
  "usage: deno run -A scripts/train.ts --model zf|inception [--profile smoke|quick|full] [--run NAME] [--fresh] [--epochs N] [--stop-after N]";

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    exitWithUsage(`--${name} must be a non-negative integer, got ${JSON.stringify(v)}`, USAGE);
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
  if (model !== "zf" && model !== "inception") {
    console.error(`--model must be zf or inception\n${USAGE}`);
    return 2;
  }
  const prof = (values.profile ?? profile()) as Profile;
  if (!(PROFILES as readonly string[]).includes(prof)) {
    console.error(`--profile must be one of ${PROFILES.join(", ")}\n${USAGE}`);
    return 2;
  }
  const epochs = positiveInt("epochs", values.epochs);
  const stopAfter = positiveInt("stop-after", values["stop-after"]);

  await setupBackend();
  const faces = await loadLfwFaces({ minImages: 3 });
  console.log(
    `LFW ≥ 3 images: ${faces.n} images of ${faces.classNames.length} people (${faces.height}×${faces.width})`,
  );
  try {
    const r = await train(model, faces, {
      profile: prof,
      run: values.run,
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
  } catch (e) {
    if (e instanceof TrainingDivergedError) {
      console.error(e.message);
      return 3;
    }
    throw e;
  }
}

// Exit explicitly: the wasm backend's worker threads would otherwise keep the process alive.
Deno.exit(await main());
