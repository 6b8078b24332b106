/**
 * Whole-network fixtures shared by the wasm kernels' tests (train_test.ts) and the oneDNN kernels' tests
 * (tests/native/): narrow versions of the real networks, one fixed input batch, the gradients of the
 * benchmark loss, and the comparison both make against the cpu backend.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { assert } from "../assert.ts";
import { buildInception } from "../../lib/models/inception.ts";
import { buildZeilerFergus } from "../../lib/models/zeiler_fergus.ts";
import { halvesDistanceLoss, trainableVariables } from "../../bench/train_step.ts";

/** Narrow versions of the real networks (same layers, strides, pools, LRN, concat) keep the tests fast. */
export const NARROW_NETS = {
  zf: () => buildZeilerFergus({ width: 1 / 16, seed: 3 }),
  inception: () => buildInception({ width: 1 / 16, seed: 3 }),
};

/** Four 96×96 grey images of a smooth deterministic pattern. */
export function probeBatch(): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: 4 * 96 * 96 }, (_, i) => Math.sin(i * 0.37)), [
    4,
    96,
    96,
    1,
  ]);
}

/** Gradients of the benchmark loss with respect to every trainable variable, as plain arrays. */
export function networkGradients(model: tfl.LayersModel, x: tf.Tensor): Float32Array[] {
  const vars = trainableVariables(model);
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(
      () => halvesDistanceLoss(model.apply(x, { training: true, dropoutSeed: 7 }) as tf.Tensor2D),
      vars,
    );
    return vars.map((v) => grads[v.name].dataSync() as Float32Array);
  });
}

const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
const diffNorm = (a: Float32Array, b: Float32Array) =>
  Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0));

/**
 * Assert each variable's gradient `got` is within 2e-3 of the cpu backend's `ref`, relative to its norm,
 * with a floor for gradients that are zero up to roundoff (a bias followed by batch norm gets ~1e-7 of
 * cancellation noise on both backends); and that most gradients are clearly nonzero (not vacuous).
 */
export function assertGradientsClose(
  model: tfl.LayersModel,
  got: Float32Array[],
  ref: Float32Array[],
  label: string,
): void {
  assert(got.length === ref.length, `${label}: ${got.length} gradients vs ${ref.length}`);
  const floor = 1e-5 * Math.max(...ref.map(norm));
  let nonzero = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = diffNorm(got[i], ref[i]);
    const what = `${label} ${trainableVariables(model)[i].name}`;
    assert(d <= 2e-3 * norm(ref[i]) + floor, `${what}: |got − cpu| ${d} vs |cpu| ${norm(ref[i])}`);
    if (norm(ref[i]) > 100 * floor) nonzero++;
  }
  assert(
    nonzero > ref.length / 2,
    `${label}: most gradients should be clearly nonzero, got ${nonzero}/${ref.length}`,
  );
}
