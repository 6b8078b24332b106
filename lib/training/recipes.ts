/**
 * Named training recipes for the pilot runs of issue #15 ("a reference run that beats the slides"):
 * each is the slides' network, unchanged (its parameter count is checked against `SLIDES_PARAMS`), with
 * a training recipe to be compared on the fixed held-out check (heldout.ts). A recipe is a function of
 * the planned number of batches (steps), since the warm-up/decay schedules are laid out in steps.
 *
 * Starting point: Hermans, Beyer & Leibe 2017, "In Defense of the Triplet Loss": P×K batches of P = 18
 * identities × K = 4 images, batch-hard mining with the soft margin on Euclidean distances, Adam at 3e-4
 * (β1 0.9, β2 0.999) constant for 60% of training, then decaying exponentially to 0.001× by the end. The
 * other recipes change one knob of it, or are the project's existing `full` (slides) and `quick` setups.
 * Classification-loss pretraining is a different method and is not among them.
 */
import { PROFILE_SETTINGS } from "../profiles.ts";
import { scaledEpochs } from "../slides/compare.ts";
import { SLIDES_NETWORKS } from "../slides/numbers.ts";
import { type ModelKind, type TrainConfig, trainingConfig, type WarmupExpSchedule } from "./config.ts";
import { PILOT_HELD_OUT } from "./heldout.ts";

export interface Recipe {
  /** What it changes, in a few words (for the usage text and README). */
  description: string;
  /** The config overrides for `model` and `steps` planned batches (on top of the slides' settings). */
  config(model: ModelKind, steps: number): Partial<TrainConfig>;
}

/** Batches per epoch in every pilot (fewer if fewer are planned): an epoch ends with a checkpoint and
 * the time-limit check. */
export const PILOT_BATCHES_PER_EPOCH = 20;

/** Default planned batches for a pilot (about 2 h at ~20 img/s with batch 72 on 2 cores). */
export const PILOT_DEFAULT_STEPS = 2000;

/** What every pilot shares: short epochs, the held-out identities left out, no distance snapshots. */
function pilotBase(steps: number): Partial<TrainConfig> {
  const perEpoch = Math.min(PILOT_BATCHES_PER_EPOCH, steps);
  return {
    epochs: Math.ceil(steps / perEpoch),
    batchesPerEpoch: perEpoch,
    heldOut: PILOT_HELD_OUT,
    distanceEpochs: [],
  };
}

/** The `quick` profile's network options (ZF without dropout, batch-norm momentum 0.9): no parameter changes. */
function shortRunNetwork(model: ModelKind): Partial<TrainConfig> {
  return {
    optimizer: "adam",
    momentum: 0,
    modelOptions: PROFILE_SETTINGS.quick.training[model].modelOptions,
  };
}

/** One cycle of `steps` batches at Adam's rate `lr`: linear warm-up over `warmupSteps`, constant to 60% of
 * the steps, then decaying exponentially to 0.001·lr by the last (Hermans et al.'s shape). */
function decayingCycle(lr: number, steps: number, warmupSteps: number): WarmupExpSchedule {
  return {
    kind: "warmup-exp",
    start: lr,
    warmupSteps,
    decayStart: Math.round(0.6 * steps),
    decayEnd: Math.max(steps, Math.round(0.6 * steps) + 1),
    end: lr * 0.001,
  };
}

/** Hermans et al.'s recipe, with overrides (`lr`: Adam's rate; `warmup`: share of steps warming up). */
function hermans(
  over: Partial<TrainConfig> & { lr?: number; warmup?: number } = {},
): Recipe["config"] {
  return (model, steps) => {
    const { lr = 3e-4, warmup = 0, ...rest } = over;
    return {
      ...pilotBase(steps),
      ...shortRunNetwork(model),
      batchSize: 72,
      k: 4,
      mining: "batch-hard",
      loss: { softMargin: true, distance: "euclidean" },
      schedule: decayingCycle(lr, steps, Math.round(warmup * steps)),
      ...rest,
    };
  };
}

