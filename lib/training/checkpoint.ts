/**
 * A run's checkpoint and history: after every epoch the model, the optimizer's slots and the training
 * state (RNG, schedule, history, data fingerprint) are swapped in atomically as `<run>/checkpoint/`,
 * and the history is written as `<run>/history.csv`. A checkpoint records the backend, device and
 * micro-batch size that wrote it, and a run resumed elsewhere is told how its numbers will differ.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import pl from "nodejs-polars";
import { join } from "node:path";
import { currentBackend } from "../backend.ts";
import type { CodeVersion } from "../code_version.ts";
import type { FaceSet } from "../data/faceset.ts";
import { commitDir, freshTmpDir, recoverDir, writeCsv } from "../files.ts";
import { folderSaveHandler, loadModel, type NamedTensor, readTensors, writeTensors } from "../models/io.ts";
import type { RngState } from "../rng.ts";
import type { LrSchedule, TrainConfig } from "./config.ts";
import type { ScheduleState } from "./schedule.ts";
import { microBatchFor } from "./step.ts";

/** One row of the training history (also the columns of history.csv). */
export interface HistoryRow {
  epoch: number;
  /** Mean triplet loss over the epoch's batches. */
  loss: number;
  /** Learning rate used during the epoch. */
  lr: number;
  /** Mean fraction of triplets with a non-zero loss. */
  activeFraction: number;
  /** Wall-clock seconds of the epoch (training only, without checkpoint or distances). */
  seconds: number;
  imagesPerSecond: number;
}

/** A cheap fingerprint of a FaceSet (sizes, labels, a pixel sample). */
export interface DataFingerprint {
  n: number;
  classes: number;
  hash: string;
}

/** Everything besides weights that a checkpoint holds (state.json). */
export interface CheckpointState {
  version: 1;
  config: TrainConfig;
  /** Epochs completed. */
  epoch: number;
  rng: RngState;
  schedule: ScheduleState;
  history: HistoryRow[];
  /** Fingerprint of the training FaceSet; resuming on different data is refused. */
  data: DataFingerprint;
  /** Backend the run used last: FACENET_BACKEND's name (`wasm`, `webgpu`, …), or TensorFlow.js's
   * (`tensorflow`) in checkpoints written before the GPU routes. */
  backend: string;
  /** The device that computed (`CPU`, or the GPU), when known. */
  device?: string;
  /** Micro-batch size the last epoch used (batch norm's statistics are per micro-batch). */
  microBatchUsed?: number;
  /** Warnings the run gave, each once (e.g. a collapse to the margin, collapse.ts); absent: none. */
  warnings?: RunWarning[];
  /** The code that trained it, each commit from the first epoch it trained (lib/code_version.ts);
   * absent in runs saved before this was recorded. */
  code?: CodeVersion[];
  /** Earlier learning-rate plans of a run whose plan was lengthened on resuming (schedule.ts
   * `extendsSchedule`): each the schedule it trained under until `epoch`; absent: never changed. */
  earlierSchedules?: EarlierSchedule[];
  savedAt: string;
}

/** A learning-rate plan a run trained under before it was lengthened. */
export interface EarlierSchedule {
  schedule: LrSchedule;
  /** Epochs completed when the plan changed. */
  epoch: number;
}

/** A warning a run gave about itself, kept in its state so that a resumed run does not repeat it. */
export interface RunWarning {
  /** "collapse": at the collapse level; "stall": near it without moving (collapse.ts). */
  kind: "collapse" | "stall";
  /** The epoch after which it was given. */
  epoch: number;
  message: string;
}

/**
 * What to tell the user when a checkpoint resumes on another backend than the one that wrote it,
 * or undefined when it is the same one. The run continues; its numbers differ from an unbroken run.
 */
