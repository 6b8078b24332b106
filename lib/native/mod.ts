/**
 * Native CPU kernels for the wasm backend: oneDNN (the library behind PyTorch's and TensorFlow's
 * CPU convolutions) called through Deno's FFI on the wasm backend's own tensors.
 *
 * Why: wasm SIMD is 4 floats wide, and the convolutions (80% of a training step) were bound by it.
 * oneDNN runs the same convolutions with the machine's full vector width (AVX2/AVX-512) on every
 * core. With the threaded wasm build the tensors live in a SharedArrayBuffer; a Float32Array view
 * of a tensor there is passed to oneDNN as a plain pointer, so nothing is copied: TensorFlow.js's
 * NHWC activations and HWIO filters are oneDNN's `nhwc`/`hwio` plain layouts.
 *
 * Design:
 * - Optional. `installNativeKernels()` opens `libdnnl.so.2` (Debian/Ubuntu package `libdnnl2`,
 *   2.x API); when it is missing, broken, another major version, or `FACENET_NATIVE=0`, nothing is
 *   registered and the reason is returned in one line. `FACENET_DNNL_LIB` names another file.
 * - Registered on top of the project's wasm kernels (lib/wasm/), which stay the fallback for what
 *   oneDNN does not cover here (NCHW, dilations, non-float32).
 * - Primitives are built once per shape and cached (building one takes milliseconds); per call
 *   only the memory objects' data pointers are set, taken afresh because the heap may move.
 * - Filters in the layout oneDNN picks (blocked), activations plain. With plain `hwio` filters
 *   oneDNN 2.6.3 falls back to im2col + GEMM (`gemm:jit`); letting it choose picks its direct
 *   AVX-512 kernels (`brgconv`/`jit:avx512_core`) at the price of a filter reorder per call
 *   (~0.1 ms for 256×256×3×3 once warm). Measured in C on this 2-core AMD EPYC (AVX-512), the ZF
 *   conv3 shape at batch 32 (12×12×192→384, 3×3), best of 6, machine loaded by other jobs:
 *   forward / input gradient / filter gradient 27 / 22 / 56 GFLOP/s plain (2 threads) against
 *   61 / 171 / 68 (2 threads) and 110 / 103 / 95 (1 thread) blocked. Activations stay NHWC: a
 *   blocked activation layout would need a reorder of every activation and gradient.
 * - Threads: the Debian build runs on OpenMP; its thread count is set to the core count. The wasm
 *   backend's pthreads sleep while oneDNN runs: 20 oneDNN convolutions (32×24×24×64→192, 3×3)
 *   between wasm ReLUs cost the process 859/839 ms of CPU with 1 wasm thread and 865/881 ms with 2.
 *
 * Kernels: Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter, FusedConv2D (lib/native/conv.ts; the
 * last with oneDNN's bias argument and a ReLU post-op, one primitive), Conv2DBackpropFilterBias (this
 * project's: the filter and bias gradients in one call, for lib/wasm/fused_conv_training.ts), BatchMatMul
 * (lib/native/matmul.ts), MaxPool and MaxPoolGrad (lib/native/pool.ts), LRN and LRNGrad (lib/native/lrn.ts); the FFI binding in lib/native/dnnl.ts,
 * primitives and their cache in lib/native/primitive.ts.
 */
import * as tf from "@tensorflow/tfjs-core";
import { replaceKernel } from "../wasm/kernel_util.ts";
import { env } from "../config.ts";
import { convKernels } from "./conv.ts";
import { CONV_BACKPROP_FILTER_BIAS } from "../wasm/fused_conv_training.ts";
import { defaultLibraryPath, type Dnnl, openDnnl } from "./dnnl.ts";
import { PrimitiveCache } from "./primitive.ts";
import { matMulKernels } from "./matmul.ts";
import { poolKernels } from "./pool.ts";
import { lrnKernels } from "./lrn.ts";

