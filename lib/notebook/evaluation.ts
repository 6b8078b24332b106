/**
 * What the evaluation notebooks do differently per profile, read from the table in lib/profiles.ts:
 * notebook 04's classifier grid and notebook 06's LFW pairs. The cells call these instead of
 * choosing by the profile's name.
 */
import type { Profile } from "../config.ts";
import type { Vectors } from "../analysis/vectors.ts";
import type { ClassifierSpec } from "../classify/classifiers.ts";
import { compactGrid, defaultGrid } from "../classify/grid.ts";
import { loadDevPairs, loadPairs, type Pair } from "../data/protocol.ts";
import { profileSettings } from "../profiles.ts";
import { firstPairsPerGroup } from "../verify/lfw_pairs.ts";

/** Notebook 04's grid search settings: the slides' grid, or the compact one (4 SVM settings, 5 values of k). */
export function classifierGrid(x: Vectors, dim: number, p?: Profile): ClassifierSpec[] {
  return profileSettings(p).classifierGrid === "slides" ? defaultGrid(x, dim) : compactGrid(x, dim);
}

export interface VerificationPairs {
  /** LFW View 2's ten folds (pairs.txt). */
  folds: Pair[][];
  /** View 1's dev split: [train, test] (pairsDevTrain.txt, pairsDevTest.txt). */
  dev: Pair[][];
  /** Name of the embedding cache for the images of these pairs. */
  cacheName: string;
  /** Whether these are all of pairs.txt's pairs (6,000), so the count can be checked. */
  complete: boolean;
}

/** The LFW pairs notebook 06 evaluates: all of them, or the first few of each fold where the profile says. */
export function verificationPairs(p?: Profile, root?: string): VerificationPairs {
  const { folds } = loadPairs(root);
  const dev = [loadDevPairs("train", root), loadDevPairs("test", root)];
  const limit = profileSettings(p).lfwPairs;
  if (limit === null) return { folds, dev, cacheName: "lfw-pairs", complete: true };
  return {
    folds: firstPairsPerGroup(folds, limit.perFold),
    dev: firstPairsPerGroup(dev, limit.devPerSplit),
    cacheName: limit.cacheName,
    complete: false,
  };
}
