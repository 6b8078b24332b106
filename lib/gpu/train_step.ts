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
import type * as tfl from "@tensorflow/tfjs-layers";
import type { TrainConfig } from "../training/config.ts";
import { pairwiseSquaredDistances, tripletLoss } from "../training/triplet.ts";

/**
 * Loss, active-triplet fraction and parameter gradients of one batch; consumes (disposes) `x`.
 * `whileWaiting` runs once the forward pass is queued and before its read-back is awaited: the
 * training loop prepares the next batch there, while the device computes.
 */
export async function computeBatchGradientsAsync(
  net: tfl.LayersModel,
  optimizer: tf.Optimizer,
  vars: tf.Variable[],
  x: tf.Tensor4D,
  labels: Int32Array,
  chunks: [number, number][],
  seeds: number[],
  cfg: Pick<TrainConfig, "margin" | "mining" | "loss">,
  whileWaiting: () => void = () => {},
): Promise<{ loss: number; activeFraction: number; grads: tf.NamedTensorMap }> {
  const slice = (c: [number, number]) => tf.slice(x, [c[0], 0, 0, 0], [c[1] - c[0], -1, -1, -1]);
  // The first pass must not move the batch norms' moving statistics: the second pass does.
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
  let grads: tf.NamedTensorMap = {};
  chunks.forEach((c, i) => {
    const g = tf.tidy(() => {
      const upstream = tf.slice(gEmb, [c[0], 0], [c[1] - c[0], -1]);
      return optimizer.computeGradients(
        () =>
          tf.sum(
            tf.mul(net.apply(slice(c), { training: true, dropoutSeed: seeds[i] }) as tf.Tensor, upstream),
          ),
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
  tf.dispose([gEmb, x]);
  return { loss, activeFraction, grads };
}
