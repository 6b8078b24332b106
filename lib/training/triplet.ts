/**
 * Triplet losses with online mining inside a batch, as FaceNet trains: squared Euclidean distances
 * between all embeddings of the batch, triplets chosen from them, hinge on the margin.
 *
 * `tripletSemiHardLoss` reproduces TensorFlow Addons' `TripletSemiHardLoss` (what the course used):
 * - every ordered anchor–positive pair (a ≠ p, same label) is a triplet;
 * - its negative is the closest one farther than the positive (d(a,n) > d(a,p)); if none is,
 *   the farthest negative ("masked maximum" of the anchor's row, which is 0 when the anchor has no
 *   negative at all, since TFA offsets by the row minimum, the zero diagonal);
 * - loss = Σ max(d(a,p) − d(a,n) + margin, 0) / number of anchor–positive pairs.
 * The choice of triplets is made on the distance values in JavaScript, then the loss is built from
 * the distance matrix with the chosen entries: the same value and gradient as TFA's masked min/max
 * formulation (which also passes gradient only to the selected entries), at O(B²) memory instead
 * of TFA's B³ tiling. TFA divides by zero (NaN) for a batch without any positive pair; here that
 * loss is 0.
 *
 * `tripletBatchHardLoss` is TFA's `TripletHardLoss` (Hermans et al. 2017): per anchor, the farthest
 * positive and the closest negative, averaged over all anchors.
 *
 * Two options from Hermans, Beyer & Leibe 2017 ("In Defense of the Triplet Loss"), off by default
 * (`LossOptions`): the soft margin softplus(d(a,p) − d(a,n)) = ln(1 + e^(d(a,p) − d(a,n))) in place of
 * the hinge max(d(a,p) − d(a,n) + margin, 0), and plain (non-squared) Euclidean distances. Mining picks
 * the same triplets on either distance (every rule compares distances of one anchor's row, and the square
 * root keeps their order); only the loss's values change.
 */
import * as tf from "@tensorflow/tfjs-core";

/** Labels as a JS array or a 1-D int tensor. */
export type Labels = ArrayLike<number> | tf.Tensor1D;

export interface TripletResult {
  /** Scalar loss (differentiable with respect to the embeddings). */
  loss: tf.Scalar;
  /** Number of triplets (semi-hard: anchor–positive pairs; batch-hard: anchors). */
  triplets: number;
  /** Triplets whose hinge is positive, i.e. that contribute gradient. */
  active: number;
  /** active / triplets (0 when there are no triplets). */
  activeFraction: number;
  /** The loss's value, computed in JavaScript from the distances mining read (no read-back). */
  value: number;
}

export type Mining = "semi-hard" | "batch-hard";

/** Distances the loss is written in: squared L2 (FaceNet, TFA; the default) or Euclidean (Hermans et al.). */
export type TripletDistance = "squared" | "euclidean";

/** The loss's form beyond mining and margin; the defaults are FaceNet's (hinge on squared distances). */
export interface LossOptions {
  /** softplus(d(a,p) − d(a,n)) instead of the hinge (the margin is then unused). Default false. */
  softMargin?: boolean;
  /** Default "squared". */
  distance?: TripletDistance;
}

/** Added under the square root of Euclidean distances: keeps the gradient finite at d = 0. */
export const EUCLIDEAN_EPS = 1e-12;

/**
 * A tensor's values, read synchronously. tfjs-backend-webgpu reads a tensor that lives on the GPU
 * through a 2D OffscreenCanvas, which Deno lacks, and fails with an unrelated TypeError (`clearRect`
 * of null); this names what to do instead. Tensors whose values are still on the CPU (labels made
 * from an array, tiny results) do read there.
 */
function readSync(t: tf.Tensor, what: string): ArrayLike<number> {
  try {
    return t.dataSync() as ArrayLike<number>;
  } catch (e) {
    if (tf.getBackend() !== "webgpu") throw e;
    throw new Error(
      `triplet loss: the webgpu backend cannot read the ${what} synchronously in Deno; read them with ` +
        `\`await t.data()\` and pass them as an array (lib/gpu/train_step.ts does)`,
      { cause: e },
    );
  }
}

function labelArray(labels: Labels, n: number): Int32Array {
  const arr = labels instanceof tf.Tensor ? readSync(labels, "labels") : labels;
  if (arr.length !== n) throw new Error(`triplet loss: ${arr.length} labels for ${n} embeddings`);
  return Int32Array.from(arr as ArrayLike<number>);
}