/**
 * Adam's rate in `semihard-200`, per network, and Inception's starting weights. ZF learns at 1e-4 from the
 * first step. Inception (no batch norm) does not from Keras' Glorot weights: at 1e-4 its reference run
 * collapsed to the margin within four 50-batch epochs (0.1980, 0.1987, 0.1999, 0.1998); a constant 3e-5
 * learned fastest of 1e-5…1e-4 over 100 pilot batches but too slowly for the slides' numbers in 2 hours
 * (README, Reference weights), and a warm-up to 1e-4 over 30% of the steps was thrown back to the margin
 * past 5e-5 (results/inception_attempts/warmup30_history.csv). With its convolutions standardised on
 * training images first (`dataInit`, lib/models/data_init.ts) it learned at 1e-4 in the pilots: held-out
 * AUC 0.748 after 100 batches, against 0.733 for a constant 3e-5 (README, Pilots).
 */
export const SEMIHARD_200_LR: Readonly<Record<ModelKind, number>> = { zf: 1e-4, inception: 1e-4 };

/** Training images the data-dependent initialisation (lib/models/data_init.ts) standardises over. */
export const DATA_INIT_IMAGES = 128;

/** Data-dependent initialisation of the convolutions only (the embedding layer keeps its built weights). */
function dataInitConv(): NonNullable<TrainConfig["dataInit"]> {
  return { images: DATA_INIT_IMAGES, layers: "conv" };
}

/** `semihard-200`'s data-dependent initialisation per network: Inception's convolutions only (ZF has batch
 * norm, and its shipped reference run started from the built weights). */
export const SEMIHARD_200_DATA_INIT: Readonly<Record<ModelKind, TrainConfig["dataInit"]>> = {
  zf: undefined,
  inception: dataInitConv(),
};

/** `semihard-200`'s batches and loss (P×K 50×4, semi-hard, hinge 0.2 on squared distances) with Adam at
 * `lr` after a linear warm-up over `warmup` of the steps, and `over` on top. */
function semihard200(lr: number, warmup = 0, over: Partial<TrainConfig> = {}): Recipe["config"] {
  return hermans({
    lr,
    warmup,
    batchSize: 200,
    mining: "semi-hard",
    loss: { softMargin: false, distance: "squared" },
    ...over,
  });
}

/** `semihard-200` with LAMB at `lr` from data-initialised convolutions. */
function semihard200Lamb(lr: number): Recipe["config"] {
  return semihard200(lr, 0, { optimizer: "lamb", dataInit: dataInitConv() });
}

