/**
 * `Identity` without a copy: the output shares the input's memory (one more reference), as
 * tfjs-backend-cpu's kernel and the wasm backend's own `Reshape` do. The wasm build copies the
 * whole tensor instead, and training calls Identity a lot: `clone` in tfjs-layers (a layer that
 * returns its input, a dropout of rate 0) and in the gradients of Cast and AddN. In one Inception
 * training step at batch 128 those copies took 247 ms of 2,226 ms of kernel time (11%; bench
 * --profile, wasm + oneDNN, 2 threads). Sharing is safe because no kernel writes into its inputs:
 * every wasm and project kernel writes only to outputs it allocates, and a variable's `assign`
 * swaps its memory rather than overwriting it.
 */
import type * as tf from "@tensorflow/tfjs-core";
import { input, type KernelArgs, original, type WasmBackend } from "./kernel_util.ts";

export function identityKernel(args: KernelArgs): tf.TensorInfo {
  const x = input(args.inputs, "x", "Identity");
  if (x.dtype === "string") return original("Identity")(args) as tf.TensorInfo;
  (args.backend as WasmBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
