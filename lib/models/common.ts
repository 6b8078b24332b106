/**
 * Building blocks shared by the two FaceNet networks: Keras-default initialisation made
 * reproducible (every layer's initialiser seed comes from one model seed), ReLU convolutions with
 * 'same' padding, and the options both builders accept.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { Rng } from "../rng.ts";

export interface ModelOptions {
  /** Side of the square input image; the slides use 96. */
  inputSize?: number;
  /** Input channels; 1 (grayscale) as in the slides. */
  channels?: number;
  /** Embedding dimension; 128 as in the paper. */
  embeddingDim?: number;
  /** Multiplies every layer's channel/unit count (rounded, at least 1). 1 gives the exact networks;
   * tests use small values to train tiny versions of the same topology in seconds. */
  width?: number;
  /** Seed of the kernel initialisers (biases start at zero, as in Keras). */
  seed?: number;
  /** Kernel initialiser: Keras' default Glorot uniform (the slides'), or He normal (variance 2/fan-in,
   * which keeps a ReLU stack's signal from shrinking layer by layer; a training-recipe knob, the
   * parameter count is unchanged). */
  init?: KernelInit;
}

/** The kernel initialisers a network can start from, by the name `ModelOptions.init` takes. */
const KERNEL_INITIALIZERS = {
  "glorot-uniform": tfl.initializers.glorotUniform,
  "he-normal": tfl.initializers.heNormal,
} as const;
export type KernelInit = keyof typeof KERNEL_INITIALIZERS;

export type SymbolicTensor = tfl.SymbolicTensor;

/** Resolved options plus the per-layer seed source. */
export class Builder {
  readonly inputSize: number;
  readonly channels: number;
  readonly embeddingDim: number;
  readonly width: number;
  private readonly kernelInit: KernelInit;
  private readonly rng: Rng;

  constructor(opts: ModelOptions) {
    this.inputSize = opts.inputSize ?? 96;
    this.channels = opts.channels ?? 1;
    this.embeddingDim = opts.embeddingDim ?? 128;
    this.width = opts.width ?? 1;
    this.rng = new Rng(opts.seed ?? 0);
    this.kernelInit = opts.init ?? "glorot-uniform";
    if (!Object.hasOwn(KERNEL_INITIALIZERS, this.kernelInit)) {
      throw new RangeError(
        `model option init must be one of ${Object.keys(KERNEL_INITIALIZERS).join(", ")}, ` +
          `got ${JSON.stringify(this.kernelInit)}`,
      );
    }
    for (const [k, v] of Object.entries({ inputSize: this.inputSize, channels: this.channels })) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`model option ${k} must be a positive integer, got ${v}`);
      }
    }
    if (!(this.width > 0)) throw new RangeError(`model option width must be > 0, got ${this.width}`);
  }

  /** Channel count scaled by `width`. */
  n(filters: number): number {
    return Math.max(1, Math.round(filters * this.width));
  }

  input(): SymbolicTensor {
    return tfl.input({ shape: [this.inputSize, this.inputSize, this.channels], name: "input" });
  }

  private init() {
    return KERNEL_INITIALIZERS[this.kernelInit]({ seed: this.rng.uint32() });
  }

  /** Convolution + ReLU, 'same' padding; `filters` is scaled by `width`. */
  conv(x: SymbolicTensor, name: string, filters: number, kernel: number, strides = 1): SymbolicTensor {
    return tfl.layers.conv2d({
      name,
      filters: this.n(filters),
      kernelSize: kernel,
      strides,
      padding: "same",
      activation: "relu",
      kernelInitializer: this.init(),
    }).apply(x) as SymbolicTensor;
  }

  maxPool(x: SymbolicTensor, name: string, size = 3, strides = 2): SymbolicTensor {
    return tfl.layers.maxPooling2d({ name, poolSize: size, strides, padding: "same" }).apply(
      x,
    ) as SymbolicTensor;
  }

  /** Fully connected layer; `scaled` applies `width` to the unit count (the embedding layer keeps its size). */
  dense(
    x: SymbolicTensor,
    name: string,
    units: number,
    activation: "relu" | "linear",
    scaled = true,
  ): SymbolicTensor {
    return tfl.layers.dense({
      name,
      units: scaled ? this.n(units) : units,
      activation,
      kernelInitializer: this.init(),
    }).apply(x) as SymbolicTensor;
  }
}