/**
 * Squared Euclidean distance matrix ‖x_i − x_j‖² computed as |x_i|² + |x_j|² − 2 x_i·x_j, clamped at 0
 * and with an exact zero diagonal (TFA's `pairwise_distance(squared=True)`).
 */
export function pairwiseSquaredDistances(embeddings: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const n = embeddings.shape[0];
    const sq = tf.sum(tf.square(embeddings), 1, true);
    const gram = tf.matMul(embeddings, embeddings, false, true);
    const d = tf.maximum(tf.sub(tf.add(sq, tf.transpose(sq)), tf.mul(2, gram)), 0);
    return tf.mul(d, tf.sub(1, tf.eye(n))) as tf.Tensor2D;
  });
}

/** Indices into the flattened B×B distance matrix for the two sides of each triplet. */
interface Selection {
  /** d(a,p) entries (semi-hard: a*B+p; batch-hard: the farthest positive). */
  pos: number[];
  /** d(a,n) entries, or −1 where TFA's masked reduction yields the constant row minimum/maximum. */
  neg: number[];
  /** Constant used where `neg` is −1 (TFA's fallback value for an empty mask). */
  negConst: number[];
  /** Same for the positive side (batch-hard only: an anchor without positives). */
  posConst: number[];
}

function selectSemiHard(d: Float32Array, y: Int32Array): Selection {
  // #region exercise 1: The triplet loss with online semi-hard mining
  // Task: choose FaceNet's triplets inside a batch as TensorFlow Addons' TripletSemiHardLoss does
  //   (the rule is in the module comment). `d` is the flattened n×n matrix of squared distances and
  //   `y` the labels. Every ordered anchor–positive pair (a ≠ p, same label) is one triplet: push
  //   a·n + p to `pos` and 0 to `posConst`; push to `neg` the entry a·n + j of its semi-hard negative
  //   j, the closest negative farther than the positive (d(a,j) > d(a,p)), and 0 to `negConst`. If no
  //   negative is farther, use instead the negative with the largest d(a,j) − m, where m is the
  //   smallest entry of the anchor's row, provided that difference is > 0; if there is none either,
  //   push −1 to `neg` and m to `negConst`.
  // Hint: the fallback depends only on the anchor, so find it once per anchor, before looping over
  //   its positives; each positive then needs one more pass over the row.
  // Hint: selectBatchHard below builds the same kind of Selection for the batch-hard rule.
  // Tests: semi-hard and batch-hard losses on a hand-worked 1-D example
  // Tests: tripletSemiHardLoss matches TFA's loop reference on random batches
  // Tests: all-same-label batch: TFA's fallback negative is the row minimum
  // Tests: gradients of both losses agree with finite differences
  const n = y.length;
  const sel: Selection = { pos: [], neg: [], negConst: [], posConst: [] };
  for (let a = 0; a < n; a++) {
    const row = a * n;
    // The fallback: TFA's masked maximum over negatives, offset by the row minimum (0 on the diagonal).
    let far = -1;
    let rowMin = Infinity;
    for (let j = 0; j < n; j++) rowMin = Math.min(rowMin, d[row + j]);
    let farVal = -Infinity;
    for (let j = 0; j < n; j++) {
      if (y[j] !== y[a] && d[row + j] - rowMin > farVal) {
        farVal = d[row + j] - rowMin;
        far = j;
      }
    }
    // With no negatives at all TFA's masked maximum is max(0·…) + rowMin = rowMin.
    const farFallback = far >= 0 && farVal > 0 ? far : -1;
    for (let p = 0; p < n; p++) {
      if (p === a || y[p] !== y[a]) continue;
      const dap = d[row + p];
      let best = -1;
      let bestVal = Infinity;
      for (let j = 0; j < n; j++) {
        const v = d[row + j];
        if (y[j] !== y[a] && v > dap && v < bestVal) {
          bestVal = v;
          best = j;
        }
      }
      sel.pos.push(row + p);
      sel.posConst.push(0);
      if (best >= 0) {
        sel.neg.push(row + best);
        sel.negConst.push(0);
      } else if (farFallback >= 0) {
        sel.neg.push(row + farFallback);
        sel.negConst.push(0);
      } else {
        sel.neg.push(-1);
        sel.negConst.push(rowMin);
      }
    }
  }
  return sel;
  // #endregion exercise 1
}

