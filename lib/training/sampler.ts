/**
 * P×K batch sampling for triplet training: each batch holds several identities with several
 * images each, so every anchor has positives and the semi-hard miner has negatives to choose from.
 * Only identities with at least `minImages` images (3, the course's LFW ≥ 3 subset) are used.
 *
 * A batch is filled identity by identity, drawn uniformly without replacement in random order;
 * each contributes min(K, its image count) distinct images, so identities with fewer than K images
 * give all they have and P adapts (batch 200 with K = 4 on LFW ≥ 3 holds about 55–65 identities). The
 * last identity is trimmed to fill the batch exactly, never leaving a lone image without a positive.
 * If the identities cannot fill a batch (K images each), the batch is as many as they can.
 * The sampler holds no state of its own: all randomness comes from the caller's {@link Rng}, so a
 * checkpointed RNG state reproduces the batch sequence.
 *
 * {@link RandomSampler} draws batches the way the slides' Keras run did (`ImageDataGenerator.flow` with
 * shuffling): any `batchSize` of the eligible images, whoever they show. On LFW ≥ 3 (7,606 images of 901
 * people) a random batch of 200 holds 332 ordered same-person pairs on average, 79% of them among the 5
 * people with the most images (George W. Bush has 530); a P×K 50×4 batch holds about 600, spread over
 * 50–65 people.
 */
import { type FaceSet, groupByLabel, selectIdentities } from "../data/faceset.ts";
import { Rng } from "../rng.ts";

export interface PkSamplerOptions {
  /** Images per batch (the slides: 200). */
  batchSize: number;
  /** At most this many images of one identity per batch (≥ 2). */
  k: number;
  /** Identities with fewer images are ignored (default 3). */
  minImages?: number;
}

/** Throw a RangeError naming the first option that is not an integer ≥ 2 (in the order given). */
function checkAtLeastTwo(opts: Record<string, number>): void {
  for (const [name, v] of Object.entries(opts)) {
    if (!Number.isInteger(v) || v < 2) throw new RangeError(`${name} must be an integer ≥ 2, got ${v}`);
  }
}

/** What the training loop needs of a batch sampler. */
export interface BatchSampler {
  /** Number of eligible identities. */
  readonly identities: number;
  /** Number of images over all eligible identities. */
  readonly eligibleImages: number;
  /** Images one batch actually holds. */
  readonly effectiveBatchSize: number;
  /** Batches in one epoch when an epoch is one pass over the eligible images' count. */
  readonly batchesPerPass: number;
  /** Image indices of the next batch, drawn with `rng` only. */
  nextBatch(rng: Rng): Int32Array;
}

export class PkSampler implements BatchSampler {
  readonly batchSize: number;
  readonly k: number;
  readonly minImages: number;
  /** Image indices of each eligible identity, in the order identities first appear. */
  readonly groups: Int32Array[];
  /** Number of images over all eligible identities. */
  readonly eligibleImages: number;

  constructor(labels: ArrayLike<number>, opts: PkSamplerOptions) {
    this.batchSize = opts.batchSize;
    this.k = opts.k;
    this.minImages = opts.minImages ?? 3;
    checkAtLeastTwo({ batchSize: this.batchSize, k: this.k, minImages: this.minImages });
    this.groups = [...groupByLabel(labels).values()].filter((g) => g.length >= this.minImages).map((g) =>
      Int32Array.from(g)
    );
    this.eligibleImages = this.groups.reduce((a, g) => a + g.length, 0);
    if (this.groups.length < 2) {
      throw new Error(
        `P×K sampling needs at least 2 identities with ≥ ${this.minImages} images; found ${this.groups.length}`,
      );
    }
  }

  /** Number of eligible identities. */
  get identities(): number {
    return this.groups.length;
  }

  /** Images one batch actually holds: the batch size, or fewer if K images of every identity are fewer. */
  get effectiveBatchSize(): number {
    const capacity = this.groups.reduce((a, g) => a + Math.min(this.k, g.length), 0);
    return Math.min(this.batchSize, capacity);
  }

