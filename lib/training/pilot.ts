/**
 * A pilot run (issue #15): train the slides' network with a named recipe (recipes.ts) for at most a
 * given wall time, then score it on the fixed held-out identities (heldout.ts), plainly and with
 * flip-averaged embeddings, and append one row to a CSV table. The run lives in
 * `<models root>/pilot-<model>-<recipe>/` and resumes like any training run.
 */
import { dirname } from "node:path";
import { currentBackend } from "../backend.ts";
import type { FaceSet } from "../data/faceset.ts";
import { buildNetwork, type ModelKind, SLIDES_PARAMS } from "../models/networks.ts";
import { paramCounts } from "../models/summary.ts";
import { heldOutCheck } from "./heldout.ts";
import { train } from "./loop.ts";
import { PILOT_DEFAULT_STEPS, recipeConfig } from "./recipes.ts";
import { runFolder } from "./run_dir.ts";

export interface PilotOptions {
  model: ModelKind;
  recipe: string;
  /** Wall-clock budget of the training in minutes (stops at an epoch boundary, see TrainOptions). */
  minutes: number;
  /** Planned batches, which lays out the recipe's schedule (default PILOT_DEFAULT_STEPS). */
  steps?: number;
  /** Run folder (default `<models root>/pilot-<model>-<recipe>`). */
  runDir?: string;
  /** Start afresh instead of resuming. */
  fresh?: boolean;
  log?: (line: string) => void;
  progress?: boolean;
}

/** One row of the pilots' table. */
export interface PilotRow {
  recipe: string;
  model: ModelKind;
  steps_planned: number;
  batches: number;
  images_seen: number;
  /** Σ of the epochs' training wall time, over all sessions of the run. */
  train_minutes: number;
  img_per_s: number;
  final_train_loss: number;
  heldout_auc: number;
  heldout_auc_flip: number;
  mean_pp: number;
  mean_pn: number;
  nn1_acc: number;
  nn1_acc_flip: number;
  heldout_identities: number;
  heldout_images: number;
  backend: string;
  finished: boolean;
  date: string;
}

export const PILOT_COLUMNS: (keyof PilotRow)[] = [
  "recipe",
  "model",
  "steps_planned",
  "batches",
  "images_seen",
  "train_minutes",
  "img_per_s",
  "final_train_loss",
  "heldout_auc",
  "heldout_auc_flip",
  "mean_pp",
  "mean_pn",
  "nn1_acc",
  "nn1_acc_flip",
  "heldout_identities",
  "heldout_images",
  "backend",
  "finished",
  "date",
];

/** Throw unless the network `model` built with `cfg`'s options has the slides' parameter count. */
export function checkSlidesNetwork(model: ModelKind, modelOptions: object, inputSize: number): void {
  const net = buildNetwork(model, { ...modelOptions, inputSize, seed: 0 });
  const total = paramCounts(net).total;
  net.dispose();
  if (total !== SLIDES_PARAMS[model]) {
    throw new Error(
      `the ${model} network of this recipe has ${total} parameters, not the slides' ${SLIDES_PARAMS[model]}`,
    );
  }
}

/** Train `faces` with the recipe for at most `minutes`, then run the held-out check; returns the row. */
export async function runPilot(faces: FaceSet, opts: PilotOptions): Promise<PilotRow> {
  if (!(opts.minutes > 0)) throw new RangeError(`minutes must be > 0, got ${opts.minutes}`);
  const steps = opts.steps ?? PILOT_DEFAULT_STEPS;
  const cfg = recipeConfig(opts.recipe, opts.model, steps);
  checkSlidesNetwork(opts.model, cfg.modelOptions, faces.height);
  const r = await train(opts.model, faces, {
    profile: "full",
    config: cfg,
    runDir: opts.runDir ?? runFolder(`pilot-${opts.model}-${opts.recipe}`),
    resume: !opts.fresh,
    timeLimitSeconds: opts.minutes * 60,
    log: opts.log,
    progress: opts.progress,
  });
  try {
    const spec = cfg.heldOut!;
    const plain = await heldOutCheck(r.model, faces, spec, { batchSize: cfg.embedBatchSize });
    const flip = await heldOutCheck(r.model, faces, spec, { batchSize: cfg.embedBatchSize, flip: true });
    const seconds = r.history.reduce((a, h) => a + h.seconds, 0);
    const images = Math.round(r.history.reduce((a, h) => a + h.seconds * h.imagesPerSecond, 0));
    const last = r.history[r.history.length - 1];
    return {
      recipe: opts.recipe,
      model: opts.model,
      steps_planned: steps,
      batches: r.epochsDone * (cfg.batchesPerEpoch as number),
      images_seen: images,
      train_minutes: seconds / 60,
      img_per_s: seconds > 0 ? images / seconds : 0,
      final_train_loss: last ? last.loss : NaN,
      heldout_auc: plain.auc,
      heldout_auc_flip: flip.auc,
      mean_pp: plain.meanSame,
      mean_pn: plain.meanDiff,
      nn1_acc: plain.nnAccuracy,
      nn1_acc_flip: flip.nnAccuracy,
      heldout_identities: plain.identities,
      heldout_images: plain.images,
      backend: currentBackend()?.name ?? "unknown",
      finished: r.finished,
      date: new Date().toISOString(),
    };
  } finally {
    r.model.dispose();
  }
}

function cell(v: unknown): string {
  const s = typeof v === "number" && !Number.isInteger(v) ? v.toPrecision(5) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Append `row` to the CSV `file` (created with a header if missing); a file with another header is refused. */
export function appendPilotRow(file: string, row: PilotRow): void {
  const header = PILOT_COLUMNS.join(",");
  let existing = "";
  try {
    existing = Deno.readTextFileSync(file);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (existing && existing.split("\n")[0] !== header) {
    throw new Error(`${file}: its header is not the pilots' table header (${header}); use another --out`);
  }
  Deno.mkdirSync(dirname(file), { recursive: true });
  const line = PILOT_COLUMNS.map((c) => cell(row[c])).join(",") + "\n";
  Deno.writeTextFileSync(file, existing ? line : `${header}\n${line}`, { append: !!existing });
}
