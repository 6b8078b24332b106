/**
 * One SGD step of an embedding network, generic over the model, the optimizer and the loss of
 * the embeddings: forward in training mode (batch norm statistics, dropout), backward, update.
 * The benchmark times exactly this; the training loop can use it too.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/** A scalar loss of a batch of embeddings [N, D]. */
export type EmbeddingLoss = (embeddings: tf.Tensor2D) => tf.Scalar;

/** Trainable variables of a tfjs-layers model, in a stable order. */
export function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Run one training step on batch `x` and return the loss (a scalar the caller disposes).
 * `applyKwargs` is passed to `model.apply` next to `training: true` (e.g. a dropout seed).
 * Leaves no other tensors behind.
 */
export function trainStep(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  loss: EmbeddingLoss,
  x: tf.Tensor,
  applyKwargs: Record<string, unknown> = {},
  vars: tf.Variable[] = trainableVariables(model),
): tf.Scalar {
  return tf.tidy(() => {
    const cost = optimizer.minimize(
      () => loss(model.apply(x, { ...applyKwargs, training: true }) as tf.Tensor2D),
      true,
      vars,
    );
    if (!cost) throw new Error("trainStep: optimizer.minimize returned no loss");
    return cost;
  });
}

/** Embeddings in inference mode (batch norm uses its moving statistics, no dropout). */
export function embed(model: tfl.LayersModel, x: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => model.apply(x, { training: false }) as tf.Tensor2D);
}

/**
 * The benchmark's stand-in for a triplet loss, as in the PyTorch peer: mean squared distance
 * between the first and second halves of the batch. Any scalar of the embeddings exercises the
 * same backward pass through the network.
 */
export function halvesDistanceLoss(e: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const h = Math.floor(e.shape[0] / 2);
    const a = tf.slice(e, [0, 0], [h, -1]);
    const b = tf.slice(e, [h, 0], [h, -1]);
    return tf.mean(tf.sum(tf.square(tf.sub(a, b)), 1)) as tf.Scalar;
  });
}
