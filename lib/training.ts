/**
 * Online triplet training of the two FaceNet networks, made to be left running and trusted:
 * checkpoints after every epoch (atomic), exact resumption after a kill, a clear stop on a
 * diverging loss, a progress bar, a history CSV, and ++/+− distance snapshots for histograms.
 *
 * Definitions used throughout:
 * - A batch is P×K-sampled from the identities with ≥ 3 images (see sampler.ts), augmented
 *   (augment.ts), scaled as v/127.5 − 1 (embed.ts), and trained with plain SGD on the triplet loss.
 * - An epoch is `batchesPerEpoch` batches; with "pass" (the default) that is
 *   ceil(eligible images / batch size), i.e. about one pass over the training images.
 * - Learning rates follow the slides: Zeiler&Fergus steps down from 0.05 to 0.00015 in equal
 *   geometric steps at evenly spaced epochs; Inception starts at 0.01 and is divided by 10 when
 *   the epoch loss has not improved for `patience` epochs (Keras' ReduceLROnPlateau), down to 0.00003.
 * - Every random choice (batches, augmentation, dropout masks) comes from one seeded RNG whose
 *   state is checkpointed, so a resumed run repeats the uninterrupted one exactly.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import cliProgress from "cli-progress";
import pl from "nodejs-polars";
import { join } from "node:path";
import { displayPath, modelsRoot, type Profile, profile as activeProfile } from "./config.ts";
import { type FaceSet, selectFaces } from "./faceset.ts";
import { augmentBatch, type AugmentOptions } from "./augment.ts";
import { currentBackend } from "./backend.ts";
import { computeBatchGradientsAsync } from "./gpu/train_step.ts";
import { embed } from "./embed.ts";
import type { ModelOptions } from "./models/common.ts";
import { buildInception } from "./models/inception.ts";
import { buildZeilerFergus, ZF_DEFAULTS } from "./models/zeiler_fergus.ts";
import {
  commitDir,
  folderSaveHandler,
  freshTmpDir,
  loadModel,
  type NamedTensor,
  readTensors,
  recoverDir,
  writeTensors,
} from "./models/io.ts";
import { Rng, type RngState } from "./rng.ts";
import { PkSampler } from "./sampler.ts";
import { type Mining, tripletLoss } from "./triplet.ts";

export type ModelKind = "zf" | "inception";

export type LrSchedule =
  /** `stages` constant learning rates from `start` to `end` (geometric), each for an equal share of the epochs. */
  | { kind: "step"; start: number; end: number; stages: number }
  /** Keras' ReduceLROnPlateau on the epoch loss: multiply by `factor` after `patience` epochs without
   * an improvement of more than `minDelta`, never below `min`. */
  | { kind: "plateau"; start: number; min: number; factor: number; patience: number; minDelta: number };

export interface TrainConfig {
  model: ModelKind;
  /** Passed to the network builder (input size comes from the data). `width` < 1 for tiny test nets. */
  modelOptions: Omit<ModelOptions, "inputSize" | "seed"> & { dropout?: number; batchNormMomentum?: number };
  epochs: number;
  /** Batches per epoch, or "pass" for ceil(eligible images / batch size). */
  batchesPerEpoch: number | "pass";
  batchSize: number;
  /** At most K images per identity in a batch. */
  k: number;
  /** Identities need this many images to be trained on. */
  minImages: number;
  /** Train on only this many (randomly chosen, seeded) eligible identities; null = all. */
  maxIdentities: number | null;
  margin: number;
  mining: Mining;
  schedule: LrSchedule;
  /** "sgd" as in the slides (with `momentum` > 0: SGD with momentum), or "adam" (β1 0.9, β2 0.999):
   * scale-free steps, which leave the collapsed start of training much sooner than plain SGD does. */
  optimizer: "sgd" | "adam";
  /** With "sgd": 0 = plain SGD (the slides); > 0 = SGD with momentum. Ignored by "adam". */
  momentum: number;
  augment: AugmentOptions | false;
  seed: number;
  /** After which epochs to save ++/+− distances (0 = before training). */
  distanceEpochs: number[];
  /** Images embedded for a distance snapshot (whole identities, fixed across epochs). */
  distanceImages: number;
  /** At most this many ++ pairs and as many +− pairs per snapshot. */
  distancePairs: number;
  embedBatchSize: number;
  /** Images per forward/backward pass: a batch larger than this is processed in chunks whose
   * gradients add up to the batch's (see computeBatchGradients). "auto": 50 on wasm/cpu (a batch of
   * 200 96×96 images does not fit the wasm heap), the whole batch on native TensorFlow. */
  microBatch: number | "auto";
}