  /** Batches in one epoch when an epoch is defined as one pass over the eligible images' count. */
  get batchesPerPass(): number {
    return Math.ceil(this.eligibleImages / this.effectiveBatchSize);
  }

  /** Image indices of the next batch. */
  nextBatch(rng: Rng): Int32Array {
    const size = this.effectiveBatchSize;
    const out = new Int32Array(size);
    const order = rng.sample(this.groups.length, this.groups.length);
    const taken: { g: Int32Array; perm: number[]; used: number }[] = [];
    let filled = 0;
    for (const gi of order) {
      const r = size - filled;
      if (r === 0) break;
      const g = this.groups[gi];
      let c = Math.min(this.k, g.length, r);
      // Never leave exactly one slot: it could only hold an image without a positive.
      if (r - c === 1) {
        if (c >= 3) c -= 1;
        else if (c + 1 <= g.length) c += 1;
      }
      const perm = rng.sample(g.length, g.length);
      for (let j = 0; j < c; j++) out[filled++] = g[perm[j]];
      taken.push({ g, perm, used: c });
    }
    // Trimming can leave a few slots when every identity has been used: top up with unused images.
    for (const t of taken) {
      while (filled < size && t.used < t.g.length) out[filled++] = t.g[t.perm[t.used++]];
    }
    if (filled !== size) throw new Error(`internal: P×K batch filled ${filled} of ${size}`);
    return out;
  }
}

/**
 * Uniformly random batches: each is `batchSize` distinct images drawn from every eligible identity's
 * images (those with ≥ `minImages`), regardless of who they show. Keras' `ImageDataGenerator.flow`
 * permutes the images once per epoch and cuts the permutation into batches (the last one short); drawing
 * each batch afresh gives every batch the same distribution, keeps the sampler stateless (the RNG is the
 * whole state, as for P×K) and every batch full.
 */
export class RandomSampler implements BatchSampler {
  readonly batchSize: number;
  readonly minImages: number;
  /** The eligible images' indices, in index order. */
  readonly images: Int32Array;
  readonly identities: number;

  constructor(labels: ArrayLike<number>, opts: Omit<PkSamplerOptions, "k">) {
    this.batchSize = opts.batchSize;
    this.minImages = opts.minImages ?? 3;
    checkAtLeastTwo({ batchSize: this.batchSize, minImages: this.minImages });
    const groups = [...groupByLabel(labels).values()].filter((g) => g.length >= this.minImages);
    if (groups.length < 2) {
      throw new Error(
        `random batches need at least 2 identities with ≥ ${this.minImages} images; found ${groups.length}`,
      );
    }
    this.identities = groups.length;
    this.images = Int32Array.from(groups.flat()).sort();
  }

  get eligibleImages(): number {
    return this.images.length;
  }

  get effectiveBatchSize(): number {
    return Math.min(this.batchSize, this.images.length);
  }

  get batchesPerPass(): number {
    return Math.ceil(this.images.length / this.effectiveBatchSize);
  }

  nextBatch(rng: Rng): Int32Array {
    return Int32Array.from(rng.sample(this.images.length, this.effectiveBatchSize), (i) => this.images[i]);
  }
}

/**
 * The identities a run trains on: those with at least `minImages` images and not in `exclude` (labels of
 * held-out identities), or a seeded random subset of `maxIdentities` of them (null: all). Returns `faces`
 * itself when every image is kept.
 */
export function trainingIdentities(
  faces: FaceSet,
  minImages: number,
  maxIdentities: number | null,
  seed: number,
  exclude?: ReadonlySet<number>,
): FaceSet {
  const counts = new Map<number, number>();
  for (const l of faces.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  let eligible = [...counts.keys()].filter((l) => counts.get(l)! >= minImages && !exclude?.has(l))
    .sort((a, b) => a - b);
  if (maxIdentities !== null && eligible.length > maxIdentities) {
    const rng = new Rng(seed ^ 0x1d5);
    eligible = rng.sample(eligible.length, maxIdentities).map((i) => eligible[i]).sort((a, b) => a - b);
  }
  const kept = eligible.reduce((a, l) => a + counts.get(l)!, 0);
  return kept === faces.n ? faces : selectIdentities(faces, eligible);
}