function selectBatchHard(d: Float32Array, y: Int32Array): Selection {
  const n = y.length;
  const sel: Selection = { pos: [], neg: [], negConst: [], posConst: [] };
  for (let a = 0; a < n; a++) {
    const row = a * n;
    let rowMin = Infinity;
    let rowMax = -Infinity;
    for (let j = 0; j < n; j++) {
      rowMin = Math.min(rowMin, d[row + j]);
      rowMax = Math.max(rowMax, d[row + j]);
    }
    // Hardest positive: TFA's masked maximum (offset by the row minimum; empty mask → rowMin).
    let hp = -1;
    let hpVal = 0;
    for (let j = 0; j < n; j++) {
      if (j !== a && y[j] === y[a] && d[row + j] - rowMin > hpVal) {
        hpVal = d[row + j] - rowMin;
        hp = j;
      }
    }
    // Hardest negative: TFA's masked minimum (offset by the row maximum; empty mask → rowMax).
    let hn = -1;
    let hnVal = 0;
    for (let j = 0; j < n; j++) {
      if (y[j] !== y[a] && d[row + j] - rowMax < hnVal) {
        hnVal = d[row + j] - rowMax;
        hn = j;
      }
    }
    sel.pos.push(hp >= 0 ? row + hp : -1);
    sel.posConst.push(hp >= 0 ? 0 : rowMin);
    sel.neg.push(hn >= 0 ? row + hn : -1);
    sel.negConst.push(hn >= 0 ? 0 : rowMax);
  }
  return sel;
}

/**
 * Triplet loss with online mining, plus how many triplets were active. `distances` are the
 * embeddings' pairwise squared distances when the caller has already read them (asynchronously:
 * the webgpu backend cannot read synchronously in Deno); otherwise they are read here.
 */
export function tripletLoss(
  labels: Labels,
  embeddings: tf.Tensor2D,
  margin = 0.2,
  mining: Mining = "semi-hard",
  distances?: Float32Array,
  opts: LossOptions = {},
): TripletResult {
  if (opts.distance !== undefined && opts.distance !== "squared" && opts.distance !== "euclidean") {
    throw new Error(
      `triplet loss: distance must be "squared" or "euclidean", got ${JSON.stringify(opts.distance)}`,
    );
  }
  if (embeddings.rank !== 2) {
    throw new Error(`triplet loss: embeddings must be 2-D, got shape [${embeddings.shape}]`);
  }
  const n = embeddings.shape[0];
  const y = labelArray(labels, n);
  let triplets = 0;
  let active = 0;
  let value = 0;
  if (distances && distances.length !== n * n) {
    throw new Error(`triplet loss: ${distances.length} distances for ${n} embeddings (need ${n * n})`);
  }
  if (opts.softMargin || (opts.distance ?? "squared") !== "squared") {
    return tripletLossWith(y, embeddings, margin, mining, opts, distances);
  }
  const loss = tf.tidy(() => {
    const d = pairwiseSquaredDistances(embeddings);
    const dv = distances ?? readSync(d, "distances") as Float32Array;
    const sel = selectTriplets(mining, dv, y);
    triplets = sel.pos.length;
    // The hinge is linear where it is active, so the loss equals Σ D∘W + c with W holding ±1/T at the
    // chosen d(a,p) / d(a,n) entries of active triplets: the same value and gradient as gathering the
    // entries, using only elementwise ops (the wasm backend has no gather gradient).
    const w = new Float32Array(n * n);
    let c = 0;
    for (let t = 0; t < triplets; t++) {
      const [dap, dan] = chosenDistances(sel, dv, t);
      if (dap - dan + margin <= 0) continue;
      active++;
      value += (dap - dan + margin) / triplets;
      c = weighChosen(w, c, sel, t, 1, triplets);
      c += margin / triplets;
    }
    return tf.add(tf.sum(tf.mul(d, tf.tensor2d(w, [n, n]))), c) as tf.Scalar;
  });
  return { loss, triplets, active, activeFraction: triplets ? active / triplets : 0, value };
}

