/**
 * The slides' numbers beside ours: the loss table at the slides' epochs (mapped onto a shorter run),
 * classifier accuracies with the slides' column, and distances in both conventions (the slides print
 * plain L2 distances, this project computes squared ones: d² = d·d).
 */
import type { ClassifierSpec } from "../classify/classifiers.ts";
import type { ModelKind } from "../models/networks.ts";
import { SLIDES, SLIDES_NETWORKS } from "./numbers.ts";

/** The slides' epochs of a full run, mapped proportionally onto this run's epochs (at least epoch 1). */
export function scaledEpochs(slideEpochs: readonly number[], fullEpochs: number, epochs: number): number[] {
  if (!(fullEpochs > 0) || !(epochs > 0)) {
    throw new RangeError(`scaledEpochs: epochs must be positive, got ${fullEpochs} (full) and ${epochs}`);
  }
  return slideEpochs.map((e) => Math.min(epochs, Math.max(1, Math.round((e * epochs) / fullEpochs))));
}

/** One row of the loss table beside the slides'. */
export interface LossRowWithSlides {
  /** The slides' epoch (of their full run) and their loss there. */
  slideEpoch: number;
  slideLoss: number;
  /** This run's epoch the slide epoch maps to, and its loss (null when the run has not got there). */
  epoch: number;
  loss: number | null;
}

/**
 * The slides' loss table for `model` with this run's loss beside each row: the slide epoch is mapped
 * onto a run of `epochs` epochs (default: the last epoch in `history`) by `scaledEpochs`.
 */
export function lossTableWithSlides(
  history: readonly { epoch: number; loss: number }[],
  model: ModelKind,
  epochs = Math.max(0, ...history.map((h) => h.epoch)),
): LossRowWithSlides[] {
  const slides = SLIDES_NETWORKS[model];
  if (!slides) throw new RangeError(`no slides for model ${JSON.stringify(model)}`);
  if (epochs < 1) throw new RangeError(`lossTableWithSlides: the run has no epochs (history is empty)`);
  const mapped = scaledEpochs(slides.loss.map((r) => r.epoch), slides.epochs, epochs);
  return slides.loss.map((r, i) => ({
    slideEpoch: r.epoch,
    slideLoss: r.loss,
    epoch: mapped[i],
    loss: history.find((h) => h.epoch === mapped[i])?.loss ?? null,
  }));
}

/** The slides' loss at `epoch` of their full run, or null when their table has no such row. */
export function slideLossAt(model: ModelKind, epoch: number): number | null {
  return SLIDES_NETWORKS[model].loss.find((r) => r.epoch === epoch)?.loss ?? null;
}

/** One classifier the slides evaluated, as a spec the project's classifiers take. */
export interface SlideClassifier {
  model: ModelKind;
  spec: ClassifierSpec;
  /** The slides' 10-fold accuracy, 0…1. */
  accuracy: number;
}

/** The slides' four classifiers (SVM and KNN per network), in the slides' order: ZF first, SVM first. */
export function slideClassifiers(): SlideClassifier[] {
  return (["zf", "inception"] as const).flatMap((model) =>
    SLIDES_NETWORKS[model].classifiers.map((c) => ({
      model,
      spec: (c.kind === "svm" ? { kind: "svm" } : { kind: "knn", k: c.k! }) as ClassifierSpec,
      accuracy: c.accuracy,
    }))
  );
}

/** Whether `spec` is the slides' classifier: the default RBF SVM (C = 1, γ "scale"), or KNN with their k. */
function sameAsSlides(spec: ClassifierSpec, c: { kind: "svm" | "knn"; k?: number }): boolean {
  if (spec.kind !== c.kind) return false;
  if (spec.kind === "knn") return spec.k === c.k;
  return (spec.kernel ?? "rbf") === "rbf" && (spec.C ?? 1) === 1 && (spec.gamma ?? "scale") === "scale";
}

/** The slides' accuracy for this network and classifier, or null when the slides did not run it. */
export function slidesAccuracy(model: ModelKind, spec: ClassifierSpec): number | null {
  return SLIDES_NETWORKS[model].classifiers.find((c) => sameAsSlides(spec, c))?.accuracy ?? null;
}

/**
 * Rows of classifier results with the slides' accuracy added as `column` (default "accuracy (slides)"):
 * a number 0…1 where the slides ran that network and classifier, null elsewhere (e.g. a grid setting).
 */
export function withSlidesColumn<R extends { model: ModelKind; spec: ClassifierSpec }>(
  rows: readonly R[],
  column = "accuracy (slides)",
): (R & Record<string, number | null>)[] {
  return rows.map((r) => ({ ...r, [column]: slidesAccuracy(r.model, r.spec) }));
}

/** Plain L2 distance from a squared one (as the slides print them). A tiny negative rounding error reads as 0. */
export function plainDistance(squared: number): number {
  if (!(squared >= -1e-9)) throw new RangeError(`a squared distance must be ≥ 0, got ${squared}`);
  return Math.sqrt(Math.max(0, squared));
}

/** Squared L2 distance (as this project computes them) from a plain one. */
export function squaredDistanceFrom(plain: number): number {
  if (!(plain >= 0)) throw new RangeError(`a distance must be ≥ 0, got ${plain}`);
  return plain * plain;
}

/** A distance in both conventions, for tables that set ours beside the slides'. */
export interface BothDistances {
  /** Squared L2 (ours; 0…4 between unit vectors). */
  squared: number;
  /** Plain L2 (the slides'; 0…2 between unit vectors). */
  plain: number;
}

/** A squared distance (ours) in both conventions. */
export function fromSquared(squared: number): BothDistances {
  return { squared: Math.max(0, squared), plain: plainDistance(squared) };
}

/** A plain distance (the slides') in both conventions. */
export function fromPlain(plain: number): BothDistances {
  return { squared: squaredDistanceFrom(plain), plain };
}

/** The slides' example pair distances (plain L2), each also squared, for the same table as ours. */
export function slidesPairDistances(): { same: boolean; plain: number; squared: number }[] {
  return [
    ...SLIDES.pairDistances.same.map((d) => ({ same: true, ...fromPlain(d) })),
    ...SLIDES.pairDistances.different.map((d) => ({ same: false, ...fromPlain(d) })),
  ];
}
