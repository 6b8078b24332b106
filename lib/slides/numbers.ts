/**
 * The course slides' numbers in one place: what the two networks were trained with, the loss they
 * reported, the classifier accuracies, the example pair distances, the group photo's confidences and
 * the training subset. Training (training/config.ts), the notebooks and the README read them from here,
 * so a number the slides give is typed once. Everything here is transcribed, not measured.
 */
import type { ModelKind } from "../models/networks.ts";

/** One row of a slide's loss table: the mean triplet loss after `epoch` of the full run. */
export interface SlideLoss {
  epoch: number;
  loss: number;
}

/** A classifier accuracy of the slides (10-fold cross-validation on the ≥ 3-image subset). */
export interface SlideAccuracy {
  /** "svm": libsvm's RBF C-SVC with scikit-learn's defaults (C = 1, γ = "scale"); "knn": k neighbours. */
  kind: "svm" | "knn";
  /** For "knn": the k the slides used. */
  k?: number;
  /** Share of images named right, 0…1. */
  accuracy: number;
}

/** What the slides give for one network. */
export interface SlideNetwork {
  /** The network's name as the notebooks print it. */
  name: string;
  /** Epochs of the full run. */
  epochs: number;
  /** Plain SGD's learning rate at the start and at the end of training. */
  lrStart: number;
  lrEnd: number;
  /** The loss table of the slides. */
  loss: readonly SlideLoss[];
  /** Epochs of the two ++/+− distance histograms. */
  histogramEpochs: readonly [number, number];
  /** SVM and KNN accuracies, SVM first. */
  classifiers: readonly [SlideAccuracy, SlideAccuracy];
  /** Parameters at 96×96×1 (the Keras summary). */
  params: number;
}

export const SLIDES_NETWORKS: Readonly<Record<ModelKind, SlideNetwork>> = {
  zf: {
    name: "Zeiler&Fergus",
    epochs: 230,
    lrStart: 0.05,
    lrEnd: 0.00015,
    loss: [
      { epoch: 1, loss: 0.196 },
      { epoch: 10, loss: 0.179 },
      { epoch: 25, loss: 0.092 },
      { epoch: 50, loss: 0.061 },
      { epoch: 100, loss: 0.031 },
      { epoch: 230, loss: 0.034 },
    ],
    histogramEpochs: [72, 230],
    classifiers: [{ kind: "svm", accuracy: 0.4983 }, { kind: "knn", k: 5, accuracy: 0.4224 }],
    params: 6_705_856,
  },
  inception: {
    name: "Inception",
    epochs: 421,
    lrStart: 0.01,
    lrEnd: 0.00003,
    loss: [
      { epoch: 1, loss: 0.198 },
      { epoch: 50, loss: 0.081 },
      { epoch: 100, loss: 0.036 },
      { epoch: 200, loss: 0.027 },
      { epoch: 300, loss: 0.024 },
      { epoch: 421, loss: 0.025 },
    ],
    histogramEpochs: [90, 400],
    classifiers: [{ kind: "svm", accuracy: 0.5164 }, { kind: "knn", k: 1, accuracy: 0.4864 }],
    params: 7_450_032,
  },
};

/** Settings and data both networks share on the slides. */
export const SLIDES = {
  /** Images per batch (P×K-sampled). */
  batchSize: 200,
  /** Triplet loss margin α (TensorFlow Addons' TripletSemiHardLoss default): also the loss of an
   * embedding that maps every face to one point. */
  margin: 0.2,
  /** The training subset: people with at least `minImages` images; `images` on LFW-a (the slides'
   * variant), where deep-funneled LFW has 7,606 for the same 901 people. */
  subset: { minImages: 3, identities: 901, images: 6352 },
  /**
   * The example pairs of the slides' "our images" part: plain (not squared) L2 distances between
   * embeddings, three same-person and three different-person pairs, in the slides' order. The project
   * computes squared distances; see slides/compare.ts to put the two side by side.
   */
  pairDistances: { same: [0.50, 0.38, 0.23], different: [0.89, 1.53, 1.28] },
  /** The classifier's confidence for the two labelled faces of the slides' group photo. */
  groupPhotoConfidences: [0.48, 0.49],
} as const;

/** The parameter counts of the slides' networks at 96×96×1 (a run that claims to train "the slides'
 * network" must have exactly these; models/networks.ts re-exports this as SLIDES_PARAMS). */
export const SLIDES_PARAMS: Readonly<Record<ModelKind, number>> = {
  zf: SLIDES_NETWORKS.zf.params,
  inception: SLIDES_NETWORKS.inception.params,
};
