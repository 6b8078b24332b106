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