/** The slides' settings, scaled down for the `quick` and `smoke` profiles. */
export function trainingConfig(model: ModelKind, p: Profile = activeProfile()): TrainConfig {
  const zf = model === "zf";
  const base: TrainConfig = {
    model,
    modelOptions: {},
    epochs: zf ? 230 : 421,
    batchesPerEpoch: "pass",
    batchSize: 200,
    k: 4,
    minImages: 3,
    maxIdentities: null,
    margin: 0.2,
    mining: "semi-hard",
    schedule: zf
      ? { kind: "step", start: 0.05, end: 0.00015, stages: 6 }
      : { kind: "plateau", start: 0.01, min: 0.00003, factor: 0.1, patience: 10, minDelta: 1e-4 },
    optimizer: "sgd",
    momentum: 0,
    augment: { rotation: 10, shift: 0.1, zoom: 0.1, flip: true },
    seed: 42,
    distanceEpochs: zf ? [72, 230] : [90, 400],
    distanceImages: 2000,
    distancePairs: 10000,
    embedBatchSize: 64,
    microBatch: "auto",
  };
  if (p === "full") return base;
  // quick and smoke differ from the slides where a short run needs it (README, "quick vs full"):
  // - Adam at 1e-4 instead of plain SGD. Every embedding starts at almost the same point (ReLU features
  //   are all positive, so fc3 maps them to nearly one direction); plain SGD at the slides' rates needs
  //   far more than a short run's ~100 steps to leave that collapse. Adam at 1e-3 left it within 10
  //   steps but collapsed again by step 30 (loss 0.2000, the margin); 1e-4 did not.
  // - ZF without dropout. With drop1/drop2 at 0.5 the training-mode embeddings are spread by the dropout
  //   noise alone: after 60 steps the loss had not moved and the inference-mode embeddings were still
  //   collapsed (squared distances ~4e-5 against ~1.2 with dropout on).
  // - ZF's batch norms with momentum 0.9 instead of Keras' 0.99: their moving statistics start at mean 0
  //   and variance 1, far above the features' true variance, and 0.99 keeps too much of that start for
  //   the inference-mode embeddings (snapshots, notebooks) after only a few hundred updates.
  const adam = {
    optimizer: "adam" as const,
    momentum: 0,
    modelOptions: zf ? { batchNormMomentum: 0.9, dropout: 0 } : {},
  };
  if (p === "quick") {
    // ~20k training images per network: about 20 minutes each on 2 cores with the fast wasm gradients.
    return {
      ...base,
      ...adam,
      epochs: 10,
      batchesPerEpoch: 10,
      schedule: zf
        ? { kind: "step", start: 0.0001, end: 0.000025, stages: 3 }
        : { kind: "plateau", start: 0.0001, min: 0.00001, factor: 0.1, patience: 2, minDelta: 1e-4 },
      distanceEpochs: zf ? [3, 10] : [2, 10],
      distanceImages: 1000,
    };
  }
  // smoke: a few identities, two short epochs at a small batch — exercises every stage in CI.
  return {
    ...base,
    ...adam,
    epochs: 2,
    batchesPerEpoch: 2,
    batchSize: 24,
    k: 3,
    maxIdentities: 12,
    schedule: zf
      ? { kind: "step", start: 0.0001, end: 0.00001, stages: 2 }
      : { kind: "plateau", start: 0.0001, min: 0.00001, factor: 0.1, patience: 1, minDelta: 1e-4 },
    distanceEpochs: [1, 2],
    distanceImages: 36,
    distancePairs: 200,
    embedBatchSize: 36,
  };
}

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

/** Learning-rate schedule state (what ReduceLROnPlateau remembers between epochs). */
export interface ScheduleState {
  lr: number;
  best: number;
  wait: number;
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
  data: { n: number; classes: number; hash: string };
  /** Backend the run used last: FACENET_BACKEND's name (`wasm`, `webgpu`, …), or TensorFlow.js's
   * (`tensorflow`) in checkpoints written before the GPU routes. */
  backend: string;
  /** The device that computed (`CPU`, or the GPU), when known. */
  device?: string;
  /** Micro-batch size the last epoch used (batch norm's statistics are per micro-batch). */
  microBatchUsed?: number;
  savedAt: string;
}

export class TrainingDivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrainingDivergedError";
  }
}

/** Learning rate of epoch `epoch` (1-based) under a step schedule over `epochs` epochs. */
export function stepLearningRate(
  s: Extract<LrSchedule, { kind: "step" }>,
  epoch: number,
  epochs: number,
): number {
  if (s.stages <= 1) return s.start;
  const stage = Math.min(s.stages - 1, Math.floor(((epoch - 1) * s.stages) / epochs));
  return s.start * Math.pow(s.end / s.start, stage / (s.stages - 1));
}

