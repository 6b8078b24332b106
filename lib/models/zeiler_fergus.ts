/**
 * The modified Zeiler&Fergus network of the slides (FaceNet's NN1 adapted to 96×96 grayscale):
 * 1×1 "a" layers before each 3×3 convolution, two batch norms, three fully connected layers, and an
 * L2-normalised 128-d embedding. With the default options it has exactly the slides' Keras summary:
 * 6,705,856 parameters, 6,705,344 trainable and 512 non-trainable (the batch norms' moving statistics).
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { Builder, type ModelOptions } from "./common.ts";
import { L2Normalize, SeededDropout } from "./layers.ts";

export type { ModelOptions };

export interface ZeilerFergusOptions extends ModelOptions {
  /** Dropout rate after fc1 and fc2 (the slides' drop1/drop2). */
  dropout?: number;
  /** Momentum of the batch norms' moving statistics (default 0.99, Keras'). Inference uses those
   * statistics, so a short run needs a lower value: at 0.99 they still hold about 30% of their initial
   * mean 0 / variance 1 after 120 updates, and inference-mode embeddings come out collapsed. */
  batchNormMomentum?: number;
}

/** The slides' dropout and Keras' batch-norm momentum, used where the options leave them out. */
export const ZF_DEFAULTS = { dropout: 0.5, batchNormMomentum: 0.99 } as const;

/** Build the modified Zeiler&Fergus network (a functional tfjs-layers model named `zeiler_fergus`). */
export function buildZeilerFergus(opts: ZeilerFergusOptions = {}): tfl.LayersModel {
  const b = new Builder(opts);
  const rate = opts.dropout ?? ZF_DEFAULTS.dropout;
  const momentum = opts.batchNormMomentum ?? ZF_DEFAULTS.batchNormMomentum;
  const input = b.input();
  let x = b.conv(input, "conv1", 64, 7, 2);
  x = b.maxPool(x, "pool1");
  x = tfl.layers.batchNormalization({ name: "norm1", momentum }).apply(x) as tfl.SymbolicTensor;
  x = b.conv(x, "conv2a", 64, 1);
  x = b.conv(x, "conv2", 192, 3);
  x = tfl.layers.batchNormalization({ name: "norm2", momentum }).apply(x) as tfl.SymbolicTensor;
  x = b.maxPool(x, "pool2");
  x = b.conv(x, "conv3a", 192, 1);
  x = b.conv(x, "conv3", 384, 3);
  x = b.maxPool(x, "pool3");
  x = b.conv(x, "conv4a", 384, 1);
  x = b.conv(x, "conv4", 256, 3);
  x = b.conv(x, "conv5a", 256, 1);
  x = b.conv(x, "conv5", 256, 3);
  x = b.conv(x, "conv6a", 256, 1);
  x = b.conv(x, "conv6", 256, 3);
  x = b.maxPool(x, "pool4");
  x = tfl.layers.flatten({ name: "flatten" }).apply(x) as tfl.SymbolicTensor;
  x = b.dense(x, "fc1", 1024, "relu");
  x = new SeededDropout({ name: "drop1", rate }).apply(x) as tfl.SymbolicTensor;
  x = b.dense(x, "fc2", 1024, "relu");
  x = new SeededDropout({ name: "drop2", rate }).apply(x) as tfl.SymbolicTensor;
  x = b.dense(x, "fc3", b.embeddingDim, "linear", false);
  const out = new L2Normalize({ name: "l2" }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: "zeiler_fergus" });
}