/** The recipes by name. */
export const RECIPES: Readonly<Record<string, Recipe>> = {
  "slides-sgd": {
    description:
      "the slides: plain SGD 0.05 (step, ZF) / 0.01 (plateau, Inception), batch 200, K 4, semi-hard on plain L2",
    config: (_model, steps) => ({ ...pilotBase(steps) }),
  },
  "quick-adam": {
    description: "the quick profile: Adam 1e-4 (step / plateau), batch 200, K 4, semi-hard, margin 0.2",
    config: (model, steps) => {
      const { schedule, modelOptions, optimizer, momentum, loss } = PROFILE_SETTINGS.quick.training[model];
      return { ...pilotBase(steps), schedule, modelOptions, optimizer, momentum, loss };
    },
  },
  "hermans-batchhard-soft": {
    description: "Hermans et al.: 18×4, batch-hard, soft margin, Euclidean, Adam 3e-4, decay from 60%",
    config: hermans(),
  },
  "hermans-warmup": {
    description: "hermans-batchhard-soft with a linear warm-up over the first 5% of steps",
    config: hermans({ warmup: 0.05 }),
  },
  "hermans-lr1e-4": {
    description: "hermans-batchhard-soft with Adam at 1e-4",
    config: hermans({ lr: 1e-4 }),
  },
  "hermans-margin": {
    description: "batch-hard with the hinge (margin 0.2, squared distances) instead of the soft margin",
    config: hermans({ loss: { softMargin: false, distance: "squared" } }),
  },
  "hermans-semihard": {
    description:
      "semi-hard mining, hinge 0.2 on squared distances (FaceNet's loss), Hermans' batches and Adam",
    config: hermans({ mining: "semi-hard", loss: { softMargin: false, distance: "squared" } }),
  },
  "semihard-lr1e-4": {
    description: "hermans-semihard with Adam at 1e-4 (3e-4 collapsed to the margin by epoch 2 on ZF)",
    config: hermans({ lr: 1e-4, mining: "semi-hard", loss: { softMargin: false, distance: "squared" } }),
  },
  "margin-lr1e-4": {
    description: "hermans-margin with Adam at 1e-4",
    config: hermans({ lr: 1e-4, loss: { softMargin: false, distance: "squared" } }),
  },
  "semihard-200": {
    description:
      "the quick profile's batches and loss (P×K 50×4, semi-hard, hinge 0.2 on squared distances) with Adam 1e-4 constant for 60% of steps, then decaying 1000-fold; Inception's convolutions standardised on 128 training images first",
    config: (model, steps) => {
      const dataInit = SEMIHARD_200_DATA_INIT[model];
      return semihard200(SEMIHARD_200_LR[model], 0, dataInit ? { dataInit } : {})(model, steps);
    },
  },
  "semihard-200-lr3e-5": {
    description: "semihard-200 at a constant Adam 3e-5 for both networks (Inception's rate in semihard-200)",
    config: semihard200(3e-5),
  },
  "semihard-200-lr1e-5": {
    description: "semihard-200 at a constant Adam 1e-5 for both networks",
    config: semihard200(1e-5),
  },
  "semihard-200-lr5e-5": {
    description: "semihard-200 at a constant Adam 5e-5 for both networks",
    config: semihard200(5e-5),
  },
  "semihard-200-warmup": {
    description:
      "semihard-200 at Adam 1e-4 for both networks, after a linear warm-up over the first 5% of steps",
    config: semihard200(1e-4, 0.05),
  },
  "semihard-200-warmup30": {
    description:
      "semihard-200 at Adam 1e-4 for both networks, after a linear warm-up over the first 30% of steps",
    config: semihard200(1e-4, 0.3),
  },
  "semihard-200-he": {
    description:
      "semihard-200 at Adam 1e-4 for both networks, from He-normal initial weights instead of Keras' Glorot uniform",
    config: (model, steps) =>
      semihard200(1e-4, 0, {
        modelOptions: { ...shortRunNetwork(model).modelOptions, init: "he-normal" },
      })(model, steps),
  },
  "semihard-200-datainit": {
    description:
      "semihard-200 at Adam 1e-4 for both networks, from data-dependent initial weights (every layer's pre-activations standardised over 128 training images)",
    config: semihard200(1e-4, 0, { dataInit: { images: DATA_INIT_IMAGES } }),
  },
  "semihard-200-datainit-lr3e-4": {
    description: "semihard-200-datainit at Adam 3e-4",
    config: semihard200(3e-4, 0, { dataInit: { images: DATA_INIT_IMAGES } }),
  },
  "semihard-200-datainit-conv": {
    description:
      "semihard-200-datainit with only the convolutions standardised (the embedding layer keeps Keras' Glorot weights)",
    config: semihard200(1e-4, 0, { dataInit: dataInitConv() }),
  },
  "semihard-200-lamb": {
    description:
      "semihard-200 with LAMB (Adam's step scaled to each weight tensor's norm) at 3e-3 from data-initialised convolutions",
    config: semihard200Lamb(3e-3),
  },
  "semihard-200-lamb-1e-3": {
    description:
      "semihard-200-lamb at 1e-3 (at 3e-3 it collapsed to the margin by its second 20-batch epoch)",
    config: semihard200Lamb(1e-3),
  },
  "hermans-noaug": {
    description: "hermans-batchhard-soft without augmentation",
    config: hermans({ augment: false }),
  },
  "pk-32x4": {
    description: "hermans-batchhard-soft at P×K = 32×4 (batch 128)",
    config: hermans({ batchSize: 128 }),
  },
  "pk-50x4": {
    description: "hermans-batchhard-soft at P×K = 50×4 (batch 200)",
    config: hermans({ batchSize: 200 }),
  },
  "pk-24x3": { description: "hermans-batchhard-soft at P×K = 24×3 (batch 72)", config: hermans({ k: 3 }) },
};

/**
 * The recipe the reference runs use (issue #15), chosen by the pilots' held-out check (results/pilots.csv,
 * README "Choosing the reference recipe").
 */
export const REFERENCE_RECIPE = "semihard-200";

