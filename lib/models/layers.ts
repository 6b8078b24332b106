/**
 * The three small layers FaceNet needs that tfjs-layers lacks: L2 normalisation of the embedding,
 * local response normalisation (the Inception net's "norm"), and a dropout whose mask is drawn
 * from a per-step seed so that a resumed training run repeats the uninterrupted one exactly.
 * All are registered with tfjs's serialisation, so saved models load back with them.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

type Kwargs = Record<string, unknown>;
type LayerArgs = ConstructorParameters<typeof tfl.layers.Layer>[0];

function one(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

/** y = x / max(‖x‖₂, 1e-6) along the last axis (Keras' `K.l2_normalize`, epsilon 1e-12 on ‖x‖²). */
export class L2Normalize extends tfl.layers.Layer {
  static className = "L2Normalize";

  constructor(args?: LayerArgs) {
    super(args ?? {});
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const sq = tf.sum(tf.square(x), -1, true);
      return tf.mul(x, tf.rsqrt(tf.maximum(sq, 1e-12)));
    });
  }
}

export interface LrnArgs extends NonNullable<LayerArgs> {
  /** Number of channels in the window (odd). PyTorch's `size`. */
  size?: number;
  /** Scale of the window's sum of squares; divided by `size` as in PyTorch / Caffe. */
  alpha?: number;
  beta?: number;
  /** Additive constant (PyTorch's `k`). */
  k?: number;
}

/**
 * Local response normalisation across channels with PyTorch's `LocalResponseNorm` semantics:
 * b_c = a_c / (k + alpha/size · Σ_{c' in window(c)} a_{c'}²)^beta, the window centred on c and cut at
 * the edges. TensorFlow's kernel takes the half-width and an un-divided alpha, hence the conversion.
 * Both the wasm and cpu backends have this kernel and its gradient.
 */
export class LocalResponseNorm extends tfl.layers.Layer {
  static className = "LocalResponseNorm";
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;

  constructor(args: LrnArgs = {}) {
    super(args);
    this.size = args.size ?? 5;
    this.alpha = args.alpha ?? 1e-4;
    this.beta = args.beta ?? 0.75;
    this.k = args.k ?? 1;
    if (!Number.isInteger(this.size) || this.size < 1 || this.size % 2 === 0) {
      throw new RangeError(`LocalResponseNorm size must be a positive odd integer, got ${this.size}`);
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    if (x.rank !== 4) throw new Error(`LocalResponseNorm expects NHWC input, got shape [${x.shape}]`);
    return tf.localResponseNormalization(
      x as tf.Tensor4D,
      (this.size - 1) / 2,
      this.k,
      this.alpha / this.size,
      this.beta,
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size, alpha: this.alpha, beta: this.beta, k: this.k };
  }
}

export interface SeededDropoutArgs extends NonNullable<LayerArgs> {
  rate: number;
}

/** FNV-1a hash of a string, so each dropout layer derives its own seed from the step's seed. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Dropout (inverted, like Keras) whose random mask in training mode is seeded by the
 * `dropoutSeed` keyword the training loop passes to `model.apply(x, {training: true, dropoutSeed})`.
 * tfjs's own Dropout layer draws from Math.random, which a checkpoint cannot capture. Without a
 * seed it falls back to an unseeded mask; at inference it is the identity.
 */
export class SeededDropout extends tfl.layers.Layer {
  static className = "SeededDropout";
  readonly rate: number;

  constructor(args: SeededDropoutArgs) {
    super(args);
    this.rate = args.rate;
    if (!(this.rate >= 0 && this.rate < 1)) {
      throw new RangeError(`dropout rate must be in [0, 1), got ${this.rate}`);
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = one(inputs);
    if (kwargs["training"] !== true || this.rate === 0) return tf.clone(x);
    const stepSeed = kwargs["dropoutSeed"];
    const seed = typeof stepSeed === "number" ? ((stepSeed ^ hashString(this.name)) >>> 0) : undefined;
    return tf.dropout(x, this.rate, undefined, seed);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}

tf.serialization.registerClass(L2Normalize);
tf.serialization.registerClass(LocalResponseNorm);
tf.serialization.registerClass(SeededDropout);