/** The mined triplets of a batch with distance matrix `dv` (row-major n×n). */
function selectTriplets(mining: Mining, dv: Float32Array, y: Int32Array): Selection {
  return mining === "semi-hard" ? selectSemiHard(dv, y) : selectBatchHard(dv, y);
}

/** Triplet t's d(a,p) and d(a,n): an entry of `dv`, or the constant mining gave instead. */
function chosenDistances(sel: Selection, dv: ArrayLike<number>, t: number): [number, number] {
  return [
    sel.pos[t] >= 0 ? dv[sel.pos[t]] : sel.posConst[t],
    sel.neg[t] >= 0 ? dv[sel.neg[t]] : sel.negConst[t],
  ];
}

/**
 * Add triplet t's loss slope `s`/T at its chosen entries of W (+ for d(a,p), − for d(a,n)); a constant
 * distance goes into c instead. Returns the new c (added in this order, as the loss always did).
 */
function weighChosen(w: Float32Array, c: number, sel: Selection, t: number, s: number, T: number): number {
  if (sel.pos[t] >= 0) w[sel.pos[t]] += s / T;
  else c += s * sel.posConst[t] / T;
  if (sel.neg[t] >= 0) w[sel.neg[t]] -= s / T;
  else c -= s * sel.negConst[t] / T;
  return c;
}

/** ln(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/**
 * tripletLoss with a soft margin and/or Euclidean distances (kept apart so that the default path stays
 * exactly as it was). As there, the loss tensor is Σ D∘W + c with constant W and c chosen in JavaScript:
 * W holds each chosen entry's derivative (±s/T, s = 1 for an active hinge, s = σ(d(a,p) − d(a,n)) for the
 * soft margin) and c makes the value exact, so value and first derivative equal the gathered formula's.
 */
function tripletLossWith(
  y: Int32Array,
  embeddings: tf.Tensor2D,
  margin: number,
  mining: Mining,
  opts: LossOptions,
  distances?: Float32Array,
): TripletResult {
  const n = y.length;
  const euclid = opts.distance === "euclidean";
  let triplets = 0;
  let active = 0;
  let value = 0;
  const loss = tf.tidy(() => {
    const sq = pairwiseSquaredDistances(embeddings);
    const sqv = distances ?? readSync(sq, "distances") as Float32Array;
    const offDiag = () => tf.sub(1, tf.eye(n));
    const d = euclid ? tf.mul(tf.sqrt(tf.add(sq, EUCLIDEAN_EPS)), offDiag()) : sq;
    const dv = euclid ? sqv.map((v, i) => (i % (n + 1) === 0 ? 0 : Math.sqrt(v + EUCLIDEAN_EPS))) : sqv;
    const w = new Float32Array(n * n); // ∂loss/∂D at the chosen entries
    let c = 0; // the rest of the loss's value
    const sel = selectTriplets(mining, dv, y);
    triplets = sel.pos.length;
    for (let t = 0; t < triplets; t++) {
      const [dap, dan] = chosenDistances(sel, dv, t);
      const x = dap - dan;
      let f: number, s: number;
      if (opts.softMargin) {
        f = softplus(x);
        s = 1 / (1 + Math.exp(-x));
        if (x > 0) active++; // "active" here: the positive is farther than the negative
      } else {
        if (x + margin <= 0) continue;
        f = x + margin;
        s = 1;
        active++;
      }
      value += f / triplets;
      // f(x) = s·x + (f − s·x) around this x: the linear part goes into W, the rest into c.
      c += (f - s * x) / triplets;
      c = weighChosen(w, c, sel, t, s, triplets);
    }
    return tf.add(tf.sum(tf.mul(d, tf.tensor2d(w, [n, n]))), c) as tf.Scalar;
  });
  return { loss, triplets, active, activeFraction: triplets ? active / triplets : 0, value };
}

/** TensorFlow Addons' `triplet_semihard_loss` (squared L2 distances). */
export function tripletSemiHardLoss(labels: Labels, embeddings: tf.Tensor2D, margin = 0.2): tf.Scalar {
  return tripletLoss(labels, embeddings, margin, "semi-hard").loss;
}

/** TensorFlow Addons' `triplet_hard_loss` (batch-hard, squared L2 distances, hard margin). */
export function tripletBatchHardLoss(labels: Labels, embeddings: tf.Tensor2D, margin = 0.2): tf.Scalar {
  return tripletLoss(labels, embeddings, margin, "batch-hard").loss;
}