/** Batches between checkpoints in a reference run (a checkpoint of ZF with Adam's moments is ~80 MB). */
export const REFERENCE_BATCHES_PER_EPOCH = 50;

/** One image of every person with ≥ 4 images stays out of the reference networks' training: the
 * honest classification variant (an SVM fitted on the trained images names them). */
export const REFERENCE_HELD_OUT_IMAGES = { minImages: 4, seed: 2017 } as const;

/**
 * A warm restart of `steps` batches after a reference schedule (Loshchilov & Hutter 2017, "SGDR"): the
 * rate climbs back to the schedule's start over one epoch's batches, stays there for 60% of the cycle and
 * decays 1000-fold by its end, the recipe's own shape. Inception's sixth reference attempt flattened at
 * 0.1322 once its rate had decayed (epochs 31–40), having fallen 0.0023 per epoch at the constant rate
 * (results/inception_attempts/datainit40_history.csv): a second cycle goes on from there instead of
 * starting a longer run from scratch.
 */
export function restartCycle(after: WarmupExpSchedule, steps: number): WarmupExpSchedule {
  if (!Number.isInteger(steps) || steps < 2) {
    throw new RangeError(`a restart needs an integer of at least 2 batches, got ${steps}`);
  }
  return decayingCycle(after.start, steps, Math.min(REFERENCE_BATCHES_PER_EPOCH, Math.round(0.6 * steps)));
}

/**
 * The reference run's config for `model` and `steps` planned batches: `REFERENCE_RECIPE` on all the
 * course's identities (no identity held out, unlike the pilots) less `REFERENCE_HELD_OUT_IMAGES`; each
 * of `restarts` (batches) adds a warm restart of that length after the previous cycle (`restartCycle`).
 */
export function referenceConfig(
  model: ModelKind,
  steps: number,
  restarts: readonly number[] = [],
): TrainConfig {
  const cfg = recipeConfig(REFERENCE_RECIPE, model, steps);
  const { heldOut: _pilotsOnly, ...rest } = cfg;
  if (restarts.length) {
    const first = rest.schedule;
    if (first.kind !== "warmup-exp") throw new Error(`${REFERENCE_RECIPE} has no per-batch schedule`);
    const chain = (after: WarmupExpSchedule, i: number): WarmupExpSchedule =>
      i === restarts.length ? after : { ...after, then: chain(restartCycle(after, restarts[i]), i + 1) };
    rest.schedule = chain(first, 0);
  }
  const restart = restarts.reduce((a, b) => a + b, 0);
  const epochs = Math.ceil((steps + restart) / REFERENCE_BATCHES_PER_EPOCH);
  // ++/+− snapshots at the slides' two epochs (ZF 72 and 230 of 230, Inception 90 and 400 of 421), scaled.
  const slides = SLIDES_NETWORKS[model];
  return {
    ...rest,
    epochs,
    distanceEpochs: scaledEpochs(slides.histogramEpochs, slides.epochs, epochs),
    distanceImages: 1000,
    batchesPerEpoch: REFERENCE_BATCHES_PER_EPOCH,
    heldOutImages: { ...REFERENCE_HELD_OUT_IMAGES },
  };
}

/** The recipe named `name`; an unknown name is an error listing the known ones. */
export function recipe(name: string): Recipe {
  const r = Object.hasOwn(RECIPES, name) ? RECIPES[name] : undefined;
  if (!r) {
    throw new Error(`unknown recipe ${JSON.stringify(name)}; known: ${Object.keys(RECIPES).join(", ")}`);
  }
  return r;
}

/** The full config of recipe `name` for `model` and `steps` planned batches (the slides' settings underneath). */
export function recipeConfig(
  name: string,
  model: ModelKind,
  steps: number = PILOT_DEFAULT_STEPS,
): TrainConfig {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`steps must be a positive integer, got ${steps}`);
  }
  // Every recipe draws P×K batches, as the pilots and the reference runs did; only `full` itself draws the
  // slides' random ones. `batches` is there as undefined, not left out, because `train` lays the config
  // over its profile's: left out, a pilot (profile `full`) would draw random batches after all.
  const slides = trainingConfig(model, "full");
  return { ...slides, batches: undefined, ...recipe(name).config(model, steps), model };
}
