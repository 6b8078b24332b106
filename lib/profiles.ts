/**
 * The run profiles in one table: every setting that differs between `smoke`, `quick` and `full`, each
 * with the reason it differs. `full` is the slides' setup (training/config.ts's `slideConfig`, all
 * identities, all pairs, the slides' grid); `quick` is what the committed notebooks ran (README,
 * "quick vs full"); `smoke` exercises every stage in CI in minutes. Code chooses by reading this table
 * (through `profileSettings`), never by comparing a profile's name.
 */
import { type Profile, profile as activeProfile } from "./config.ts";
import type { ModelKind, TrainConfig } from "./training/config.ts";

export interface ProfileSettings {
  /** What training changes from the slides' settings, per network (empty: the slides' settings). */
  training: Record<ModelKind, Partial<TrainConfig>>;
  /** Identities the evaluation notebooks embed (a seeded sample of whole identities); null: all. */
  evaluationIdentities: number | null;
  /** Notebook 04's grid search: the slides' grid (`defaultGrid`) or the compact one (`compactGrid`). */
  classifierGrid: "slides" | "compact";
  /** Notebook 06: the first `perFold` same and different pairs of each View 2 fold and the first
   * `devPerSplit` of each View 1 dev split, embedded under cache name `cacheName`; null: every pair. */
  lfwPairs: { perFold: number; devPerSplit: number; cacheName: string } | null;
  /** `deno task reproduce` executes the notebooks in place and writes figures/ (true), or writes
   * executed copies and figures under build/<profile>/ (false). */
  outputsInPlace: boolean;
  /** The notebooks use the reference networks (issue #15: the user's own finished reference run, else
   * the weights shipped in weights/reference/; lib/reference/) where there are any, instead of training
   * this profile's; where there are none, or with FACENET_RETRAIN=1, they train as the table says. */
  referenceNetworks: boolean;
}

// quick and smoke train differently from the slides where a short run needs it:
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
// - FaceNet's squared distances (the loss's default, `loss` absent) instead of TFA's plain L2, which
//   `full` uses as the slides did: the short runs and the reference recipe were tuned on them.
// - P×K batches (`batches` absent: 50 people × 4 images in a batch of 200) instead of the slides' random
//   images: FaceNet's and Hermans et al.'s way, what the short runs were tuned on, and a fixed number of
//   same-person pairs per batch (a random batch of 200 holds about 332, most of them of five people).
const SHORT_RUN = { optimizer: "adam", momentum: 0, loss: undefined, batches: undefined } as const;
const SHORT_RUN_ZF = { ...SHORT_RUN, modelOptions: { batchNormMomentum: 0.9, dropout: 0 } };
const SHORT_RUN_INCEPTION = { ...SHORT_RUN, modelOptions: {} };

/** Every per-profile setting. */
export const PROFILE_SETTINGS: Record<Profile, ProfileSettings> = {
  full: {
    training: { zf: {}, inception: {} },
    evaluationIdentities: null,
    classifierGrid: "slides",
    lfwPairs: null,
    outputsInPlace: true,
    referenceNetworks: false, // the slides' own training is what `full` reproduces
  },
  quick: {
    // ~20k training images per network: about 20 minutes each on 2 cores with the fast wasm gradients.
    // Learning rates start at Adam's 1e-4 (above) and step or plateau down within 10 epochs.
    training: {
      zf: {
        ...SHORT_RUN_ZF,
        epochs: 10,
        batchesPerEpoch: 10,
        schedule: { kind: "step", start: 0.0001, end: 0.000025, stages: 3 },
        distanceEpochs: [3, 10], // the slides' epochs 72 and 230 of 230, scaled
        distanceImages: 1000,
      },
      inception: {
        ...SHORT_RUN_INCEPTION,
        epochs: 10,
        batchesPerEpoch: 10,
        schedule: { kind: "plateau", start: 0.0001, min: 0.00001, factor: 0.1, patience: 2, minDelta: 1e-4 },
        distanceEpochs: [2, 10], // the slides' epochs 90 and 400 of 421, scaled
        distanceImages: 1000,
      },
    },
    evaluationIdentities: null, // every ≥ 3-image identity, as in the slides
    classifierGrid: "compact", // 4 SVM settings and 5 values of k instead of the slides' 18 settings: stays short
    lfwPairs: null, // all 6,000 pairs: the comparison with the paper needs the full protocol
    outputsInPlace: true, // the committed notebooks carry a quick run's outputs
    // A 20-minute run per network is a demonstration; the reference run (hours) is the result to show,
    // and once shipped the notebooks show it without retraining (FACENET_RETRAIN=1 trains as before).
    referenceNetworks: true,
  },
  smoke: {
    // a few identities, two short epochs at a small batch: exercises every stage in CI.
    training: {
      zf: {
        ...SHORT_RUN_ZF,
        epochs: 2,
        batchesPerEpoch: 2,
        batchSize: 24,
        k: 3,
        maxIdentities: 12,
        schedule: { kind: "step", start: 0.0001, end: 0.00001, stages: 2 },
        distanceEpochs: [1, 2],
        distanceImages: 36,
        distancePairs: 200,
        embedBatchSize: 36,
      },
      inception: {
        ...SHORT_RUN_INCEPTION,
        epochs: 2,
        batchesPerEpoch: 2,
        batchSize: 24,
        k: 3,
        maxIdentities: 12,
        schedule: { kind: "plateau", start: 0.0001, min: 0.00001, factor: 0.1, patience: 1, minDelta: 1e-4 },
        distanceEpochs: [1, 2],
        distanceImages: 36,
        distancePairs: 200,
        embedBatchSize: 36,
      },
    },
    evaluationIdentities: 40, // CI embeds and cross-validates a few hundred images, not thousands
    classifierGrid: "compact", // the slides' grid is for the full run only
    // 1,000 View 2 pairs and 400 dev pairs: CI checks the protocol's code path, not its numbers
    lfwPairs: { perFold: 50, devPerSplit: 100, cacheName: "lfw-pairs-smoke" },
    outputsInPlace: false, // a CI-sized run never overwrites the committed notebooks and figures
    referenceNetworks: false, // CI checks that training works, on a few identities
  },
};

/** The settings of profile `p` (default: the active one, `$FACENET_PROFILE`). */
export function profileSettings(p: Profile = activeProfile()): ProfileSettings {
  return PROFILE_SETTINGS[p];
}
