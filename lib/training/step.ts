/**
 * One optimisation step's gradients: plain backpropagation of the triplet loss, or, for batches that do
 * not fit the wasm heap, micro-batches whose gradients add up to the batch's. Backends that cannot read
 * tensors synchronously (webgpu in Deno) use lib/gpu/train_step.ts's asynchronous version of it.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { TrainConfig } from "./config.ts";
import { tripletLoss } from "./triplet.ts";

/** Micro-batch size of a run: the whole batch on a GPU backend (native TensorFlow, webgpu), 50 on
 * the others (200 96×96 images do not fit the wasm heap). */
export function microBatchFor(cfg: Pick<TrainConfig, "microBatch">, batchSize: number): number {
  if (cfg.microBatch !== "auto") return cfg.microBatch;
  return ["tensorflow", "webgpu"].includes(tf.getBackend()) ? batchSize : 50;
}

/** [start, end) ranges of at most `size` covering 0 … n. */
export function chunkRanges(n: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(n, s + size)]);
  return out;
}

/**
 * What both gradient functions (this one and lib/gpu/train_step.ts's asynchronous one) take, in
 * order: the network, its optimizer and trainable variables, the batch (consumed), its labels,
 * the micro-batch ranges and one dropout seed per range, and the triplet settings.
 */
export type BatchGradientArgs = [
  net: tfl.LayersModel,
  optimizer: tf.Optimizer,
  vars: tf.Variable[],
  x: tf.Tensor4D,
  labels: Int32Array,
  chunks: [number, number][],
  seeds: number[],
  cfg: Pick<TrainConfig, "margin" | "mining" | "loss">,
];

/** One batch's loss, fraction of active triplets and parameter gradients. */
export interface BatchGradients {
  loss: number;
  activeFraction: number;
  grads: tf.NamedTensorMap;
}

/**
 * Loss and parameter gradients of one batch. With one chunk this is plain backpropagation of the
 * triplet loss. With several (micro-batches, to fit the wasm heap), the batch is embedded chunk by
 * chunk, triplets are mined on all embeddings together, the loss's gradient with respect to the
 * embeddings is taken, and each chunk is then re-run and backpropagated with its slice of that
 * gradient; the per-chunk gradients add up to the full-batch gradient exactly (same dropout seeds,
 * same chunks, so the re-run reproduces the embeddings). Batch norm then uses per-chunk statistics
 * ("ghost batch norm"); its moving averages are restored after the first pass so that they are
 * updated once per chunk, not twice. Consumes (disposes) `x`.
 */
export function computeBatchGradients(
  ...[net, optimizer, vars, x, labels, chunks, seeds, cfg]: BatchGradientArgs
): BatchGradients {
  const slice: ChunkSlicer = (c) => tf.slice(x, [c[0], 0, 0, 0], [c[1] - c[0], -1, -1, -1]);
  if (chunks.length === 1) {
    let activeFraction = 0;
    // The loss's value comes from the distances mining read (tripletLoss's `value`): reading the
    // loss tensor too would wait for the backward pass before the next batch can be prepared.
    let loss = 0;
    const { value, grads } = tf.tidy(() =>
      optimizer.computeGradients(() => {
        const emb = net.apply(x, { training: true, dropoutSeed: seeds[0] }) as tf.Tensor2D;
        const r = tripletLoss(labels, emb, cfg.margin, cfg.mining, undefined, cfg.loss);
        activeFraction = r.activeFraction;
        loss = r.value;
        return r.loss;
      }, vars)
    );
    tf.dispose([value, x]);
    return { loss, activeFraction, grads };
  }
  const emb = embedChunks(net, slice, chunks, seeds);
  let activeFraction = 0;
  let loss = 0;
  const gEmb = tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad((e: tf.Tensor) => {
      const r = tripletLoss(labels, e as tf.Tensor2D, cfg.margin, cfg.mining, undefined, cfg.loss);
      activeFraction = r.activeFraction;
      loss = r.value;
      return r.loss;
    })(emb);
    value.dispose();
    return grad;
  });
  emb.dispose();
  const grads = backpropChunks(net, optimizer, vars, slice, chunks, seeds, gEmb);
  tf.dispose([gEmb, x]);
  return { loss, activeFraction, grads };
}

/** The rows `c` = [start, end) of a batch. */
export type ChunkSlicer = (c: [number, number]) => tf.Tensor4D;

/**
 * The micro-batch path's first pass: the embeddings of all chunks (training mode, chunk i with
 * dropout seed i), with the batch norms' moving statistics put back afterwards, since the second
 * pass (`backpropChunks`) moves them.
 */
export function embedChunks(
  net: tfl.LayersModel,
  slice: ChunkSlicer,
  chunks: [number, number][],
  seeds: number[],
): tf.Tensor2D {
  const stats = net.nonTrainableWeights.map((w) => ({ w, saved: tf.clone(w.read()) }));
  const emb = tf.tidy(() =>
    tf.concat(
      chunks.map((c, i) => net.apply(slice(c), { training: true, dropoutSeed: seeds[i] }) as tf.Tensor2D),
    )
  );
  for (const { w, saved } of stats) {
    w.write(saved);
    saved.dispose();
  }
  return emb;
}

/**
 * The micro-batch path's second pass: re-run each chunk (same seeds, so the same embeddings) and
 * backpropagate its rows of `gEmb`, the loss's gradient with respect to the embeddings; the
 * per-chunk parameter gradients, added up in chunk order, are the batch's.
 */
export function backpropChunks(
  net: tfl.LayersModel,
  optimizer: tf.Optimizer,
  vars: tf.Variable[],
  slice: ChunkSlicer,
  chunks: [number, number][],
  seeds: number[],
  gEmb: tf.Tensor,
): tf.NamedTensorMap {
  let grads: tf.NamedTensorMap = {};
  chunks.forEach((c, i) => {
    const g = tf.tidy(() => {
      const upstream = tf.slice(gEmb, [c[0], 0], [c[1] - c[0], -1]);
      const xi = slice(c);
      return optimizer.computeGradients(
        () => tf.sum(tf.mul(net.apply(xi, { training: true, dropoutSeed: seeds[i] }) as tf.Tensor, upstream)),
        vars,
      ).grads;
    });
    if (i === 0) grads = g;
    else {
      for (const k of Object.keys(g)) {
        const sum = tf.add(grads[k], g[k]);
        tf.dispose([grads[k], g[k]]);
        grads[k] = sum;
      }
    }
  });
  return grads;
}
