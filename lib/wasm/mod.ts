/**
 * Kernels the wasm backend lacks or runs slowly for training, registered on top of it.
 *
 * - `Conv2DBackpropFilter` (missing) as im2col matrix products and `Conv2DBackpropInput` (slow) as
 *   a forward convolution, both of which XNNPACK runs fast (lib/wasm/conv_grads.ts).
 * - `BatchMatMul` with a transposed operand, rerouted through an explicit transpose to the fast
 *   untransposed product (lib/wasm/matmul.ts).
 * - `Transpose` in JavaScript, faster than the build's generic loop (lib/wasm/transpose.ts).
 * - `Tile`, `Sum`/`Mean` over leading axes, `MaxPoolGrad` and `SplitV` (Concat's gradient) in
 *   JavaScript (lib/wasm/layout_kernels.ts).
 * - `LRN` and `LRNGrad` as running window sums in JavaScript (lib/wasm/lrn.ts).
 * - `FusedBatchNorm` in JavaScript, the same bits as the build's kernel (lib/wasm/batch_norm.ts).
 *
 * The JavaScript loops behind them are in lib/wasm/loops.ts; the max-pool, LRN and batch-norm ones
 * split big jobs between this thread and a helper worker when the threaded wasm build keeps tensors
 * in shared memory (lib/wasm/parallel.ts).
 */
import { conv2DBackpropFilterKernel, conv2DBackpropInputKernel } from "./conv_grads.ts";
import { replaceKernel } from "./kernel_util.ts";
import { batchMatMulKernel } from "./matmul.ts";
import { maxPoolGradKernel, meanKernel, splitVKernel, sumKernel, tileKernel } from "./layout_kernels.ts";
import { transposeKernel } from "./transpose.ts";
import { lrnGradKernel, lrnKernel } from "./lrn.ts";
import { fusedBatchNormKernel } from "./batch_norm.ts";
import type * as tf from "@tensorflow/tfjs-core";

export { startWasmBackend, wasmThreadCount, wasmThreadsAvailable } from "./threads.ts";

const KERNELS: [string, tf.KernelFunc][] = [
  ["Conv2DBackpropFilter", conv2DBackpropFilterKernel as tf.KernelFunc],
  ["Conv2DBackpropInput", conv2DBackpropInputKernel as tf.KernelFunc],
  ["BatchMatMul", batchMatMulKernel as tf.KernelFunc],
  ["Transpose", transposeKernel as tf.KernelFunc],
  ["Tile", tileKernel as tf.KernelFunc],
  ["Sum", sumKernel as tf.KernelFunc],
  ["Mean", meanKernel as tf.KernelFunc],
  ["MaxPoolGrad", maxPoolGradKernel as tf.KernelFunc],
  ["SplitV", splitVKernel as tf.KernelFunc],
  ["LRN", lrnKernel as tf.KernelFunc],
  ["LRNGrad", lrnGradKernel as tf.KernelFunc],
  ["FusedBatchNorm", fusedBatchNormKernel as tf.KernelFunc],
];

let installed: string[] | undefined;

/** Register this project's wasm kernels (idempotent); returns their names. */
export function installWasmTrainingKernels(): string[] {
  if (!installed) {
    for (const [name, fn] of KERNELS) replaceKernel(name, fn);
    installed = KERNELS.map(([name]) => name);
  }
  return [...installed];
}