/** Initial schedule state. */
export function initialSchedule(s: LrSchedule): ScheduleState {
  return { lr: s.start, best: Infinity, wait: 0 };
}

/** Schedule state for the next epoch, given the one just finished (1-based) and its loss. */
export function nextSchedule(
  s: LrSchedule,
  st: ScheduleState,
  epochDone: number,
  loss: number,
  epochs: number,
): ScheduleState {
  if (s.kind === "step") return { ...st, lr: stepLearningRate(s, epochDone + 1, epochs) };
  if (loss < st.best - s.minDelta) return { lr: st.lr, best: loss, wait: 0 };
  const wait = st.wait + 1;
  if (wait >= s.patience) return { lr: Math.max(s.min, st.lr * s.factor), best: st.best, wait: 0 };
  return { lr: st.lr, best: st.best, wait };
}

function buildModel(cfg: TrainConfig, inputSize: number): tfl.LayersModel {
  const o = { ...cfg.modelOptions, inputSize, seed: cfg.seed };
  return cfg.model === "zf" ? buildZeilerFergus(o) : buildInception(o);
}

/** A cheap fingerprint of a FaceSet (sizes, labels, a pixel sample). */
function fingerprint(f: FaceSet): CheckpointState["data"] {
  let h = 0x811c9dc5;
  const mix = (v: number) => (h = Math.imul(h ^ (v & 0xff), 0x01000193) >>> 0);
  for (let i = 0; i < f.n; i++) mix(f.labels[i]);
  for (let i = 0; i < f.pixels.length; i += 97) mix(f.pixels[i]);
  return { n: f.n, classes: f.classNames.length, hash: h.toString(16) };
}

