/**
 * Data-dependent initialisation (Krähenbühl et al. 2016, "Data-dependent initializations of
 * convolutional neural networks"; Mishkin & Matas 2016, LSUV): layer by layer, in order, each
 * convolution's and dense layer's kernel is rescaled per output channel, and its bias set, so that its
 * pre-activations over a batch of real images have mean 0 and standard deviation 1. The parameter
 * count and the architecture are unchanged; only the starting weights differ.
 *
 * Why: Inception (NN2) has no batch norm, and from Keras' Glorot weights its ReLU stack shrinks the
 * signal layer by layer while a common, image-independent part grows: over 200 LFW faces the RMS
 * activation fell from 4e-2 (conv1) to 3e-3 (inception_5a_3x3), the spread across images was a fifth
 * of the common part there, and the embeddings before L2 normalisation were mostly that common vector
 * (image spread / common = 0.17 at `fc`). Adam moves every bias by about its learning rate per step
 * whatever the gradient's size: after 100 steps at 3e-5 the biases were already 3–4e-4 (a tenth of
 * the deep activations), so at 1e-4 they can soon outweigh them, which is how we read the collapse seen
 * at 1e-4 (README, Pilots; not proven). Standardised pre-activations put every layer's signal at the
 * scale batch norm would, and a zero-mean `fc` ("all" layers) starts the embeddings spread over the
 * sphere. Measured: from standardised convolutions Inception learned at Adam 1e-4 without collapsing
 * (pilot and a 7-epoch reference attempt), but no faster than at 3e-5 from Keras' weights.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/** What data-dependent initialisation did to one layer. */
export interface DataInitLayer {
  layer: string;
  /** RMS over channels of the pre-activations' mean, and their mean standard deviation, before. */
  meanBefore: number;
  stdBefore: number;
}

export interface DataInitOptions {
  /** Which layers: "all" (convolutions and dense layers, the default) or "conv" (convolutions only, so
   * the dense layers, the embedding layer among them, keep their built weights). */
  layers?: "all" | "conv";
  /** Images per forward pass (default 32). */
  batchSize?: number;
}

/** Pre-activations (without the layer's activation) of a Conv2D or Dense layer for input `x`. */
function preActivations(layer: tfl.layers.Layer, x: tf.Tensor): tf.Tensor {
  const [kernel, bias] = layer.getWeights();
  const cfg = layer.getConfig() as Record<string, unknown>;
  if (layer.getClassName() === "Dense") {
    return tf.add(tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D), bias);
  }
  const strides = cfg.strides as [number, number];
  const dilation = cfg.dilationRate as number | [number, number];
  if (
    cfg.dataFormat !== "channelsLast" ||
    (Array.isArray(dilation) ? dilation.some((d) => d !== 1) : dilation !== 1)
  ) {
    throw new Error(`data-dependent init: layer ${layer.name} must be channels-last without dilation`);
  }
  const z = tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, strides, cfg.padding as "same" | "valid");
  return bias ? tf.add(z, bias) : z;
}

/**
 * Standardise the pre-activations of every Conv2D and Dense layer of `model` (or every Conv2D:
 * `opts.layers`) over the images `x`, in place, in the model's layer order, so that each layer sees the
 * already standardised layers before it.
 * A channel whose pre-activations do not vary over `x` keeps its weights. Returns what each layer's
 * pre-activations were before.
 */
export function dataDependentInit(
  model: tfl.LayersModel,
  x: tf.Tensor4D,
  opts: DataInitOptions = {},
): DataInitLayer[] {
  if (x.shape[0] < 2) throw new RangeError(`data-dependent init needs at least 2 images, got ${x.shape[0]}`);
  const kinds = opts.layers === "conv" ? ["Conv2D"] : ["Conv2D", "Dense"];
  const batchSize = opts.batchSize ?? 32;
  const out: DataInitLayer[] = [];
  for (const layer of model.layers) {
    if (!kinds.includes(layer.getClassName())) continue;
    const weights = layer.getWeights();
    if (weights.length !== 2) throw new Error(`data-dependent init: layer ${layer.name} needs a bias`);
    const row = tf.tidy(() => {
      const feed = tfl.model({ inputs: model.inputs, outputs: layer.input as tfl.SymbolicTensor });
      const input = feed.predict(x, { batchSize }) as tf.Tensor;
      const z = preActivations(layer, input);
      const axes = z.shape.slice(0, -1).map((_, i) => i);
      const { mean, variance } = tf.moments(z, axes);
      const std = tf.sqrt(variance);
      // A constant channel (e.g. dead on every image) is left as it was rather than divided by ~0.
      const live = tf.greater(std, 1e-8);
      const scale = tf.where(live, tf.div(1, tf.maximum(std, 1e-8)), tf.onesLike(std));
      const shift = tf.where(live, tf.neg(tf.mul(mean, scale)), tf.zerosLike(mean));
      const [kernel, bias] = weights;
      const k = tf.mul(kernel, scale);
      const b = tf.add(tf.mul(bias, scale), shift);
      layer.setWeights([k, b]);
      return {
        layer: layer.name,
        meanBefore: Math.sqrt(tf.mean(tf.square(mean)).dataSync()[0]),
        stdBefore: tf.mean(std).dataSync()[0],
      };
    });
    out.push(row);
  }
  return out;
}
