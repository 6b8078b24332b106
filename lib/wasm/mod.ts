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
 * - `Identity` sharing its input's memory instead of copying it (lib/wasm/identity.ts).
 * - `ReluGrad` (one pass) and a Relu gradient that calls it on wasm (lib/wasm/relu_grad.ts).
 * - Convolution + bias + ReLU as one FusedConv2D under a gradient tape too, where tfjs-core runs
 *   three kernels (lib/wasm/fused_conv_training.ts).
 *
 * And a guard that turns a full wasm heap into an error instead of a hang (lib/wasm/heap_guard.ts).
 *
 * The JavaScript loops behind them are in lib/wasm/loops.ts; the max-pool, LRN, batch-norm and ReLU ones
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
import { identityKernel } from "./identity.ts";
import { guardWasmHeap } from "./heap_guard.ts";
import { RELU_GRAD, reluGradConfig, reluGradKernel } from "./relu_grad.ts";
import { installFusedConvTraining } from "./fused_conv_training.ts";
import * as tf from "@tensorflow/tfjs-core";

export { startWasmBackend, wasmThreadCount, wasmThreadsAvailable } from "./threads.ts";

/** Kernel name → this project's implementation, replacing tfjs-backend-wasm's. */
const KERNELS: Record<string, unknown> = {
  Conv2DBackpropFilter: conv2DBackpropFilterKernel,
  Conv2DBackpropInput: conv2DBackpropInputKernel,
  BatchMatMul: batchMatMulKernel,
  Transpose: transposeKernel,
  Tile: tileKernel,
  Sum: sumKernel,
  Mean: meanKernel,
  MaxPoolGrad: maxPoolGradKernel,
  SplitV: splitVKernel,
  LRN: lrnKernel,
  LRNGrad: lrnGradKernel,
  FusedBatchNorm: fusedBatchNormKernel,
  Identity: identityKernel,
  [RELU_GRAD]: reluGradKernel,
};

let installed: string[] | undefined;

/**
 * Register this project's wasm kernels (idempotent) and, once the wasm backend exists, make a full
 * heap an error (lib/wasm/heap_guard.ts); returns the kernels' names.
 */
export function installWasmTrainingKernels(): string[] {
  const backend = tf.engine().registry["wasm"];
  if (backend) guardWasmHeap(backend);
  if (!installed) {
    for (const [name, fn] of Object.entries(KERNELS)) replaceKernel(name, fn as tf.KernelFunc);
    // After tfjs's own gradients (registered when tfjs-layers or the gradients module loads).
    tf.registerGradient(reluGradConfig);
    installFusedConvTraining();
    installed = Object.keys(KERNELS);
  }
  return [...installed];
}
