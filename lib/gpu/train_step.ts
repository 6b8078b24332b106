/**
 * The training loop's batch gradients for backends that cannot read tensors synchronously:
 * tfjs-backend-webgpu's dataSync draws through a 2D OffscreenCanvas, which Deno lacks, so
 * lib/training/step.ts's computeBatchGradients (mining reads the distances with dataSync inside the
 * gradient function) fails there.
 *
 * Same result, reordered: embed the batch (chunk by chunk, training mode, the same dropout seeds),
 * read the pairwise distances once with an awaited read (the one read-back mining needs), mine
 * and take the loss's gradient with respect to the embeddings, then re-run each chunk and
 * backpropagate its slice of that gradient — computeBatchGradients's micro-batch path, which adds
 * up to the full-batch gradient exactly. The loss is computed in JavaScript from the distances, so
 * nothing else is read back; the cost is one extra forward pass.
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  backpropChunks,
  type BatchGradientArgs,
  type BatchGradients,
  type ChunkSlicer,
  embedChunks,
} from "../training/step.ts";
import { pairwiseSquaredDistances, tripletLoss } from "../training/triplet.ts";

/**
 * Loss, active-triplet fraction and parameter gradients of one batch; consumes (disposes) `x`.
 * `whileWaiting` runs once the forward pass is queued and before its read-back is awaited: the
 * training loop prepares the next batch there, while the device computes.
 */
export async function computeBatchGradientsAsync(
  ...[net, optimizer, vars, x, labels, chunks, seeds, cfg, whileWaiting = () => {}]: [
    ...BatchGradientArgs,
    whileWaiting?: () => void,
  ]
): Promise<BatchGradients> {
  const slice: ChunkSlicer = (c) => tf.slice(x, [c[0], 0, 0, 0], [c[1] - c[0], -1, -1, -1]);
  const emb = embedChunks(net, slice, chunks, seeds);
  const d = pairwiseSquaredDistances(emb);
  const read = d.data() as Promise<Float32Array>;
  whileWaiting();
  const dv = await read;
  d.dispose();
  let loss = 0;
  let activeFraction = 0;
  const gEmb = tf.tidy(() =>
    tf.grad((e: tf.Tensor) => {
      const r = tripletLoss(labels, e as tf.Tensor2D, cfg.margin, cfg.mining, dv, cfg.loss);
      loss = r.value;
      activeFraction = r.activeFraction;
      return r.loss;
    })(emb)
  );
  emb.dispose();
  const grads = backpropChunks(net, optimizer, vars, slice, chunks, seeds, gEmb);
  tf.dispose([gEmb, x]);
  return { loss, activeFraction, grads };
}
