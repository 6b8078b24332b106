/**
 * Train one of the FaceNet networks on the LFW subset of people with ≥ 3 images.
 *
 *   deno run -A scripts/train.ts --model zf|inception [--profile smoke|quick|full] [--run NAME]
 *                                [--fresh] [--epochs N] [--stop-after N] [--batches pk|random]
 *
 *   deno task train -- --model zf|inception --recipe reference --steps N [--people slides|view1]
 *                      [--restart N[,N…]] [--minutes M] [--run NAME] [--fresh]
 *
 * The profile defaults to $FACENET_PROFILE (else quick); checkpoints go to $FACENET_MODELS/<run>
 * (default models/<model>-<profile>). `--recipe` trains with a named recipe of
 * lib/training/recipes.ts instead of a profile (`reference`: the reference run of issue #15, whose
 * schedule is laid out for `--steps` batches), on the course's people (`--people slides`, default) or
 * on LFW View 1's training people (`--people view1`, issue #16); `--restart N[,N…]` adds warm restarts of N
 * batches each after the reference schedule (lib/training/recipes.ts, restartCycle); its run folder defaults to
 * `<model>-<recipe>` or `<model>-view1-<recipe>`. `--minutes` stops at the first epoch boundary that
 * would pass the budget; the same command resumes. Re-running the same command resumes from the last checkpoint;
 * --fresh starts over. `--batches random` draws batches of any images, as the slides' Keras run did,
 * instead of the P×K batches every profile and recipe uses (lib/training/sampler.ts); a run keeps the kind
 * it started with. Data come from $FACENET_DATA (see lib/config.ts).
 */
import { setupBackend } from "../lib/backend.ts";
import { type Profile, profile, PROFILES } from "../lib/config.ts";
import { exitWithUsage, modelArg, parseScriptArgs } from "./args.ts";
import { exitWith } from "./exit.ts";
import { loadLfwFaces } from "../lib/data/preprocess.ts";
import { formatSummary } from "../lib/models/summary.ts";
import {
  checkSlidesNetwork,
  lockRunDir,
  recipeConfig,
  RECIPES,
  referenceConfig,
  runFolder,
  train,
  type TrainConfig,
} from "../lib/training/mod.ts";
import { view1RunName, view1TrainConfig, view1TrainingFaces } from "../lib/verify/view1.ts";

const USAGE =
  "usage: deno task train -- --model zf|inception [--profile smoke|quick|full] [--run NAME] [--fresh] " +
  "[--epochs N] [--stop-after N] [--batches pk|random] [--recipe NAME --steps N [--people slides|view1]] " +
  "[--restart N[,N…]] [--minutes M]";

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
  recipe: { type: "string" },
  batches: { type: "string" },
  steps: { type: "string" },
  restart: { type: "string" },
  people: { type: "string" },
  minutes: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

async function main(): Promise<number> {
  const values = parseScriptArgs(OPTIONS, USAGE);
  const model = modelArg(values.model, USAGE);
  const prof = (values.profile ?? profile()) as Profile;
  if (!(PROFILES as readonly string[]).includes(prof)) {
    exitWithUsage(`--profile must be one of ${PROFILES.join(", ")}`, USAGE);
  }
  const epochs = positiveInt("epochs", values.epochs);
  const stopAfter = positiveInt("stop-after", values["stop-after"]);
  const people = values.people ?? "slides";
  if (people !== "slides" && people !== "view1") exitWithUsage("--people must be slides or view1", USAGE);
  const recipeName = values.recipe;
  if (recipeName !== undefined && recipeName !== "reference" && !Object.hasOwn(RECIPES, recipeName)) {
    exitWithUsage(`--recipe must be reference or one of ${Object.keys(RECIPES).join(", ")}`, USAGE);
  }
  if ((values.people !== undefined || values.steps !== undefined) && recipeName === undefined) {
    exitWithUsage("--people and --steps go with --recipe", USAGE);
  }
  const steps = positiveInt("steps", values.steps);
  if (recipeName !== undefined && steps === undefined) exitWithUsage("--recipe needs --steps", USAGE);
  const restart = values.restart?.split(",").map((v) => positiveInt("restart", v)!);
  if (restart !== undefined && (recipeName !== "reference" || people !== "slides")) {
    exitWithUsage("--restart goes with --recipe reference on the course's people", USAGE);
  }
  if (people === "view1" && recipeName !== "reference") {
    // View 1's network is the reference recipe on other people (lib/verify/view1.ts); nothing else is built.
    exitWithUsage(
      `--people view1 trains the reference recipe only (--recipe reference), not ${recipeName}`,
      USAGE,
    );
  }
  const batches = values.batches;
  if (batches !== undefined && batches !== "pk" && batches !== "random") {
    exitWithUsage(`--batches must be pk or random, got ${JSON.stringify(batches)}`, USAGE);
  }
  const minutes = values.minutes === undefined ? undefined : Number(values.minutes);
  if (minutes !== undefined && !(minutes > 0)) {
    exitWithUsage(`--minutes must be a positive number, got ${JSON.stringify(values.minutes)}`, USAGE);
  }
  let recipeCfg: TrainConfig | undefined;
  if (recipeName !== undefined) {
    recipeCfg = people === "view1"
      ? view1TrainConfig(model, steps!)
      : recipeName === "reference"
      ? referenceConfig(model, steps!, restart)
      : recipeConfig(recipeName, model, steps!);
  }
  const defaultRun = recipeName === undefined
    ? `${model}-${prof}`
    : people === "view1"
    ? view1RunName(model, recipeName)
    : `${model}-${recipeName}`;
  let runDir: string;
  try {
    runDir = runFolder(values.run ?? defaultRun);
  } catch (e) {
    exitWithUsage(`--run: ${(e as Error).message}`, USAGE);
  }
  // Locked before the data are loaded (minutes when uncached), so that a second run fails at once.
  await Deno.mkdir(runDir, { recursive: true });
  using _lock = lockRunDir(runDir);

  await setupBackend();
  const faces = people === "view1"
    ? view1TrainingFaces(await loadLfwFaces())
    : await loadLfwFaces({ minImages: 3 });
  console.log(
    `${
      people === "view1" ? "LFW View 1 training people (peopleDevTrain.txt, ≥ 2 images)" : "LFW ≥ 3 images"
    }: ` +
      `${faces.n} images of ${faces.classNames.length} people (${faces.height}×${faces.width})`,
  );
  if (recipeCfg) checkSlidesNetwork(model, recipeCfg.modelOptions, faces.height);
  const r = await train(model, faces, {
    profile: prof,
    runDir,
    resume: !values.fresh,
    stopAfter,
    timeLimitSeconds: minutes === undefined ? undefined : minutes * 60,
    config: { ...recipeCfg, ...(epochs === undefined ? {} : { epochs }), ...(batches ? { batches } : {}) },
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
