/**
 * Online triplet training of the two FaceNet networks, made to be left running and trusted:
 * checkpoints after every epoch (atomic), exact resumption after a kill, a clear stop on a
 * diverging loss, a progress bar, a history CSV, and ++/+− distance snapshots for histograms.
 *
 * A run starts fresh (startRun) or from its checkpoint (resumeRun), then runs epochs (runEpoch, one
 * batch at a time in trainBatch) until done or stopped. Every random choice (batches, augmentation,
 * dropout masks) comes from one seeded RNG whose state is checkpointed, so a resumed run repeats the
 * uninterrupted one exactly. The settings and their definitions are in config.ts.
 *
 * The next batch (sampling, augmentation in JavaScript) is prepared while the device computes the
 * current one: on webgpu while the forward pass runs (lib/gpu/train_step.ts), elsewhere right after
 * the step. The random draws happen in the same order as batch by batch, and never across an epoch's
 * end, so runs and checkpoints are unchanged.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import cliProgress from "cli-progress";
import { join } from "node:path";
import { currentBackend } from "../backend.ts";
import { type CodeVersion, type GitState, gitStateOrNull, noteCodeVersion } from "../code_version.ts";
import { displayPath, type Profile, profile as activeProfile } from "../config.ts";
import { type FaceSet, selectFaces } from "../data/faceset.ts";
import { computeBatchGradientsAsync } from "../gpu/train_step.ts";
import { dataDependentInit } from "../models/data_init.ts";
import { inputTensor } from "../models/embed.ts";
import { buildNetwork } from "../models/networks.ts";
import { Rng } from "../rng.ts";
import { augmentBatch } from "./augment.ts";
import {
  backendChange,
  CHECKPOINT,
  type Checkpoint,
  type DataFingerprint,
  type EarlierSchedule,
  fingerprint,
  type HistoryRow,
  loadCheckpoint,
  restoreOptimizer,
  type RunWarning,
  saveCheckpoint,
  writeHistoryCsv,
} from "./checkpoint.ts";
import { collapseLevel, collapseMessage, detectCollapse, STALL_RULE, stallMessage } from "./collapse.ts";
import { checkConfig, type ModelKind, resumeConflicts, type TrainConfig, trainingConfig } from "./config.ts";
import { heldOutLabels, withoutHeldOutImages } from "./heldout.ts";
import { lockRunDir, runFolder } from "./run_dir.ts";
import { type BatchSampler, PkSampler, RandomSampler, trainingIdentities } from "./sampler.ts";
import {
  disposeOptimizer,
  extendsSchedule,
  initialSchedule,
  makeOptimizer,
  nextSchedule,
  perBatchSchedule,
  type ScheduleState,
  setLearningRate,
  stepLearningRate,
  warmupExpRate,
} from "./schedule.ts";
import { saveDistanceSnapshot } from "./snapshots.ts";
import { chunkRanges, computeBatchGradients, microBatchFor } from "./step.ts";

export class TrainingDivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrainingDivergedError";
  }
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
  /** Wall-clock budget of this call in seconds: no epoch is started that would end after it, judging by
   * the last epoch's time in this call (0 before the first), counted from the call's start. */
  timeLimitSeconds?: number;
  /** Show a progress bar (default: when stderr is a terminal). */
  progress?: boolean;
  /** Where one line per epoch goes (default console.log; pass a no-op to silence). */
  log?: (line: string) => void;
  /** Where a warning about the run (a collapse to the margin, collapse.ts) goes (default console.warn). */
  warn?: (line: string) => void;
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

/** What stays fixed during a run. */
interface Run {
  cfg: TrainConfig;
  runDir: string;
  /** The training identities' images. */
  data: FaceSet;
  sampler: BatchSampler;
  batchesPerEpoch: number;
  print: DataFingerprint;
  optimizer: tf.Optimizer;
  log: (line: string) => void;
  warn: (line: string) => void;
  /** The code this process trains with (null where git cannot tell). */
  code: GitState | null;
}

/** What changes from epoch to epoch (and is checkpointed). */
interface RunState {
  net: tfl.LayersModel;
  rng: Rng;
  sched: ScheduleState;
  history: HistoryRow[];
  /** Epochs completed. */
  epoch: number;
  /** Warnings given so far (each kind once per run). */
  warnings: RunWarning[];
  /** The code that trained it so far (lib/code_version.ts). */
  code: CodeVersion[];
  /** Learning-rate plans it trained under before its plan was lengthened (checkpoint.ts). */
  earlierSchedules: EarlierSchedule[];
}

