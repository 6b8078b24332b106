/**
 * What a training run is asked to do (TrainConfig) and the slides' settings per network; the `quick`
 * and `smoke` profiles change them as the table in lib/profiles.ts says.
 *
 * Definitions used throughout:
 * - A batch is P×K-sampled from the identities with ≥ 3 images (see sampler.ts), augmented
 *   (augment.ts), scaled as v/127.5 − 1 (models/embed.ts), and trained with plain SGD on the triplet loss.
 * - An epoch is `batchesPerEpoch` batches; with "pass" (the default) that is
 *   ceil(eligible images / batch size), i.e. about one pass over the training images.
 * - Learning rates follow the slides: Zeiler&Fergus steps down from 0.05 to 0.00015 in equal
 *   geometric steps at evenly spaced epochs; Inception starts at 0.01 and is divided by 10 when
 *   the epoch loss has not improved for `patience` epochs (Keras' ReduceLROnPlateau), down to 0.00003.
 */
import { type Profile, profile as activeProfile } from "../config.ts";
import type { ModelKind, NetworkOptions } from "../models/networks.ts";
import { PROFILE_SETTINGS } from "../profiles.ts";
import { SLIDES, SLIDES_NETWORKS } from "../slides/numbers.ts";
import type { AugmentOptions } from "./augment.ts";
import type { HeldOutImagesSpec, HeldOutSpec } from "./heldout.ts";
import type { LossOptions, Mining } from "./triplet.ts";

export type { ModelKind };

export type LrSchedule =
  /** `stages` constant learning rates from `start` to `end` (geometric), each for an equal share of the epochs. */
  | { kind: "step"; start: number; end: number; stages: number }
  /** Keras' ReduceLROnPlateau on the epoch loss: multiply by `factor` after `patience` epochs without
   * an improvement of more than `minDelta`, never below `min`. */
  | { kind: "plateau"; start: number; min: number; factor: number; patience: number; minDelta: number }
  /** Per batch: warm-up, constant, exponential decay, optionally restarting (WarmupExpSchedule). */
  | WarmupExpSchedule;

/** Per batch (step t = 1, 2, … over the whole run): linear warm-up start·t/warmupSteps up to step
 * `warmupSteps`, then `start` up to step `decayStart`, then exponential decay reaching `end` at step
 * `decayEnd`, and `end` (the floor) after it, unless a warm restart `then` follows. Hermans et al. 2017:
 * start 3e-4, no warm-up, decay from step 15000 to 0.001·start at 25000. */
export interface WarmupExpSchedule {
  kind: "warmup-exp";
  start: number;
  warmupSteps: number;
  decayStart: number;
  decayEnd: number;
  end: number;
  /** A warm restart (Loshchilov & Hutter 2017, "SGDR"): after step `decayEnd` the rate follows this
   * schedule, its steps counted from `decayEnd`. Absent: `end` for ever. */
  then?: WarmupExpSchedule;
}

