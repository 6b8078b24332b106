/**
 * LFW View 1 as an honest benchmark (issue #16): a network trained only on the people of
 * `peopleDevTrain.txt` and scored on `pairsDevTest.txt`, whose people are disjoint from them by the
 * protocol's construction — and checked here, in code, rather than trusted.
 *
 * Training uses the dev-train people with ≥ 2 images (1,184 people, 6,671 images in deep-funneled LFW);
 * the people with one image cannot form a positive pair. `VIEW1_HELD_OUT` sets some of them aside for
 * choosing settings, so the test pairs are touched once, at the end.
 */
import { type FaceSet, selectClasses } from "../data/faceset.ts";
import { loadDevPeople, type Pair } from "../data/protocol.ts";
import type { HeldOutSpec } from "../training/heldout.ts";
import { type ModelKind, referenceConfig, type TrainConfig } from "../training/mod.ts";

/** Dev-train people need this many images to be trained on (a positive pair needs two). */
export const VIEW1_MIN_IMAGES = 2;

/** 5% of the eligible dev-train people (59 of 1,184) held out of training for choosing settings. */
export const VIEW1_HELD_OUT: HeldOutSpec = { fraction: 0.05, seed: 2017, minImages: VIEW1_MIN_IMAGES };

/** The reference recipe (training/recipes.ts) for `steps` batches, on View 1's training people: people
 * with ≥ 2 images, `VIEW1_HELD_OUT` set aside, no image-level hold-out. */
export function view1TrainConfig(model: ModelKind, steps: number): TrainConfig {
  const { heldOutImages: _slidesOnly, ...cfg } = referenceConfig(model, steps);
  return { ...cfg, minImages: VIEW1_MIN_IMAGES, heldOut: VIEW1_HELD_OUT };
}

/** Run folder name of a View 1 training of `model` with `recipe` (`deno task train -- --recipe reference
 * --people view1` writes `<model>-view1-reference`); `deno task view1` reads it by default. */
export function view1RunName(model: ModelKind, recipe = "reference"): string {
  return `${model}-view1-${recipe}`;
}

/**
 * The images of the `peopleDevTrain.txt` people with ≥ `VIEW1_MIN_IMAGES` images in `all` (a FaceSet of
 * LFW, such as `loadLfwFaces()`). A listed person missing from `all` is an error naming the file.
 */
export function view1TrainingFaces(all: FaceSet, root?: string): FaceSet {
  const people = loadDevPeople("train", root);
  const counts = new Map<string, number>();
  for (const l of all.labels) counts.set(all.classNames[l], (counts.get(all.classNames[l]) ?? 0) + 1);
  const missing = people.filter((p) => !counts.has(p.name));
  if (missing.length) {
    throw new Error(
      `peopleDevTrain.txt:${missing[0].line}: ${missing[0].name} has no preprocessed image ` +
        `(${missing.length} listed people missing)`,
    );
  }
  const names = people.filter((p) => counts.get(p.name)! >= VIEW1_MIN_IMAGES).map((p) => p.name).sort();
  return selectClasses(all, names);
}

/** The people of `pairs` that are in `trained` (sorted): must be empty for an honest score. */
export function trainedTestPeople(pairs: Pair[], trained: ReadonlySet<string>): string[] {
  const seen = new Set<string>();
  for (const p of pairs) for (const n of [p.a.name, p.b.name]) if (trained.has(n)) seen.add(n);
  return [...seen].sort();
}

/** Throw, naming them, if any person of `pairs` was trained on. */
export function assertNoTrainedTestPeople(pairs: Pair[], trained: ReadonlySet<string>, file: string): void {
  const bad = trainedTestPeople(pairs, trained);
  if (bad.length) {
    throw new Error(
      `${file}: ${bad.length} test people were trained on (${bad.slice(0, 5).join(", ")}` +
        `${bad.length > 5 ? ", …" : ""}); the View 1 score would not be on unseen people`,
    );
  }
}
