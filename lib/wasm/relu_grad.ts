/**
 * ReLU's gradient as one kernel. tfjs-core differentiates Relu as mul(dy, cast(step(x), float32)):
 * three passes over the activation, each writing a full tensor (Step, a Cast that copies on wasm,
 * Multiply); in one Inception training step at batch 128 they took 51 + 46 + 72 ms of 1,652 ms of
 * kernel time (bench --profile, wasm + oneDNN, 2 threads). Here it is one pass (`ReluGrad`, the
 * name TensorFlow gives this kernel), registered on wasm, and Relu's gradient calls it when the
 * wasm backend runs; elsewhere it keeps tfjs-core's formula. A NaN input passes dy here (tfjs: NaN).
 *
 * On two threads (lib/wasm/parallel.ts) where the tensors are in shared memory: 10.2 → 5.7 ms for
 * 50×48×48×64 random values (2-core Intel Xeon).
 */
import * as tf from "@tensorflow/tfjs-core";
import { f32, input, type KernelArgs, type WasmBackend } from "./kernel_util.ts";
import { runLoop } from "./parallel.ts";

export const RELU_GRAD = "ReluGrad";

export function reluGradKernel(args: KernelArgs): tf.TensorInfo {
  const dy = input(args.inputs, "dy", RELU_GRAD);
  const x = input(args.inputs, "x", RELU_GRAD);
  if (x.dtype !== "float32" || dy.dtype !== "float32") {
    throw new Error(`${RELU_GRAD}: float32 tensors only, got x ${x.dtype} and dy ${dy.dtype}`);
  }
  if (x.shape.join() !== dy.shape.join()) {
    throw new Error(`${RELU_GRAD}: x [${x.shape}] and dy [${dy.shape}] differ in shape`);
  }
  const b = args.backend as WasmBackend;
  const dx = b.makeOutput(x.shape, "float32");
  const X = f32(b, x);
  runLoop("reluGrad", { X, DY: f32(b, dy), DX: f32(b, dx) }, {}, X.length, X.length);
  return dx;
}

/** Relu's gradient: the one-pass kernel on wasm for float32, tfjs-core's formula otherwise. */
export const reluGradConfig: tf.GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    const d = dy as tf.Tensor;
    return {
      x: () =>
        tf.getBackend() === "wasm" && x.dtype === "float32" && d.dtype === "float32"
          ? tf.engine().runKernel(RELU_GRAD, { dy: d, x }) as tf.Tensor
          : tf.mul(d, tf.cast(tf.step(x), "float32")),
    };
  },
};