export interface TrainConfig {
  model: ModelKind;
  /** Passed to the network builder (input size comes from the data). `width` < 1 for tiny test nets. */
  modelOptions: Omit<NetworkOptions, "inputSize" | "seed">;
  epochs: number;
  /** Batches per epoch, or "pass" for ceil(eligible images / batch size). */
  batchesPerEpoch: number | "pass";
  batchSize: number;
  /** At most K images per identity in a batch (P×K batches). */
  k: number;
  /** How batches are drawn (sampler.ts): "pk" (P×K: about batchSize / k people, k images each; the
   * default when absent) or "random" (any images, as Keras' ImageDataGenerator drew the slides'). */
  batches?: "pk" | "random";
  /** Identities need this many images to be trained on. */
  minImages: number;
  /** Train on only this many (randomly chosen, seeded) eligible identities; null = all. */
  maxIdentities: number | null;
  margin: number;
  mining: Mining;
  /** Soft margin and distance of the triplet loss (triplet.ts); absent: the hinge on squared distances. */
  loss?: LossOptions;
  /** Identities set aside for the fixed held-out check (heldout.ts), never trained on; absent: none. */
  heldOut?: HeldOutSpec;
  /** One image per person with ≥ `minImages` images left out of training (heldout.ts); absent: none. */
  heldOutImages?: HeldOutImagesSpec;
  schedule: LrSchedule;
  /** Data-dependent initialisation (lib/models/data_init.ts) of `layers` (default "all") over `images`
   * training images, drawn with the run's seed, before the first step; absent: the builder's weights. */
  dataInit?: { images: number; layers?: "all" | "conv" };
  /** "sgd" as in the slides (with `momentum` > 0: SGD with momentum), "adam" (β1 0.9, β2 0.999):
   * scale-free steps, which leave the collapsed start of training much sooner than plain SGD does, or
   * "lamb" (lamb.ts: Adam's step scaled to each weight tensor's norm). */
  optimizer: "sgd" | "adam" | "lamb";
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

/** The slides' settings (the `full` profile). */
function slideConfig(model: ModelKind): TrainConfig {
  const zf = model === "zf";
  const slides = SLIDES_NETWORKS[model];
  return {
    model,
    modelOptions: {},
    epochs: slides.epochs,
    batchesPerEpoch: "pass",
    batchSize: SLIDES.batchSize,
    k: 4,
    minImages: SLIDES.subset.minImages,
    maxIdentities: null,
    margin: SLIDES.margin,
    mining: "semi-hard",
    // Keras' ImageDataGenerator.flow drew the slides' batches: any 200 images, not P×K. This is what made
    // `full` stall on a CPU: on P×K 50×4 batches ZF sat at 0.1960…0.1954 for 10 epochs (squared distances)
    // and at 0.1982…0.1983 for 6 (plain L2); on random batches it went 0.1982 (epoch 1) → 0.1707 (epoch 10),
    // where the slides had 0.196 → 0.179 (README, "`full` on a CPU").
    batches: "random",
    // TFA's TripletSemiHardLoss, which the slides trained with, measures plain L2 distances unless told
    // otherwise (`distance_metric="L2"`, its default since TFA 0.8; the slides' pair distances are plain
    // L2 too).
    loss: { softMargin: false, distance: "euclidean" },
    schedule: zf ? { kind: "step", start: slides.lrStart, end: slides.lrEnd, stages: 6 } : {
      kind: "plateau",
      start: slides.lrStart,
      min: slides.lrEnd,
      factor: 0.1,
      patience: 10,
      minDelta: 1e-4,
    },
    optimizer: "sgd",
    momentum: 0,
    augment: { rotation: 10, shift: 0.1, zoom: 0.1, flip: true },
    seed: 42,
    distanceEpochs: [...slides.histogramEpochs],
    distanceImages: 2000,
    distancePairs: 10000,
    embedBatchSize: 64,
    microBatch: "auto",
  };
}

/** The slides' settings, changed for the `quick` and `smoke` profiles as lib/profiles.ts says (and why). */
export function trainingConfig(model: ModelKind, p: Profile = activeProfile()): TrainConfig {
  return { ...slideConfig(model), ...PROFILE_SETTINGS[p].training[model] };
}

/** Config fields that must match to resume a run (epochs and the snapshot list may be extended). */
export const RESUME_KEYS: (keyof TrainConfig)[] = [
  "model",
  "modelOptions",
  "batchesPerEpoch",
  "batchSize",
  "k",
  "batches",
  "minImages",
  "maxIdentities",
  "margin",
  "mining",
  "loss",
  "heldOut",
  "heldOutImages",
  "schedule",
  "dataInit",
  "optimizer",
  "momentum",
  "augment",
  "seed",
  "microBatch",
];

/** The fields of `now` that differ from `was` and forbid resuming, in words; empty when it may resume. */
export function resumeConflicts(was: TrainConfig, now: TrainConfig): string[] {
  return RESUME_KEYS.filter((k) => JSON.stringify(was[k]) !== JSON.stringify(now[k]))
    .map((k) => `${k} (was ${JSON.stringify(was[k])}, now ${JSON.stringify(now[k])})`);
}

/** Throw a RangeError naming the first count field of `cfg` that is not a positive integer. */
export function checkConfig(cfg: TrainConfig): void {
  for (const k of ["epochs", "batchSize", "k"] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] < 1) {
      throw new RangeError(`config.${k} must be a positive integer, got ${cfg[k]}`);
    }
  }
  if (cfg.batches !== undefined && cfg.batches !== "pk" && cfg.batches !== "random") {
    throw new RangeError(`config.batches must be "pk" or "random", got ${JSON.stringify(cfg.batches)}`);
  }
  if (cfg.dataInit !== undefined && !(Number.isInteger(cfg.dataInit.images) && cfg.dataInit.images >= 2)) {
    throw new RangeError(
      `config.dataInit.images must be an integer ≥ 2, got ${JSON.stringify(cfg.dataInit.images)}`,
    );
  }
  const layers = cfg.dataInit?.layers;
  if (layers !== undefined && layers !== "all" && layers !== "conv") {
    throw new RangeError(`config.dataInit.layers must be "all" or "conv", got ${JSON.stringify(layers)}`);
  }
  // A warm restart's cycle is checked like the schedule it follows.
  for (let s = cfg.schedule.kind === "warmup-exp" ? cfg.schedule : undefined; s; s = s.then) {
    const ok = Number.isInteger(s.warmupSteps) && s.warmupSteps >= 0 && Number.isInteger(s.decayStart) &&
      s.decayStart >= s.warmupSteps && Number.isInteger(s.decayEnd) && s.decayEnd > s.decayStart &&
      s.start > 0 && s.end > 0;
    if (!ok) {
      throw new RangeError(
        `config.schedule ${JSON.stringify(s)}: need integers 0 ≤ warmupSteps ≤ decayStart < decayEnd and ` +
          `rates start, end > 0`,
      );
    }
  }
}