/** Per-epoch machinery: trainable variables, micro-batch size, read mode, progress bar. */
interface Stepper {
  vars: tf.Variable[];
  micro: number;
  /** Read tensors asynchronously: webgpu cannot read synchronously in Deno (lib/gpu/train_step.ts). */
  asyncReads: boolean;
  bar?: ProgressBar;
}

/** One batch, sampled and augmented, with its micro-batch chunks and their dropout seeds. */
interface Batch {
  idx: Int32Array;
  xs: Float32Array;
  chunks: [number, number][];
  seeds: number[];
  labels: Int32Array;
}

/**
 * Train a network on a FaceSet with online triplet mining, resuming the run if it has a checkpoint.
 * The images must be square (the network's input size is taken from them).
 */
export async function train(model: ModelKind, faces: FaceSet, opts: TrainOptions = {}): Promise<TrainResult> {
  const started = performance.now();
  const prof = opts.profile ?? activeProfile();
  const cfg: TrainConfig = { ...trainingConfig(model, prof), ...opts.config, model };
  if (faces.height !== faces.width) {
    throw new Error(`training needs square images, got ${faces.height}×${faces.width}`);
  }
  checkConfig(cfg);
  const runDir = opts.runDir ?? runFolder(opts.run ?? `${model}-${prof}`);
  await Deno.mkdir(runDir, { recursive: true });
  using _lock = lockRunDir(runDir, opts.log);
  const data = trainingFaces(faces, cfg);
  const sampler: BatchSampler = cfg.batches === "random"
    ? new RandomSampler(data.labels, { batchSize: cfg.batchSize, minImages: cfg.minImages })
    : new PkSampler(data.labels, { batchSize: cfg.batchSize, k: cfg.k, minImages: cfg.minImages });
  const run: Run = {
    cfg,
    runDir,
    data,
    sampler,
    batchesPerEpoch: cfg.batchesPerEpoch === "pass" ? sampler.batchesPerPass : cfg.batchesPerEpoch,
    print: fingerprint(data),
    optimizer: makeOptimizer(cfg),
    log: opts.log ?? ((s: string) => console.log(s)),
    warn: opts.warn ?? ((s: string) => console.warn(s)),
    code: await gitStateOrNull(),
  };
  const ck = opts.resume === false ? undefined : await loadCheckpoint(runDir);
  const st = ck ? await resumeRun(run, ck) : startRun(run);
  const resumedFrom = st.epoch;
  if (st.epoch < cfg.epochs) {
    run.log(
      `Training ${st.net.name} on ${data.n} images of ${sampler.identities} identities: ` +
        `${run.batchesPerEpoch} ${
          cfg.batches === "random" ? "random " : ""
        }batches of ${sampler.effectiveBatchSize} per epoch, epochs ${st.epoch + 1}…${cfg.epochs}, run ${
          displayPath(runDir)
        }`,
    );
  }
  if (st.epoch === 0 && cfg.distanceEpochs.includes(0)) {
    await saveDistanceSnapshot(runDir, st.net, data, cfg, 0);
  }
  const stepper = makeStepper(run, st.net, opts.progress ?? Deno.stderr.isTerminal());
  const stopAt = opts.stopAfter === undefined ? cfg.epochs : Math.min(cfg.epochs, st.epoch + opts.stopAfter);
  const limit = opts.timeLimitSeconds ?? Infinity;
  let lastEpoch = 0;
  while (st.epoch < stopAt) {
    if ((performance.now() - started) / 1000 + lastEpoch > limit) {
      run.log(`Stopped after epoch ${st.epoch}: the next epoch would end after the ${limit} s time limit`);
      break;
    }
    const t = performance.now();
    await runEpoch(run, st, stepper);
    lastEpoch = (performance.now() - t) / 1000;
  }
  disposeOptimizer(run.optimizer);
  return {
    model: st.net,
    config: cfg,
    history: st.history,
    runDir,
    epochsDone: st.epoch,
    finished: st.epoch >= cfg.epochs,
    resumedFrom,
  };
}

