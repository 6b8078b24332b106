/**
 * LFW's pair lists (pairs.txt, pairsDevTrain/Test.txt) turned into something a network can embed: the
 * distinct images the pairs refer to, as one FaceSet, and per pair the two row indices into it.
 *
 * pairs.txt draws on all of LFW, including the 4,069 people with one image and the 779 with two, who
 * are not in the ≥ 3-image training set; so the pair images are taken from the whole preprocessed LFW
 * (`loadLfwFaces()` with its default `minImages: 1`), not from the training faces. Some pair people
 * *are* training identities (View 2 is not disjoint from our training set): `trainingOverlap` counts
 * them and `selectPairs` evaluates without them.
 */
import { lfwImagePath } from "../data/lfw.ts";
import type { Pair } from "../data/protocol.ts";
import { type FaceSet, selectFaces } from "../data/faceset.ts";

/** The images of a list of pair groups (e.g. pairs.txt's 10 folds) and the pairs as row indices. */
export interface PairImages {
  /** Each distinct image once, in order of first appearance; labels are people. */
  faces: FaceSet;
  /** Row of each pair's first and second image in `faces`. */
  a: Int32Array;
  b: Int32Array;
  same: boolean[];
  /** Which input group each pair came from (the fold, for pairs.txt). */
  group: Int32Array;
  /** The pairs themselves, in the same order. */
  pairs: Pair[];
}

/**
 * Map every pair's (name, number) to its image in `all` (a FaceSet whose `paths` are LFW paths relative
 * to the data root, such as `loadLfwFaces()`) and gather the distinct images. A pair that refers to an
 * image `all` lacks is an error naming `file` and the pair's line.
 */
export function pairImages(groups: Pair[][], all: FaceSet, file = "pairs.txt"): PairImages {
  const rowOf = new Map<string, number>();
  for (let i = 0; i < all.n; i++) rowOf.set(all.paths[i], i);
  const pick: number[] = [];
  const local = new Map<number, number>();
  const a: number[] = [], b: number[] = [], group: number[] = [], same: boolean[] = [], pairs: Pair[] = [];
  const row = (p: Pair, r: Pair["a"]) => {
    const path = lfwImagePath(r.name, r.number);
    const src = rowOf.get(path);
    if (src === undefined) {
      throw new Error(`${file}:${p.line}: ${path} is not among the ${all.n} preprocessed images`);
    }
    let k = local.get(src);
    if (k === undefined) {
      k = pick.length;
      local.set(src, k);
      pick.push(src);
    }
    return k;
  };
  groups.forEach((g, gi) => {
    for (const p of g) {
      if (p.same !== (p.a.name === p.b.name)) {
        throw new Error(
          `${file}:${p.line}: marked ${p.same ? "same" : "different"} but names are ` +
            `${p.a.name} and ${p.b.name}`,
        );
      }
      a.push(row(p, p.a));
      b.push(row(p, p.b));
      same.push(p.same);
      group.push(gi);
      pairs.push(p);
    }
  });
  return {
    faces: selectFaces(all, pick),
    a: Int32Array.from(a),
    b: Int32Array.from(b),
    same,
    group: Int32Array.from(group),
    pairs,
  };
}

/** The pairs at `indices` (in that order), with their groups renumbered densely in first-seen order. */
export function selectPairs(
  p: Pick<PairImages, "a" | "b" | "same" | "group" | "pairs">,
  indices: ArrayLike<number>,
): Pick<PairImages, "a" | "b" | "same" | "group" | "pairs"> {
  const n = p.a.length;
  const remap = new Map<number, number>();
  const out = {
    a: new Int32Array(indices.length),
    b: new Int32Array(indices.length),
    same: [] as boolean[],
    group: new Int32Array(indices.length),
    pairs: [] as Pair[],
  };
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r];
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`pair index ${i} outside 0…${n - 1}`);
    out.a[r] = p.a[i];
    out.b[r] = p.b[i];
    out.same.push(p.same[i]);
    let g = remap.get(p.group[i]);
    if (g === undefined) remap.set(p.group[i], g = remap.size);
    out.group[r] = g;
    out.pairs.push(p.pairs[i]);
  }
  return out;
}

/**
 * The first `perKind` same and first `perKind` different pairs of each group (pairs.txt lists each
 * fold's same pairs first, then its different ones): a smaller, still balanced protocol for quick runs.
 */
export function firstPairsPerGroup(groups: Pair[][], perKind: number): Pair[][] {
  if (!Number.isInteger(perKind) || perKind < 1) {
    throw new RangeError(`perKind must be a positive integer, got ${perKind}`);
  }
  return groups.map((g) => [
    ...g.filter((p) => p.same).slice(0, perKind),
    ...g.filter((p) => !p.same).slice(0, perKind),
  ]);
}

/** How many pairs involve people of the training set: both images' people, one, or neither. */
export interface OverlapCount {
  kind: "same" | "different";
  pairs: number;
  both: number;
  one: number;
  neither: number;
}

/** Count, for same and for different pairs, how many of their people are in `trained` (names). */
export function trainingOverlap(pairs: Pair[], trained: ReadonlySet<string>): OverlapCount[] {
  const rows: OverlapCount[] = [
    { kind: "same", pairs: 0, both: 0, one: 0, neither: 0 },
    { kind: "different", pairs: 0, both: 0, one: 0, neither: 0 },
  ];
  for (const p of pairs) {
    const r = rows[p.same ? 0 : 1];
    const k = (trained.has(p.a.name) ? 1 : 0) + (trained.has(p.b.name) ? 1 : 0);
    r.pairs++;
    if (k === 2) r.both++;
    else if (k === 1) r.one++;
    else r.neither++;
  }
  return rows;
}

/** Indices of the pairs in which neither person is in `trained`. */
export function unseenPairIndices(pairs: Pair[], trained: ReadonlySet<string>): number[] {
  const out: number[] = [];
  pairs.forEach((p, i) => {
    if (!trained.has(p.a.name) && !trained.has(p.b.name)) out.push(i);
  });
  return out;
}

/**
 * The distances and same/different flags of the pairs of group `g` (e.g. pairsDevTrain or pairsDevTest
 * after pairs.txt's folds), in their order; `distances` has one entry per pair of `p`.
 */
export function pairsOfGroup(
  p: Pick<PairImages, "same" | "group">,
  distances: ArrayLike<number>,
  g: number,
): { distances: number[]; same: boolean[] } {
  if (distances.length !== p.group.length) {
    throw new RangeError(`${distances.length} distances for ${p.group.length} pairs`);
  }
  const out = { distances: [] as number[], same: [] as boolean[] };
  for (let i = 0; i < p.group.length; i++) {
    if (p.group[i] !== g) continue;
    out.distances.push(distances[i]);
    out.same.push(p.same[i]);
  }
  if (out.same.length === 0) throw new RangeError(`no pairs in group ${g}`);
  return out;
}