/** The identities a run trains on: eligible ones, optionally a seeded random subset of them. */
function trainingFaces(faces: FaceSet, cfg: TrainConfig): FaceSet {
  const counts = new Map<number, number>();
  for (const l of faces.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  let eligible = [...counts.keys()].filter((l) => counts.get(l)! >= cfg.minImages).sort((a, b) => a - b);
  if (cfg.maxIdentities !== null && eligible.length > cfg.maxIdentities) {
    const rng = new Rng(cfg.seed ^ 0x1d5);
    eligible = rng.sample(eligible.length, cfg.maxIdentities).map((i) => eligible[i]).sort((a, b) => a - b);
  }
  const keep = new Set(eligible);
  const idx: number[] = [];
  for (let i = 0; i < faces.n; i++) if (keep.has(faces.labels[i])) idx.push(i);
  return idx.length === faces.n ? faces : selectFaces(faces, idx);
}

/** ++ and +− squared distances of one snapshot. */
export interface DistanceSnapshot {
  epoch: number;
  /** Anchor–positive (same identity) squared distances. */
  positive: number[];
  /** Anchor–negative (different identities) squared distances. */
  negative: number[];
}

function distanceFile(runDir: string, epoch: number): string {
  return join(runDir, "distances", `epoch_${String(epoch).padStart(4, "0")}.json`);
}

async function writeAtomic(path: string, data: string): Promise<void> {
  await Deno.writeTextFile(`${path}.tmp`, data);
  await Deno.rename(`${path}.tmp`, path);
}

/**
 * ++/+− squared distances on a fixed subset of the training identities: the same images and
 * pairs at every epoch (own seed), so snapshots are comparable.
 */
export function distanceSnapshot(
  model: tfl.LayersModel,
  faces: FaceSet,
  cfg: TrainConfig,
  epoch: number,
): DistanceSnapshot {
  const rng = new Rng(cfg.seed ^ 0xd15);
  const byLabel = new Map<number, number[]>();
  for (let i = 0; i < faces.n; i++) {
    const g = byLabel.get(faces.labels[i]) ?? [];
    g.push(i);
    byLabel.set(faces.labels[i], g);
  }
  const groups = [...byLabel.values()];
  const chosen: number[] = [];
  for (const gi of rng.sample(groups.length, groups.length)) {
    if (chosen.length + groups[gi].length > cfg.distanceImages && chosen.length > 0) continue;
    chosen.push(...groups[gi]);
  }
  chosen.sort((a, b) => a - b);
  const sub = selectFaces(faces, chosen);
  const e = embed(model, sub, { batchSize: cfg.embedBatchSize });
  const d = e.length / sub.n;
  const dist = (i: number, j: number) => {
    let s = 0;
    for (let t = 0; t < d; t++) {
      const v = e[i * d + t] - e[j * d + t];
      s += v * v;
    }
    return s;
  };
  const pos: [number, number][] = [];
  for (let i = 0; i < sub.n; i++) {
    for (let j = i + 1; j < sub.n; j++) if (sub.labels[i] === sub.labels[j]) pos.push([i, j]);
  }
  const posPairs = pos.length > cfg.distancePairs
    ? rng.sample(pos.length, cfg.distancePairs).map((i) => pos[i])
    : pos;
  const nNeg = Math.min(cfg.distancePairs, Math.max(posPairs.length, 1) * 1);
  const negative: number[] = [];
  if (sub.classNames.length > 1) {
    while (negative.length < nNeg) {
      const i = rng.int(sub.n);
      const j = rng.int(sub.n);
      if (sub.labels[i] !== sub.labels[j]) negative.push(dist(i, j));
    }
  }
  return { epoch, positive: posPairs.map(([i, j]) => dist(i, j)), negative };
}

/** Epochs for which a run has distance snapshots. */
export function listDistanceEpochs(runDir: string): number[] {
  try {
    return [...Deno.readDirSync(join(runDir, "distances"))]
      .map((e) => /^epoch_(\d+)\.json$/.exec(e.name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/** The ++/+− distances a run saved after `epoch`. */
export async function loadDistances(runDir: string, epoch: number): Promise<DistanceSnapshot> {
  const path = distanceFile(runDir, epoch);
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`no distance snapshot for epoch ${epoch} in ${runDir} (${(e as Error).message})`);
  }
}

/** Write history.csv (epoch, loss, lr, active_fraction, seconds, images_per_s) atomically. */
export function writeHistoryCsv(path: string, history: HistoryRow[]): void {
  const df = pl.DataFrame({
    epoch: pl.Series("epoch", history.map((h) => h.epoch), pl.Int32),
    loss: pl.Series("loss", history.map((h) => h.loss), pl.Float64),
    lr: pl.Series("lr", history.map((h) => h.lr), pl.Float64),
    active_fraction: pl.Series("active_fraction", history.map((h) => h.activeFraction), pl.Float64),
    seconds: pl.Series("seconds", history.map((h) => h.seconds), pl.Float64),
    images_per_s: pl.Series("images_per_s", history.map((h) => h.imagesPerSecond), pl.Float64),
  });
  df.writeCSV(`${path}.tmp`);
  Deno.renameSync(`${path}.tmp`, path);
}

const CHECKPOINT = "checkpoint";

/** A run's last checkpoint: the model and the training state, or undefined if it has none. */
export async function loadCheckpoint(
  runDir: string,
): Promise<{ model: tfl.LayersModel; state: CheckpointState; optimizer: NamedTensor[] } | undefined> {
  const dir = join(runDir, CHECKPOINT);
  await recoverDir(dir);
  let state: CheckpointState;
  try {
    state = JSON.parse(await Deno.readTextFile(join(dir, "state.json")));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`checkpoint ${dir}/state.json is unreadable: ${(e as Error).message}`);
  }
  const model = await loadModel(dir);
  const optimizer = await readTensors(dir, "optimizer");
  return { model, state, optimizer };
}

async function saveCheckpoint(
  runDir: string,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  state: CheckpointState,
): Promise<void> {
  const dir = join(runDir, CHECKPOINT);
  const tmp = await freshTmpDir(dir);
  await model.save(folderSaveHandler(tmp));
  const opt = await optimizer.getWeights();
  await writeTensors(tmp, "optimizer", opt);
  // getWeights returns the optimizer's own slot variables (keep) plus a fresh iteration count (free).
  for (const t of opt) if (!(t.tensor instanceof tf.Variable)) t.tensor.dispose();
  await Deno.writeTextFile(join(tmp, "state.json"), JSON.stringify(state));
  await commitDir(tmp, dir);
}

/** Config fields that must match to resume a run (epochs and the snapshot list may be extended). */
const RESUME_KEYS: (keyof TrainConfig)[] = [
  "model",
  "modelOptions",
  "batchesPerEpoch",
  "batchSize",
  "k",
  "minImages",
  "maxIdentities",
  "margin",
  "mining",
  "schedule",
  "optimizer",
  "momentum",
  "augment",
  "seed",
  "microBatch",
];

/** The optimizer `cfg` asks for, at the schedule's first learning rate. */
export function makeOptimizer(cfg: TrainConfig): tf.Optimizer {
  const lr = cfg.schedule.start;
  if (cfg.optimizer === "adam") return tf.train.adam(lr, 0.9, 0.999);
  if (cfg.optimizer !== "sgd") throw new Error(`unknown optimizer ${JSON.stringify(cfg.optimizer)}`);
  return cfg.momentum > 0 ? tf.train.momentum(lr, cfg.momentum) : tf.train.sgd(lr);
}

/** The optimizer and its schedule in words, e.g. "SGD 0.05 → 0.00015 in 6 steps". */
export function describeOptimizer(cfg: TrainConfig): string {
  const name = cfg.optimizer === "adam"
    ? "Adam"
    : cfg.momentum > 0
    ? `SGD, momentum ${cfg.momentum},`
    : "SGD";
  const s = cfg.schedule;
  return s.kind === "step"
    ? s.stages <= 1 || s.start === s.end
      ? `${name} ${s.start}`
      : `${name} ${s.start} → ${s.end} in ${s.stages} steps`
    : `${name} ${s.start}, ×${s.factor} on plateau (patience ${s.patience}) down to ${s.min}`;
}

/**
 * The settings table of a training run, as the notebooks show it: backend, data, batches, loss,
 * optimizer, (ZF) dropout and batch-norm momentum, augmentation, and time and mean throughput.
 * `identities` is the number of identities in the data (used when the config does not cap it).
 */
export function runSettings(
  run: { config: TrainConfig; history: HistoryRow[] },
  identities: number,
  backendSummary: string,
): { setting: string; value: string | number }[] {
  const cfg = run.config;
  const total = (f: (h: HistoryRow) => number) => run.history.reduce((s, h) => s + f(h), 0);
  const rows: { setting: string; value: string | number }[] = [
    { setting: "backend", value: backendSummary.split(" — ")[0].replace("TensorFlow.js backend: ", "") },
    { setting: "identities × images", value: `${cfg.maxIdentities ?? identities} × ≥ ${cfg.minImages}` },
    { setting: "epochs", value: cfg.epochs },
    {
      setting: "batches per epoch × batch size (K per person)",
      value: `${cfg.batchesPerEpoch} × ${cfg.batchSize} (K = ${cfg.k})`,
    },
    { setting: "loss", value: `triplet, ${cfg.mining}, margin ${cfg.margin}` },
    { setting: "optimizer, learning rate", value: describeOptimizer(cfg) },
  ];
  if (cfg.model === "zf") {
    const dropout = cfg.modelOptions.dropout ?? ZF_DEFAULTS.dropout;
    const momentum = cfg.modelOptions.batchNormMomentum ?? ZF_DEFAULTS.batchNormMomentum;
    rows.push({ setting: "dropout (drop1, drop2), batch-norm momentum", value: `${dropout}, ${momentum}` });
  }
  rows.push(
    {
      setting: "augmentation",
      value: cfg.augment ? Object.entries(cfg.augment).map(([k, v]) => `${k} ${v}`).join(", ") : "none",
    },
    {
      setting: "training time",
      value: `${(total((h) => h.seconds) / 60).toFixed(1)} min, ${
        (total((h) => h.imagesPerSecond) / run.history.length).toFixed(1)
      } images/s`,
    },
  );
  return rows;
}

/** Change the learning rate of an SGD, momentum or Adam optimizer. */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  // instanceof cannot tell them apart: tfjs optimizers override Symbol.hasInstance to duck typing.
  const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === "function") o.setLearningRate(lr);
  // Adam has no setter, but reads its (protected) learningRate field at every step.
  else o.learningRate = lr;
}

