/**
 * Turning face images into embeddings: the pixel scaling every network input goes through, and
 * embedding a whole FaceSet in batches without leaking tensors.
 *
 * Pixel scaling: a stored grayscale value v ∈ 0…255 enters the network as v / 127.5 − 1 ∈ [−1, 1]
 * (zero-centred, as Keras' `preprocess_input(mode="tf")`). Training (with augmentation) and
 * embedding use the same scaling.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { FaceSet } from "../data/faceset.ts";

/** Network input value of a stored pixel value: the one place the scaling is written. */
export function scalePixel(v: number): number {
  return v / 127.5 - 1;
}

/** Images laid out like a FaceSet: `n` grayscale images of height × width, row-major. */
export type ImageBlock = Pick<FaceSet, "pixels" | "n" | "height" | "width">;

/** Images start … end−1 of a block as a scaled [count, height, width, 1] input tensor. */
export function inputTensor(images: ImageBlock, start = 0, end = images.n): tf.Tensor4D {
  const px = images.height * images.width;
  if (start < 0 || end > images.n || start > end) {
    throw new RangeError(`image range ${start}…${end} outside 0…${images.n}`);
  }
  const src = images.pixels.subarray(start * px, end * px);
  const buf = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) buf[i] = scalePixel(src[i]);
  return tf.tensor4d(buf, [end - start, images.height, images.width, 1]);
}

export interface EmbedOptions {
  /** Images per forward pass (memory vs. speed; default 64). */
  batchSize?: number;
  /** Called after each batch with the number of images done. */
  onProgress?: (done: number, total: number) => void;
  /** Flip-averaged embeddings (test-time augmentation): embed each image and its left–right mirror,
   * average the two, L2-normalise. Default false. */
  flip?: boolean;
}

/**
 * Embeddings of all images, n × d row-major (d = the model's output size, 128 for both networks),
 * computed in inference mode (batch norm uses its moving statistics, dropout is off).
 *
 * Asynchronous because every read-back is awaited (`data()`): tfjs-backend-webgpu's `dataSync`
 * draws through a 2D OffscreenCanvas, which Deno lacks. The next batch's forward pass is queued
 * before the current one is awaited, so a GPU computes while the values travel back; on the CPU
 * backends each batch is computed when queued, and the values are the same as a synchronous read.
 */
export async function embed(
  model: tfl.LayersModel,
  images: ImageBlock,
  opts: EmbedOptions = {},
): Promise<Float32Array> {
  const batchSize = opts.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be ≥ 1, got ${batchSize}`);
  }
  const inShape = model.inputs[0].shape;
  if (inShape[1] !== images.height || inShape[2] !== images.width) {
    throw new Error(
      `model ${model.name} takes ${inShape[1]}×${inShape[2]} images, got ${images.height}×${images.width}`,
    );
  }
  const outShape = model.outputs[0].shape;
  const d = outShape[outShape.length - 1] as number;
  const out = new Float32Array(images.n * d);
  const forward = (s: number) =>
    tf.tidy(() => {
      const x = inputTensor(images, s, Math.min(images.n, s + batchSize));
      const y = model.predict(x) as tf.Tensor;
      if (!opts.flip) return y;
      const sum = tf.add(y, model.predict(tf.reverse(x, 2)) as tf.Tensor);
      return tf.div(sum, tf.maximum(tf.norm(sum, "euclidean", -1, true), 1e-12));
    });
  let next = images.n > 0 ? forward(0) : undefined;
  try {
    for (let s = 0; s < images.n; s += batchSize) {
      const e = Math.min(images.n, s + batchSize);
      const y = next!;
      next = undefined;
      try {
        if (e < images.n) next = forward(e);
        out.set(await y.data() as Float32Array, s * d);
      } finally {
        y.dispose();
      }
      opts.onProgress?.(e, images.n);
    }
  } finally {
    next?.dispose();
  }
  return out;
}