export { defaultLibraryPath } from "./dnnl.ts";

/** What `installNativeKernels` did: a library and kernels, or the reason there are none. */
export type NativeStatus =
  | { active: true; name: string; version: string; threads: number; kernels: string[]; path: string }
  | { active: false; reason: string };

let state: { status: NativeStatus; dnnl?: Dnnl; cache?: PrimitiveCache } | undefined;

/**
 * Open oneDNN and register its kernels on the wasm backend (which must be registered already,
 * with the project's kernels installed). Idempotent: later calls return the first result.
 * `opts.path` overrides `FACENET_DNNL_LIB` and the default library name; `opts.enabled = false`
 * acts as `FACENET_NATIVE=0`.
 */
export function installNativeKernels(
  opts: { path?: string; enabled?: boolean; threads?: number } = {},
): NativeStatus {
  if (state) return state.status;
  const flag = env("FACENET_NATIVE");
  if (opts.enabled === false || (opts.enabled === undefined && flag === "0")) {
    state = { status: { active: false, reason: "native kernels off (FACENET_NATIVE=0)" } };
    return state.status;
  }
  if (flag !== undefined && flag !== "" && flag !== "0" && flag !== "1") {
    throw new Error(`FACENET_NATIVE=${JSON.stringify(flag)} is not 0 or 1`);
  }
  const path = opts.path ?? (env("FACENET_DNNL_LIB") || defaultLibraryPath());
  let dnnl: Dnnl;
  try {
    dnnl = openDnnl(path, opts.threads ?? (navigator.hardwareConcurrency || 1));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    state = { status: { active: false, reason: `no oneDNN: ${why}` } };
    return state.status;
  }
  const cache = new PrimitiveCache();
  const before = new Map<string, tf.KernelFunc>();
  const previous = (name: string) => {
    const k = before.get(name);
    if (!k) throw new Error(`no wasm ${name} kernel to fall back to`);
    return k;
  };
  const conv = convKernels(dnnl, cache, previous);
  const mm = matMulKernels(dnnl, previous);
  const pool = poolKernels(dnnl, cache, previous);
  const lrn = lrnKernels(dnnl, cache, previous);
  const kernels: [string, tf.KernelFunc][] = [
    ["Conv2D", conv.conv2D as tf.KernelFunc],
    ["Conv2DBackpropInput", conv.conv2DBackpropInput as tf.KernelFunc],
    ["Conv2DBackpropFilter", conv.conv2DBackpropFilter as tf.KernelFunc],
    [CONV_BACKPROP_FILTER_BIAS, conv.conv2DBackpropFilterBias as unknown as tf.KernelFunc],
    ["FusedConv2D", conv.fusedConv2D as tf.KernelFunc],
    ["BatchMatMul", mm.batchMatMul as tf.KernelFunc],
    ["MaxPool", pool.maxPool as tf.KernelFunc],
    ["MaxPoolGrad", pool.maxPoolGrad as tf.KernelFunc],
    ["LRN", lrn.lrn as tf.KernelFunc],
    ["LRNGrad", lrn.lrnGrad as tf.KernelFunc],
  ];
  for (const [name, fn] of kernels) {
    const prev = tf.getKernel(name, "wasm");
    if (prev) before.set(name, prev.kernelFunc);
    replaceKernel(name, fn);
  }
  state = {
    dnnl,
    cache,
    status: {
      active: true,
      name: `oneDNN ${dnnl.version}`,
      version: dnnl.version,
      threads: dnnl.threads,
      kernels: kernels.map(([n]) => n),
      path,
    },
  };
  return state.status;
}

/** The result of the first `installNativeKernels` call, or undefined before it. */
export function nativeStatus(): NativeStatus | undefined {
  return state?.status;
}

/** Primitives built so far (one per kernel and shape). */
export function nativePrimitiveCount(): number {
  return state?.cache?.size ?? 0;
}
