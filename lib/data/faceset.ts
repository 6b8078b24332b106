/**
 * The in-memory form of a preprocessed face dataset that every later stage (training, embedding,
 * classifiers) consumes: one contiguous Uint8 block of grayscale pixels plus labels.
 */
export interface FaceSet {
  /** n × height × width grayscale pixels (0–255), row-major, image after image. */
  pixels: Uint8Array;
  n: number;
  height: number;
  width: number;
  /** Class index of each image, 0 … classNames.length − 1. */
  labels: Int32Array;
  /** Person name for each class index. */
  classNames: string[];
  /** Source image path of each image, relative to the data root (e.g. `lfw-deepfunneled/A/A_0001.jpg`). */
  paths: string[];
}

/** A FaceSet restricted to the given image indices (labels re-indexed densely in first-seen order). */
export function selectFaces(set: FaceSet, indices: ArrayLike<number>): FaceSet {
  const px = set.height * set.width;
  const pixels = new Uint8Array(indices.length * px);
  const labels = new Int32Array(indices.length);
  const remap = new Map<number, number>();
  const classNames: string[] = [];
  const paths: string[] = [];
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!Number.isInteger(j) || j < 0 || j >= set.n) {
      throw new RangeError(`image index ${j} outside 0…${set.n - 1}`);
    }
    pixels.set(set.pixels.subarray(j * px, (j + 1) * px), i * px);
    let l = remap.get(set.labels[j]);
    if (l === undefined) {
      l = classNames.length;
      remap.set(set.labels[j], l);
      classNames.push(set.classNames[set.labels[j]]);
    }
    labels[i] = l;
    paths.push(set.paths[j]);
  }
  return { pixels, n: indices.length, height: set.height, width: set.width, labels, classNames, paths };
}

/** Image indices by label, labels in order of first appearance (`indices` default: all of `labels`). */
export function groupByLabel(labels: ArrayLike<number>, indices?: ArrayLike<number>): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  const n = indices ? indices.length : labels.length;
  for (let t = 0; t < n; t++) {
    const i = indices ? indices[t] : t;
    const g = groups.get(labels[i]);
    if (g) g.push(i);
    else groups.set(labels[i], [i]);
  }
  return groups;
}

/** The images of the identities (labels) in `keep`, in their original order. */
export function selectIdentities(set: FaceSet, keep: Iterable<number>): FaceSet {
  const labels = new Set(keep);
  const idx: number[] = [];
  for (let i = 0; i < set.n; i++) if (labels.has(set.labels[i])) idx.push(i);
  return selectFaces(set, idx);
}

/** Names of the `k` classes with the most images (ties broken by name), biggest first. */
export function largestClasses(set: Pick<FaceSet, "labels" | "classNames">, k: number): string[] {
  const counts = new Array<number>(set.classNames.length).fill(0);
  for (const l of set.labels) counts[l]++;
  return counts.map((count, c) => ({ count, name: set.classNames[c] }))
    .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, k).map((c) => c.name);
}

/** The images of the named classes, in set order. An unknown name is an error naming it. */
export function selectClasses(set: FaceSet, names: string[]): FaceSet {
  const wanted = new Set<number>();
  for (const name of names) {
    const c = set.classNames.indexOf(name);
    if (c < 0) throw new Error(`no class named ${JSON.stringify(name)} in this face set`);
    wanted.add(c);
  }
  const idx: number[] = [];
  for (let i = 0; i < set.n; i++) if (wanted.has(set.labels[i])) idx.push(i);
  return selectFaces(set, idx);
}