/** Micro-batch size of a run: the whole batch on a GPU backend (native TensorFlow, webgpu), 50 on
 * the others (200 96×96 images do not fit the wasm heap). */
export function microBatchFor(cfg: Pick<TrainConfig, "microBatch">, batchSize: number): number {
  if (cfg.microBatch !== "auto") return cfg.microBatch;
  return ["tensorflow", "webgpu"].includes(tf.getBackend()) ? batchSize : 50;
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

/** [start, end) ranges of at most `size` covering 0 … n. */
export function chunkRanges(n: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(n, s + size)]);
  return out;
}

/**
 * Loss and parameter gradients of one batch. With one chunk this is plain backpropagation of the
 * triplet loss. With several (micro-batches, to fit the wasm heap), the batch is embedded chunk by
 * chunk, triplets are mined on all embeddings together, the loss's gradient with respect to the
 * embeddings is taken, and each chunk is then re-run and backpropagated with its slice of that
 * gradient; the per-chunk gradients add up to the full-batch gradient exactly (same dropout seeds,
 * same chunks, so the re-run reproduces the embeddings). Batch norm then uses per-chunk statistics
 * ("ghost batch norm"); its moving averages are restored after the first pass so that they are
 * updated once per chunk, not twice. Consumes (disposes) `x`.
 */
