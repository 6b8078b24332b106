/**
 * Local response normalisation and its gradient in JavaScript, for Inception's two LRN layers.
 * The wasm build sums each channel's window from scratch (and its gradient loops over the window
 * twice per element): 46 ms forward and 73 ms backward at [32,24,24,192]. Here each pixel's
 * channels are one pass of running window sums (lib/wasm/loops.ts), on two threads.
 *
 * With N_c = bias + alpha·Σ_{|c'−c|≤r} x_{c'}² (the window cut at the edges):
 *   y_c = x_c · N_c^−β
 *   dx_c = dy_c · N_c^−β − 2αβ · x_c · Σ_{|i−c|≤r} dy_i · y_i / N_i
 * (the window is symmetric, so "c in i's window" is "i in c's window").
 */
import type * as tf from "@tensorflow/tfjs-core";
import { f32, input, type KernelArgs, original, type WasmBackend } from "./kernel_util.ts";
import type { Arrays } from "./loops.ts";
import { runLoop } from "./parallel.ts";

interface LrnAttrs {
  depthRadius: number;
  bias: number;
  alpha: number;
  beta: number;
}

/**
 * Run LRN loop `name` over every pixel of `x` into a new tensor of x's shape; `arrays` names the
 * loop's other inputs and the output (taken after the output exists: allocation may move the heap).
 */
function runLrn(
  args: KernelArgs,
  name: "lrn" | "lrnGrad",
  x: tf.TensorInfo,
  arrays: (b: WasmBackend, out: tf.TensorInfo) => Arrays,
): tf.TensorInfo {
  const { depthRadius: r, bias, alpha, beta } = args.attrs as unknown as LrnAttrs;
  const b = args.backend as WasmBackend;
  const out = b.makeOutput(x.shape, "float32");
  const depth = x.shape[x.shape.length - 1];
  const X = f32(b, x);
  runLoop(name, { X, ...arrays(b, out) }, { depth, r, bias, alpha, beta }, X.length / depth, X.length);
  return out;
}

export function lrnKernel(args: KernelArgs): tf.TensorInfo {
  const x = input(args.inputs, "x", "LRN");
  if (x.dtype !== "float32") return original("LRN")(args) as tf.TensorInfo;
  return runLrn(args, "lrn", x, (b, out) => ({ Y: f32(b, out) }));
}

export function lrnGradKernel(args: KernelArgs): tf.TensorInfo {
  const x = input(args.inputs, "x", "LRNGrad");
  const y = input(args.inputs, "y", "LRNGrad");
  const dy = input(args.inputs, "dy", "LRNGrad");
  if (x.dtype !== "float32") return original("LRNGrad")(args) as tf.TensorInfo;
  return runLrn(args, "lrnGrad", x, (b, out) => ({ Y: f32(b, y), DY: f32(b, dy), DX: f32(b, out) }));
}
