/**
 * k nearest neighbours' decision: the neighbours (brute force over precomputed distances) and their
 * majority vote, shared by cross-validation (classifiers.ts) and fitted classifiers (fit.ts).
 */
import { smallestK } from "../analysis/umap.ts";

/** Majority vote over neighbour labels given nearest first; a tie goes to the tied class whose
 * nearest member comes first. */
export function vote(neighbourLabels: number[]): number {
  const counts = new Map<number, number>();
  let best = 0;
  for (const l of neighbourLabels) {
    const c = (counts.get(l) ?? 0) + 1;
    counts.set(l, c);
    if (c > best) best = c;
  }
  for (const l of neighbourLabels) if (counts.get(l) === best) return l;
  throw new Error("vote over no neighbours");
}

/** Indices (into `candidates`) of the k candidates with the smallest `dist(candidate)`, nearest first;
 * equal distances keep the candidates' order. */
export function nearestK(candidates: ArrayLike<number>, k: number, dist: (j: number) => number): number[] {
  return smallestK(Float64Array.from(candidates, dist), k);
}