/**
 * The images a run with `cfg` trains on, out of `faces`: the identities with ≥ `minImages` images (at
 * most `maxIdentities`), less the held-out identities (`heldOut`) and held-out images (`heldOutImages`).
 * Its fingerprint is the run's `data`; exported so that an evaluation can rebuild exactly what a
 * checkpoint saw (lib/verify/view1_eval.ts, lib/reference/network.ts).
 */
export function trainingFaces(faces: FaceSet, cfg: TrainConfig): FaceSet {
  const exclude = cfg.heldOut ? heldOutLabels(faces, cfg.heldOut) : undefined;
  const identities = trainingIdentities(faces, cfg.minImages, cfg.maxIdentities, cfg.seed, exclude);
  return cfg.heldOutImages ? withoutHeldOutImages(identities, cfg.heldOutImages) : identities;
}

/** A fresh network (data-initialised if the config asks) and RNG, at the schedule's first learning rate. */
function startRun(run: Run): RunState {
  const { cfg } = run;
  const net = buildNetwork(cfg.model, { ...cfg.modelOptions, inputSize: run.data.height, seed: cfg.seed });
  if (cfg.dataInit) initFromData(run, net, cfg.dataInit);
  const sched = initialSchedule(cfg.schedule);
  if (cfg.schedule.kind === "step") sched.lr = stepLearningRate(cfg.schedule, 1, cfg.epochs);
  if (perBatchSchedule(cfg.schedule)) sched.lr = warmupExpRate(cfg.schedule, 1);
  return {
    net,
    rng: new Rng(cfg.seed ^ 0x7a1),
    sched,
    history: [],
    epoch: 0,
    warnings: [],
    code: [],
    earlierSchedules: [],
  };
}

/** Data-dependent initialisation of `net` on training images drawn with the run's seed. */
function initFromData(run: Run, net: tfl.LayersModel, spec: NonNullable<TrainConfig["dataInit"]>): void {
  const n = Math.min(spec.images, run.data.n);
  const pick = new Rng(run.cfg.seed ^ 0xda7a).sample(run.data.n, n).sort((a, b) => a - b);
  const x = inputTensor(selectFaces(run.data, pick));
  try {
    const layers = dataDependentInit(net, x, { layers: spec.layers });
    const last = layers[layers.length - 1];
    run.log(
      `Data-dependent initialisation on ${n} training images: ${layers.length} layers standardised ` +
        `(${
          spec.layers === "conv" ? "convolutions only; " : ""
        }the last, ${last.layer}, had pre-activations ` +
        `of mean RMS ${last.meanBefore.toExponential(1)} and std ${last.stdBefore.toExponential(1)})`,
    );
  } finally {
    x.dispose();
  }
}

/** The run's state from its checkpoint; refused (with the reason) for another config or other data. */
async function resumeRun(run: Run, ck: Checkpoint): Promise<RunState> {
  const { cfg, runDir } = run;
  const was = ck.state.config.schedule;
  const steps = ck.state.epoch * run.batchesPerEpoch; // batchesPerEpoch must match to resume
  const lengthened = JSON.stringify(was) !== JSON.stringify(cfg.schedule) &&
    extendsSchedule(was, cfg.schedule, steps);
  const diff = resumeConflicts(ck.state.config, lengthened ? { ...cfg, schedule: was } : cfg);
  const refuse = (why: string) => {
    ck.model.dispose();
    return new Error(`cannot resume ${runDir}: ${why}`);
  };
  const again = "start over with --fresh (resume: false) or use another --run";
  if (diff.length) throw refuse(`its config differs in ${diff.join(", ")}; ${again}`);
  if (JSON.stringify(ck.state.data) !== JSON.stringify(run.print)) {
    const [was, now] = [ck.state.data, run.print].map((d) => JSON.stringify(d));
    throw refuse(
      `it was trained on different data (${was} vs ${now}); start over with --fresh (resume: false), use ` +
        `another --run, or train on the data it was trained on (same FACENET_DATA, minImages, maxIdentities)`,
    );
  }
  const moved = backendChange(ck.state, cfg, run.sampler.effectiveBatchSize);
  if (moved) run.log(moved);
  await restoreOptimizer(run.optimizer, ck.optimizer);
  tf.dispose(ck.optimizer.map((t) => t.tensor)); // copied into the optimizer's own variables
  const epoch = ck.state.epoch;
  run.log(
    epoch >= cfg.epochs
      ? `Loaded the finished run ${displayPath(runDir)} (${epoch}/${cfg.epochs} epochs)`
      : `Resuming ${displayPath(runDir)} after epoch ${epoch} of ${cfg.epochs}`,
  );
  const { rng, schedule, history, warnings = [], code = [], earlierSchedules = [] } = ck.state;
  if (lengthened) {
    run.log(
      `Its learning-rate plan changes from ${JSON.stringify(was)} to ${JSON.stringify(cfg.schedule)}: ` +
        `the ${steps} batches trained so far had the same rates under both`,
    );
  }
  return {
    net: ck.model,
    rng: Rng.fromState(rng),
    sched: schedule,
    history,
    epoch,
    warnings,
    code,
    earlierSchedules: lengthened ? [...earlierSchedules, { schedule: was, epoch }] : earlierSchedules,
  };
}