export function computeBatchGradients(
  net: tfl.LayersModel,
  optimizer: tf.Optimizer,
  vars: tf.Variable[],
  x: tf.Tensor4D,
  labels: Int32Array,
  chunks: [number, number][],
  seeds: number[],
  cfg: TrainConfig,
): { loss: number; activeFraction: number; grads: tf.NamedTensorMap } {
  const slice = (c: [number, number]) => tf.slice(x, [c[0], 0, 0, 0], [c[1] - c[0], -1, -1, -1]);
  if (chunks.length === 1) {
    let activeFraction = 0;
    // The loss's value comes from the distances mining read (tripletLoss's `value`): reading the
    // loss tensor too would wait for the backward pass before the next batch can be prepared.
    let loss = 0;
    const { value, grads } = tf.tidy(() =>
      optimizer.computeGradients(() => {
        const emb = net.apply(x, { training: true, dropoutSeed: seeds[0] }) as tf.Tensor2D;
        const r = tripletLoss(labels, emb, cfg.margin, cfg.mining);
        activeFraction = r.activeFraction;
        loss = r.value;
        return r.loss;
      }, vars)
    );
    tf.dispose([value, x]);
    return { loss, activeFraction, grads };
  }
  const stats = net.nonTrainableWeights.map((w) => ({ w, saved: tf.clone(w.read()) }));
  const emb = tf.tidy(() =>
    tf.concat(
      chunks.map((c, i) => net.apply(slice(c), { training: true, dropoutSeed: seeds[i] }) as tf.Tensor2D),
    )
  );
  for (const { w, saved } of stats) {
    w.write(saved);
    saved.dispose();
  }
  let activeFraction = 0;
  let loss = 0;
  const gEmb = tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad((e: tf.Tensor) => {
      const r = tripletLoss(labels, e as tf.Tensor2D, cfg.margin, cfg.mining);
      activeFraction = r.activeFraction;
      loss = r.value;
      return r.loss;
    })(emb);
    value.dispose();
    return grad;
  });
  emb.dispose();
  let grads: tf.NamedTensorMap = {};
  chunks.forEach((c, i) => {
    const g = tf.tidy(() => {
      const upstream = tf.slice(gEmb, [c[0], 0], [c[1] - c[0], -1]);
      const xi = slice(c);
      return optimizer.computeGradients(
        () => tf.sum(tf.mul(net.apply(xi, { training: true, dropoutSeed: seeds[i] }) as tf.Tensor, upstream)),
        vars,
      ).grads;
    });
    if (i === 0) grads = g;
    else {
      for (const k of Object.keys(g)) {
        const sum = tf.add(grads[k], g[k]);
        tf.dispose([grads[k], g[k]]);
        grads[k] = sum;
      }
    }
  });
  tf.dispose([gEmb, x]);
  return { loss, activeFraction, grads };
}

export interface TrainOptions {
  /** Run name: checkpoints go to `modelsRoot()/<run>/` (default `<model>-<profile>`). */
  run?: string;
  /** Explicit run folder (overrides `run`). */
  runDir?: string;
  /** Profile whose config is the starting point (default: `FACENET_PROFILE`). */
  profile?: Profile;
  /** Overrides of the profile's config. */
  config?: Partial<TrainConfig>;
  /** Continue from the run's checkpoint if there is one (default true); false starts afresh. */
  resume?: boolean;
  /** Stop (as if killed) after this many epochs in this call; the run can be resumed later. */
  stopAfter?: number;
  /** Show a progress bar (default: when stderr is a terminal). */
  progress?: boolean;
  /** Where one line per epoch goes (default console.log; pass a no-op to silence). */
  log?: (line: string) => void;
}

export interface TrainResult {
  model: tfl.LayersModel;
  config: TrainConfig;
  history: HistoryRow[];
  runDir: string;
  /** Epochs completed in total (across resumptions). */
  epochsDone: number;
  /** Whether all `config.epochs` are done. */
  finished: boolean;
  /** Epoch the run resumed from (0 = started fresh). */
  resumedFrom: number;
}

interface ProgressBar {
  start(total: number, value: number, payload: Record<string, string | number>): void;
  update(value: number, payload: Record<string, string | number>): void;
  stop(): void;
}

/**
 * Train a network on a FaceSet with online triplet mining, resuming the run if it has a checkpoint.
 * The images must be square (the network's input size is taken from them).
 */