export function backendChange(
  state: Pick<CheckpointState, "backend" | "device" | "microBatchUsed">,
  cfg: Pick<TrainConfig, "microBatch">,
  batchSize: number,
): string | undefined {
  const now = currentBackend()?.choice ?? tf.getBackend();
  const was = state.backend;
  // Checkpoints from before the GPU routes stored TensorFlow.js's name; native TensorFlow is `tensorflow`.
  const same = was === now || (was === "tensorflow" && (now === "node" || now === "node-gpu"));
  if (same) return undefined;
  const micro = microBatchFor(cfg, batchSize);
  const chunking = state.microBatchUsed !== undefined && state.microBatchUsed !== micro
    ? `batch norm now normalises over micro-batches of ${micro} instead of ${state.microBatchUsed} images, and `
    : state.microBatchUsed === undefined
    ? `batch norm may normalise over other micro-batches (now ${micro} images), and `
    : "";
  return `Note: this checkpoint was trained on ${was}${
    state.device ? ` (${state.device})` : ""
  } and resumes on ${now}` +
    `${
      currentBackend()?.device ? ` (${currentBackend()!.device})` : ""
    }: ${chunking}float32 sums run in another ` +
    "order, so the losses continue close to, but not exactly as, an unbroken run on one backend.";
}

/** The folder of a run's checkpoint. */
export const CHECKPOINT = "checkpoint";

/** FNV-1a over the labels and every 97th pixel, with the set's sizes. */
export function fingerprint(f: FaceSet): DataFingerprint {
  let h = 0x811c9dc5;
  const mix = (v: number) => (h = Math.imul(h ^ (v & 0xff), 0x01000193) >>> 0);
  for (let i = 0; i < f.n; i++) mix(f.labels[i]);
  for (let i = 0; i < f.pixels.length; i += 97) mix(f.pixels[i]);
  return { n: f.n, classes: f.classNames.length, hash: h.toString(16) };
}

/** Write history.csv (epoch, loss, lr, active_fraction, seconds, images_per_s) atomically. */
export function writeHistoryCsv(path: string, history: HistoryRow[]): void {
  writeCsv(
    pl.DataFrame({
      epoch: pl.Series("epoch", history.map((h) => h.epoch), pl.Int32),
      loss: pl.Series("loss", history.map((h) => h.loss), pl.Float64),
      lr: pl.Series("lr", history.map((h) => h.lr), pl.Float64),
      active_fraction: pl.Series("active_fraction", history.map((h) => h.activeFraction), pl.Float64),
      seconds: pl.Series("seconds", history.map((h) => h.seconds), pl.Float64),
      images_per_s: pl.Series("images_per_s", history.map((h) => h.imagesPerSecond), pl.Float64),
    }),
    path,
  );
}

/** A loaded checkpoint: the model, its training state and the optimizer's saved weights. */
export interface Checkpoint {
  model: tfl.LayersModel;
  state: CheckpointState;
  optimizer: NamedTensor[];
}

/** A run's last checkpoint: the model and the training state, or undefined if it has none. */
export async function loadCheckpoint(runDir: string): Promise<Checkpoint | undefined> {
  const dir = join(runDir, CHECKPOINT);
  await recoverDir(dir);
  let state: CheckpointState;
  try {
    state = JSON.parse(await Deno.readTextFile(join(dir, "state.json")));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new Error(
      `checkpoint ${dir}/state.json is unreadable: ${(e as Error).message}; ${startOver(runDir)}`,
    );
  }
  checkState(state, join(dir, "state.json"), runDir);
  const { model, optimizer } = await loadWeights(dir, runDir);
  return { model, state, optimizer };
}

/** What to do about a run folder whose checkpoint cannot be used. */
export function startOver(runDir: string): string {
  return `start the run over with --fresh (resume: false) or delete ${runDir}`;
}

/** The checkpoint's model and optimizer tensors; a damaged file is named, with what to do. */
async function loadWeights(dir: string, runDir: string): Promise<Omit<Checkpoint, "state">> {
  let model: tfl.LayersModel | undefined;
  try {
    model = await loadModel(dir);
    return { model, optimizer: await readTensors(dir, "optimizer") };
  } catch (e) {
    model?.dispose();
    throw new Error(`cannot load the checkpoint in ${dir}: ${(e as Error).message}; ${startOver(runDir)}`);
  }
}

/**
 * Throw an error naming `file` and the first field of state.json that is missing or of the wrong
 * type (a hand-edited, foreign or older file), so that resuming never fails deep inside the loop.
 */