function makeStepper(run: Run, net: tfl.LayersModel, showBar: boolean): Stepper {
  const micro = microBatchFor(run.cfg, run.sampler.effectiveBatchSize);
  const bar: ProgressBar | undefined = showBar
    ? new cliProgress.SingleBar({
      format:
        "epoch {epoch}/{epochs} |{bar}| {value}/{total} | loss {loss} | lr {lr} | active {active} | {ips} img/s",
      noTTYOutput: true,
      notTTYSchedule: 10000,
      hideCursor: true,
    }, cliProgress.Presets.shades_classic)
    : undefined;
  const vars = net.trainableWeights.map((w) => w.read() as tf.Variable);
  return { vars, micro, asyncReads: tf.getBackend() === "webgpu", bar };
}

/** Train one epoch, then checkpoint, write the history and (if asked for) a distance snapshot. */
async function runEpoch(run: Run, st: RunState, stepper: Stepper): Promise<void> {
  const { cfg, batchesPerEpoch: batches } = run;
  const e = st.epoch + 1;
  const { bar } = stepper;
  const perBatch = perBatchSchedule(cfg.schedule) ? cfg.schedule : undefined;
  if (perBatch) st.sched = { ...st.sched, lr: warmupExpRate(perBatch, st.epoch * batches + 1) };
  const epochLr = st.sched.lr;
  setLearningRate(run.optimizer, st.sched.lr);
  let lossSum = 0;
  let activeSum = 0;
  let images = 0;
  const t0 = performance.now();
  const lr = st.sched.lr.toPrecision(3);
  bar?.start(batches, 0, { epoch: e, epochs: cfg.epochs, loss: "-", lr, active: "-", ips: "-" });
  let next = prepareBatch(run, st, stepper);
  for (let b = 0; b < batches; b++) {
    const batch = next;
    const prefetch = () => {
      if (b + 1 < batches) next = prepareBatch(run, st, stepper);
    };
    if (perBatch && b > 0) {
      st.sched = { ...st.sched, lr: warmupExpRate(perBatch, st.epoch * batches + b + 1) };
      setLearningRate(run.optimizer, st.sched.lr);
    }
    await yieldToEventLoop();
    const r = await trainBatch(run, st, stepper, b, batch, prefetch);
    lossSum += r.loss;
    activeSum += r.activeFraction;
    images += r.images;
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
    lr: epochLr,
    activeFraction: activeSum / batches,
    seconds,
    imagesPerSecond: images / seconds,
  };
  st.history = [...st.history, row];
  st.sched = nextSchedule(cfg.schedule, st.sched, e, row.loss, cfg.epochs);
  if (perBatch) st.sched = { ...st.sched, lr: warmupExpRate(perBatch, e * batches + 1) };
  st.epoch = e;
  st.code = noteCodeVersion(st.code, run.code, e);
  checkCollapse(run, st);
  await saveCheckpoint(run.runDir, st.net, run.optimizer, {
    version: 1,
    config: cfg,
    epoch: e,
    rng: st.rng.getState(),
    schedule: st.sched,
    history: st.history,
    data: run.print,
    backend: currentBackend()?.choice ?? tf.getBackend(),
    device: currentBackend()?.device,
    microBatchUsed: stepper.micro,
    ...(st.warnings.length ? { warnings: st.warnings } : {}),
    ...(st.code.length ? { code: st.code } : {}),
    ...(st.earlierSchedules.length ? { earlierSchedules: st.earlierSchedules } : {}),
    savedAt: new Date().toISOString(),
  });
  writeHistoryCsv(join(run.runDir, "history.csv"), st.history);
  if (cfg.distanceEpochs.includes(e)) await saveDistanceSnapshot(run.runDir, st.net, run.data, cfg, e);
  run.log(
    `epoch ${e}/${cfg.epochs}  loss ${row.loss.toFixed(4)}  lr ${row.lr.toPrecision(3)}  ` +
      `active ${row.activeFraction.toFixed(3)}  ${row.imagesPerSecond.toFixed(1)} img/s  ${
        seconds.toFixed(1)
      } s`,
  );
}