export async function train(model: ModelKind, faces: FaceSet, opts: TrainOptions = {}): Promise<TrainResult> {
  const prof = opts.profile ?? activeProfile();
  const cfg: TrainConfig = { ...trainingConfig(model, prof), ...opts.config, model };
  const log = opts.log ?? ((s: string) => console.log(s));
  if (faces.height !== faces.width) {
    throw new Error(`training needs square images, got ${faces.height}×${faces.width}`);
  }
  for (const k of ["epochs", "batchSize", "k"] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] < 1) {
      throw new RangeError(`config.${k} must be a positive integer, got ${cfg[k]}`);
    }
  }
  const runDir = opts.runDir ?? join(modelsRoot(), opts.run ?? `${model}-${prof}`);
  await Deno.mkdir(runDir, { recursive: true });

  const data = trainingFaces(faces, cfg);
  const sampler = new PkSampler(data.labels, {
    batchSize: cfg.batchSize,
    k: cfg.k,
    minImages: cfg.minImages,
  });
  const batches = cfg.batchesPerEpoch === "pass" ? sampler.batchesPerPass : cfg.batchesPerEpoch;
  const print = fingerprint(data);

  let net: tfl.LayersModel;
  let rng: Rng;
  let sched: ScheduleState;
  let history: HistoryRow[] = [];
  let epoch = 0;
  const optimizer = makeOptimizer(cfg);
  const ck = opts.resume === false ? undefined : await loadCheckpoint(runDir);
  if (ck) {
    const diff = RESUME_KEYS.filter((k) => JSON.stringify(ck.state.config[k]) !== JSON.stringify(cfg[k]));
    if (diff.length) {
      ck.model.dispose();
      throw new Error(
        `cannot resume ${runDir}: its config differs in ${
          diff.map((k) => `${k} (was ${JSON.stringify(ck.state.config[k])}, now ${JSON.stringify(cfg[k])})`)
            .join(", ")
        }; ` +
          `use another run name or resume: false`,
      );
    }
    if (JSON.stringify(ck.state.data) !== JSON.stringify(print)) {
      ck.model.dispose();
      throw new Error(
        `cannot resume ${runDir}: it was trained on different data (${JSON.stringify(ck.state.data)} vs ${
          JSON.stringify(print)
        })`,
      );
    }
    const moved = backendChange(ck.state, cfg, sampler.effectiveBatchSize);
    if (moved) log(moved);
    net = ck.model;
    await optimizer.setWeights(ck.optimizer);
    tf.dispose(ck.optimizer.map((t) => t.tensor)); // setWeights copied them into its own variables
    rng = Rng.fromState(ck.state.rng);
    sched = ck.state.schedule;
    history = ck.state.history;
    epoch = ck.state.epoch;
    log(
      epoch >= cfg.epochs
        ? `Loaded the finished run ${displayPath(runDir)} (${epoch}/${cfg.epochs} epochs)`
        : `Resuming ${displayPath(runDir)} after epoch ${epoch} of ${cfg.epochs}`,
    );
  } else {
    net = buildModel(cfg, data.height);
    rng = new Rng(cfg.seed ^ 0x7a1);
    sched = initialSchedule(cfg.schedule);
    if (cfg.schedule.kind === "step") sched.lr = stepLearningRate(cfg.schedule, 1, cfg.epochs);
  }
  const resumedFrom = epoch;
  if (epoch < cfg.epochs) {
    log(
      `Training ${net.name} on ${data.n} images of ${sampler.identities} identities: ` +
        `${batches} batches of ${sampler.effectiveBatchSize} per epoch, epochs ${
          epoch + 1
        }…${cfg.epochs}, run ${displayPath(runDir)}`,
    );
  }

  const snapshot = async (e: number) => {
    const snap = distanceSnapshot(net, data, cfg, e);
    await Deno.mkdir(join(runDir, "distances"), { recursive: true });
    await writeAtomic(distanceFile(runDir, e), JSON.stringify(snap));
  };
  if (epoch === 0 && cfg.distanceEpochs.includes(0)) await snapshot(0);

  const vars = net.trainableWeights.map((w) => w.read() as tf.Variable);
  const micro = microBatchFor(cfg, sampler.effectiveBatchSize);
  // webgpu cannot read tensors synchronously in Deno (lib/gpu/train_step.ts).
  const asyncReads = tf.getBackend() === "webgpu";
  const showBar = opts.progress ?? Deno.stderr.isTerminal();
  const bar: ProgressBar | undefined = showBar
    ? new cliProgress.SingleBar({
      format:
        "epoch {epoch}/{epochs} |{bar}| {value}/{total} | loss {loss} | lr {lr} | active {active} | {ips} img/s",
      noTTYOutput: true,
      notTTYSchedule: 10000,
      hideCursor: true,
    }, cliProgress.Presets.shades_classic)
    : undefined;
  const stopAt = opts.stopAfter === undefined ? cfg.epochs : Math.min(cfg.epochs, epoch + opts.stopAfter);

  while (epoch < stopAt) {
    const e = epoch + 1;
    setLearningRate(optimizer, sched.lr);
    let lossSum = 0;
    let activeSum = 0;
    let images = 0;
    const t0 = performance.now();
    bar?.start(batches, 0, {
      epoch: e,
      epochs: cfg.epochs,
      loss: "-",
      lr: sched.lr.toPrecision(3),
      active: "-",
      ips: "-",
    });
    // The next batch (sampling, augmentation in JavaScript) is prepared while the device computes
    // the current one: on webgpu while the forward pass runs, elsewhere right after the step. The
    // random draws happen in the same order as batch by batch, and never across an epoch's end, so
    // runs and checkpoints are unchanged.
    const prepare = () => {
      // Shuffled so that micro-batch chunks (and their batch-norm statistics) mix identities.
      const idx = rng.shuffle(sampler.nextBatch(rng));
      const xs = augmentBatch(data, idx, rng, cfg.augment);
      const chunks = chunkRanges(idx.length, micro);
      const seeds = chunks.map(() => rng.uint32());
      const labels = Int32Array.from(idx, (i) => data.labels[i]);
      return { idx, xs, chunks, seeds, labels };
    };
    let next = prepare();
    for (let b = 0; b < batches; b++) {
      const { idx, xs, chunks, seeds, labels } = next;
      const prefetch = () => {
        if (b + 1 < batches) next = prepare();
      };
      const x = tf.tensor4d(xs, [idx.length, data.height, data.width, 1]);
      const { loss, activeFraction: active, grads } = asyncReads
        ? await computeBatchGradientsAsync(net, optimizer, vars, x, labels, chunks, seeds, cfg, prefetch)
        : computeBatchGradients(net, optimizer, vars, x, labels, chunks, seeds, cfg);
      if (!asyncReads) prefetch();
      if (!Number.isFinite(loss)) {
        tf.dispose(grads);
        bar?.stop();
        const last = epoch > 0
          ? `the last good checkpoint (epoch ${epoch}) is kept in ${join(runDir, CHECKPOINT)}`
          : "no checkpoint was written yet";
        throw new TrainingDivergedError(
          `training diverged: the loss became ${loss} at epoch ${e}, batch ${
            b + 1
          } (learning rate ${sched.lr}); ` +
            `the run stopped and ${last}. Lower the learning rate or check the input data.`,
        );
      }
      optimizer.applyGradients(grads);
      tf.dispose(grads);
      lossSum += loss;
      activeSum += active;
      images += idx.length;
      const secs = (performance.now() - t0) / 1000;
      bar?.update(b + 1, {
        loss: (lossSum / (b + 1)).toFixed(4),
        active: (activeSum / (b + 1)).toFixed(3),
        ips: (images / secs).toFixed(1),
      });
    }
    bar?.stop();
    const seconds = (performance.now() - t0) / 1000;
    const row: HistoryRow = {
      epoch: e,
      loss: lossSum / batches,
      lr: sched.lr,
      activeFraction: activeSum / batches,
      seconds,
      imagesPerSecond: images / seconds,
    };
    history = [...history, row];
    sched = nextSchedule(cfg.schedule, sched, e, row.loss, cfg.epochs);
    epoch = e;
    await saveCheckpoint(runDir, net, optimizer, {
      version: 1,
      config: cfg,
      epoch,
      rng: rng.getState(),
      schedule: sched,
      history,
      data: print,
      backend: currentBackend()?.choice ?? tf.getBackend(),
      device: currentBackend()?.device,
      microBatchUsed: micro,
      savedAt: new Date().toISOString(),
    });
    writeHistoryCsv(join(runDir, "history.csv"), history);
    if (cfg.distanceEpochs.includes(e)) await snapshot(e);
    log(
      `epoch ${e}/${cfg.epochs}  loss ${row.loss.toFixed(4)}  lr ${row.lr.toPrecision(3)}  ` +
        `active ${row.activeFraction.toFixed(3)}  ${row.imagesPerSecond.toFixed(1)} img/s  ${
          seconds.toFixed(1)
        } s`,
    );
  }
  optimizer.dispose();
  // tfjs 4.22's MomentumOptimizer.dispose forgets SGD's learning-rate scalar; a second dispose is a no-op.
  (optimizer as unknown as { c?: tf.Tensor }).c?.dispose();
  return {
    model: net,
    config: cfg,
    history,
    runDir,
    epochsDone: epoch,
    finished: epoch >= cfg.epochs,
    resumedFrom,
  };
}
