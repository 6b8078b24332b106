/**
 * FusedBatchNorm (the forward pass of every batch-norm layer, in training and in inference) in
 * JavaScript on two threads. The wasm build's loop keeps four wrap-around counters and divides in
 * float64 per element: 10 ms for ZF's [32,24,24,192] norm2 at batch 32. The loop here
 * (lib/wasm/loops.ts) does the same arithmetic per element, so the output is bit-for-bit the
 * build's; only its bookkeeping is cheaper.
 */
import type * as tf from "@tensorflow/tfjs-core";
import { f32, input, type KernelArgs, original, size, type WasmBackend } from "./kernel_util.ts";
import type { Arrays } from "./loops.ts";
import { runLoop } from "./parallel.ts";

export function fusedBatchNormKernel(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = input(inputs, "x", "FusedBatchNorm");
  const mean = input(inputs, "mean", "FusedBatchNorm");
  const variance = input(inputs, "variance", "FusedBatchNorm");
  const { offset, scale } = inputs;
  const depth = x.shape[x.shape.length - 1] ?? 1;
  const perChannel = (t: tf.TensorInfo | undefined) =>
    t === undefined || (t.dtype === "float32" && size(t.shape) === depth);
  // Anything but one float32 value per channel (a broadcast scalar, say) keeps the build's kernel.
  if (
    x.dtype !== "float32" || x.shape.length === 0 || depth === 0 ||
    ![mean, variance, offset, scale].every(perChannel)
  ) {
    return original("FusedBatchNorm")(args) as tf.TensorInfo;
  }
  const b = backend as WasmBackend;
  const out = b.makeOutput(x.shape, "float32");
  const X = f32(b, x);
  const arrays: Arrays = { X, MEAN: f32(b, mean), VAR: f32(b, variance), Y: f32(b, out) };
  if (offset) arrays.OFFSET = f32(b, offset);
  if (scale) arrays.SCALE = f32(b, scale);
  const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
  const params = { depth, eps, hasOffset: offset ? 1 : 0, hasScale: scale ? 1 : 0 };
  runLoop("batchNorm", arrays, params, X.length / depth, X.length);
  return out;
}