/** Warn (once per run, kept in the checkpoint's state) when the epoch losses sit at the collapse level,
 * or, short of that, stall near it (collapse.ts). */
function checkCollapse(run: Run, st: RunState): void {
  if (st.warnings.some((w) => w.kind === "collapse")) return;
  const losses = st.history.map((h) => h.loss);
  const level = collapseLevel(run.cfg);
  const c = detectCollapse(losses, level);
  const stalled = c || st.warnings.some((w) => w.kind === "stall")
    ? undefined
    : detectCollapse(losses, level, STALL_RULE);
  if (!c && !stalled) return;
  const kind = c ? "collapse" : "stall";
  const message = c ? collapseMessage(c, run.cfg) : stallMessage(stalled!, run.cfg);
  st.warnings = [...st.warnings, { kind, epoch: st.epoch, message }];
  run.warn(`Warning (${displayPath(run.runDir)}, epoch ${st.epoch}): ${message}`);
}

/**
 * Let the event loop poll for signals once: a batch's own awaits settle as microtasks, so without this a
 * Ctrl-C or SIGTERM (whose handler removes the run's lock and exits, run_dir.ts) waited for the epoch's
 * checkpoint writes: a SIGTERM sent to an Inception reference run was still pending 45 s later. The wait is
 * 1 ms, not 0: a 0-ms timer is due at once, and the runtime need not stop to look for signals; with it an
 * Inception reference run went on for 50 s and more (a dozen batches) after SIGTERM and then SIGINT, and in
 * a second try the first batch boundary after the signal passed without it being handled. With 1 ms it was
 * handled at the first boundary (both measured with this machine's other core busy).
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1));
}

/** Sample and augment the next batch, and draw its chunks' dropout seeds. */
function prepareBatch(run: Run, st: RunState, stepper: Stepper): Batch {
  const { data, cfg } = run;
  const { rng } = st;
  // Shuffled so that micro-batch chunks (and their batch-norm statistics) mix identities.
  const idx = rng.shuffle(run.sampler.nextBatch(rng));
  const xs = augmentBatch(data, idx, rng, cfg.augment);
  const chunks = chunkRanges(idx.length, stepper.micro);
  const seeds = chunks.map(() => rng.uint32());
  const labels = Int32Array.from(idx, (i) => data.labels[i]);
  return { idx, xs, chunks, seeds, labels };
}

/**
 * Train batch `b` of the next epoch; `prefetch` prepares the following batch while (webgpu) or right
 * after (elsewhere) the device computes this one. A non-finite loss stops the run.
 */
async function trainBatch(
  run: Run,
  st: RunState,
  stepper: Stepper,
  b: number,
  batch: Batch,
  prefetch: () => void,
): Promise<{ loss: number; activeFraction: number; images: number }> {
  const { data, cfg, optimizer } = run;
  const { idx, xs, chunks, seeds, labels } = batch;
  const x = tf.tensor4d(xs, [idx.length, data.height, data.width, 1]);
  const args = [st.net, optimizer, stepper.vars, x, labels, chunks, seeds, cfg] as const;
  const { loss, activeFraction, grads } = stepper.asyncReads
    ? await computeBatchGradientsAsync(...args, prefetch)
    : computeBatchGradients(...args);
  if (!stepper.asyncReads) prefetch();
  if (!Number.isFinite(loss)) {
    tf.dispose(grads);
    stepper.bar?.stop();
    const last = st.epoch > 0
      ? `the last good checkpoint (epoch ${st.epoch}) is kept in ${join(run.runDir, CHECKPOINT)}`
      : "no checkpoint was written yet";
    throw new TrainingDivergedError(
      `training diverged: the loss became ${loss} at epoch ${st.epoch + 1}, batch ${b + 1} ` +
        `(learning rate ${st.sched.lr}); the run stopped and ${last}. Lower the learning rate or check the input data.`,
    );
  }
  optimizer.applyGradients(grads);
  tf.dispose(grads);
  return { loss, activeFraction, images: idx.length };
}
