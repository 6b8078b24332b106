/**
 * The honest variant of the slides' classification protocol (issue #15). The slides cross-validate on
 * images the network was trained on, so a test image's embedding was itself pulled towards its class
 * during training. Here one image per person (people with ≥ 4 images, training/heldout.ts's
 * `heldOutImageIndices`) was kept out of network training; a classifier fitted on every other image
 * names those held-out images.
 */
import { selectRows, type Vectors } from "../analysis/vectors.ts";
import { checkData, type ClassifierSpec, specName } from "./classifiers.ts";
import { fitClassifier } from "./fit.ts";

export interface HeldOutImageResult {
  name: string;
  /** Held-out images classified. */
  images: number;
  correct: number;
  accuracy: number;
  /** Binomial standard error of the accuracy, √(p(1−p)/n). */
  se: number;
  /** Classes the classifier chose among (every class of the fitted images). */
  classes: number;
  seconds: number;
}

/** Fit `spec` on the rows of `x` not in `held` and classify the rows in `held`. */
export async function classifyHeldOutImages(
  spec: ClassifierSpec,
  x: Vectors,
  dim: number,
  labels: ArrayLike<number>,
  held: ArrayLike<number>,
): Promise<HeldOutImageResult> {
  const n = checkData(x, dim, labels);
  const isHeld = new Uint8Array(n);
  for (let t = 0; t < held.length; t++) {
    const i = held[t];
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`held-out row ${i} outside 0…${n - 1}`);
    if (isHeld[i]) throw new RangeError(`held-out row ${i} listed twice`);
    isHeld[i] = 1;
  }
  const fitRows: number[] = [];
  for (let i = 0; i < n; i++) if (!isHeld[i]) fitRows.push(i);
  const seen = new Set(fitRows.map((i) => labels[i]));
  const unseen = Array.from(held).find((i) => !seen.has(labels[i]));
  if (unseen !== undefined) {
    throw new Error(`held-out row ${unseen}'s class ${labels[unseen]} has no image left to fit on`);
  }
  const t0 = performance.now();
  const clf = await fitClassifier(spec, selectRows(x, dim, fitRows), dim, fitRows.map((i) => labels[i]));
  try {
    const pred = clf.predict(selectRows(x, dim, held));
    let correct = 0;
    for (let t = 0; t < held.length; t++) if (pred[t] === labels[held[t]]) correct++;
    const p = held.length ? correct / held.length : NaN;
    return {
      name: specName(spec),
      images: held.length,
      correct,
      accuracy: p,
      se: Math.sqrt((p * (1 - p)) / held.length),
      classes: clf.classes.length,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    clf.free();
  }
}