export function checkState(state: unknown, file: string, runDir: string): asserts state is CheckpointState {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  const s = isObj(state) ? state : {};
  const d = isObj(s.data) ? s.data : {};
  const sched = isObj(s.schedule) ? s.schedule : {};
  const checks: [string, boolean, string][] = [
    ["", isObj(state), "a JSON object"],
    ["version", s.version === 1, "1"],
    ["config", isObj(s.config) && typeof s.config.model === "string", "a training config with a model"],
    ["epoch", isCount(s.epoch), "a non-negative integer"],
    ["rng", Array.isArray(s.rng) && s.rng.length === 4 && s.rng.every(Number.isInteger), "four integers"],
    ["schedule.lr", typeof sched.lr === "number" && sched.lr > 0, "a positive number"],
    ["schedule.best", typeof sched.best === "number" || sched.best === null, "a number"],
    ["schedule.wait", isCount(sched.wait), "a non-negative integer"],
    ["history", Array.isArray(s.history) && s.history.every(isObj), "an array of epoch rows"],
    ["history", !Array.isArray(s.history) || s.history.length === s.epoch, `one row per epoch (${s.epoch})`],
    ["data.n", isCount(d.n), "a non-negative integer"],
    ["data.classes", isCount(d.classes), "a non-negative integer"],
    ["data.hash", typeof d.hash === "string", "a string"],
  ];
  const bad = checks.find(([, ok]) => !ok);
  if (bad) {
    const [field, , want] = bad;
    const what = field === "" ? "is not a JSON object" : `has no valid "${field}" (expected ${want})`;
    throw new Error(`checkpoint ${file} ${what}; ${startOver(runDir)}`);
  }
}

/** Save model, optimizer and state as the run's checkpoint, replacing the previous one atomically. */
export async function saveCheckpoint(
  runDir: string,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  state: CheckpointState,
): Promise<void> {
  const dir = join(runDir, CHECKPOINT);
  const tmp = await freshTmpDir(dir);
  await model.save(folderSaveHandler(tmp));
  const opt = [...await optimizer.getWeights(), ...adamProducts(optimizer)];
  await writeTensors(tmp, "optimizer", opt);
  // getWeights returns the optimizer's own slot variables (keep) plus a fresh iteration count (free).
  for (const t of opt) if (!(t.tensor instanceof tf.Variable)) t.tensor.dispose();
  await Deno.writeTextFile(join(tmp, "state.json"), JSON.stringify(state));
  await commitDir(tmp, dir);
}

/**
 * Adam's running products β1^(t+1), β2^(t+1) (its bias corrections), as checkpoint entries; none for
 * SGD. A live run multiplies them step by step in float32, but tfjs's `Adam.setWeights` recomputes
 * them with `pow`, which differs in the last bit at some steps, and every later step inherits the
 * difference: a smoke Inception run killed after epochs 1 and 2 ended at loss 0.1866 instead of the
 * uninterrupted 0.1874. So the checkpoint keeps the products and {@link restoreOptimizer} puts them
 * back as they were (then the two runs' weights.bin are identical).
 */
function adamProducts(optimizer: tf.Optimizer): NamedTensor[] {
  const o = optimizer as unknown as Record<string, unknown>;
  return ADAM_PRODUCTS.filter((k) => o[k] instanceof tf.Variable)
    .map((k) => ({ name: `adam/${k}`, tensor: o[k] as tf.Variable }));
}
const ADAM_PRODUCTS = ["accBeta1", "accBeta2"] as const;

/** Put a checkpoint's optimizer state back: tfjs's own slots and step count, then Adam's products. */
export async function restoreOptimizer(optimizer: tf.Optimizer, saved: NamedTensor[]): Promise<void> {
  const products = saved.filter((t) => t.name.startsWith("adam/"));
  await optimizer.setWeights(saved.filter((t) => !t.name.startsWith("adam/")));
  // Checkpoints written before the products were saved keep setWeights's pow values.
  for (const live of adamProducts(optimizer)) {
    const t = products.find((p) => p.name === live.name);
    if (t) (live.tensor as tf.Variable).assign(t.tensor);
  }
}
