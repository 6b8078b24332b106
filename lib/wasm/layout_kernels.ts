/**
 * Memory-bound kernels in JavaScript on the wasm heap, where the wasm build's generic versions
 * dominate a training step:
 *  - Tile: tfjs's batch-norm gradient tiles 1/σ to the full activation shape (wasm: ~170 ms per
 *    [32,24,24,64] tile, here a few ms of row copies);
 *  - Sum / Mean over leading axes (bias and batch-norm gradients reduce dy over N,H,W): the wasm
 *    kernels transpose the whole tensor first;
 *  - MaxPoolGrad: the wasm kernel is a scalar loop; here one pass over the windows that stops at
 *    the position of the pooled maximum (lib/wasm/loops.ts), on two threads.
 */
import * as tf from "@tensorflow/tfjs-core";
import { f32, input, type KernelArgs, original, size, type WasmBackend } from "./kernel_util.ts";
import { sumLeadingLoop } from "./loops.ts";
import { runLoop } from "./parallel.ts";

export function tileKernel(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = input(inputs, "x", "Tile");
  const reps = (attrs as { reps: number[] }).reps;
  if (x.dtype !== "float32" && x.dtype !== "int32") return original("Tile")(args) as tf.TensorInfo;
  const b = backend as WasmBackend;
  const r = x.shape.length;
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const out = b.makeOutput(outShape, x.dtype);
  if (size(outShape) === 0) return out;
  const src = b.typedArrayFromHeap(x) as Float32Array;
  const dst = b.typedArrayFromHeap(out) as Float32Array;
  if (r === 0) {
    dst[0] = src[0];
    return out;
  }
  const inner = x.shape[r - 1];
  const rowOut = outShape[r - 1];
  const rows = size(outShape) / rowOut;
  // input strides (in rows) of the outer axes
  const inRowStride = new Array<number>(r - 1).fill(1);
  for (let i = r - 3; i >= 0; i--) inRowStride[i] = inRowStride[i + 1] * x.shape[i + 1];
  const idx = new Array<number>(r - 1).fill(0);
  for (let row = 0; row < rows; row++) {
    let srcRow = 0;
    for (let i = 0; i < r - 1; i++) srcRow += (idx[i] % x.shape[i]) * inRowStride[i];
    const s = src.subarray(srcRow * inner, srcRow * inner + inner);
    const base = row * rowOut;
    for (let k = 0; k < reps[r - 1]; k++) dst.set(s, base + k * inner);
    for (let i = r - 2; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

/** Normalised, sorted axes, or undefined unless they are exactly 0..k-1 for some k < rank. */
function leadingAxes(axis: number | number[], rank: number): number | undefined {
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((
    p,
    q,
  ) => p - q);
  if (axes.length === 0 || axes.length >= rank) return undefined;
  return axes.every((a, i) => a === i) ? axes.length : undefined;
}

function reduceLeading(args: KernelArgs, name: "Sum" | "Mean"): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = input(inputs, "x", name);
  const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
  const k = leadingAxes(axis, x.shape.length);
  if (k === undefined || x.dtype !== "float32") return original(name)(args) as tf.TensorInfo;
  const b = backend as WasmBackend;
  const rows = size(x.shape.slice(0, k));
  const cols = size(x.shape.slice(k));
  const outShape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...x.shape.slice(k)] : x.shape.slice(k);
  const out = b.makeOutput(outShape, "float32");
  const scale = name === "Mean" ? 1 / rows : 1;
  sumLeadingLoop({ X: f32(b, x), OUT: f32(b, out) }, { rows, cols, scale }, 0, cols);
  return out;
}

export const sumKernel = (args: KernelArgs): tf.TensorInfo => reduceLeading(args, "Sum");
export const meanKernel = (args: KernelArgs): tf.TensorInfo => reduceLeading(args, "Mean");

export function maxPoolGradKernel(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = input(inputs, "dy", "MaxPoolGrad");
  const x = input(inputs, "input", "MaxPoolGrad");
  const output = inputs.output;
  const a = attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: "same" | "valid" | number;
    dimRoundingMode?: "floor" | "round" | "ceil";
  };
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const b = backend as WasmBackend;
  const dx = b.makeOutput(x.shape, "float32");
  const X = f32(b, x);
  const DY = f32(b, dy);
  const DX = f32(b, dx);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  // The forward output holds each window's maximum, so the scan can stop where it is found.
  const Y = output ? f32(b, output) : X;
  runLoop(
    "maxPoolGrad",
    { X, DY, DX, Y },
    { h, w, c, oh, ow, sh, sw, fh, fw, top, left, hasY: output ? 1 : 0 },
    n,
    DY.length,
  );
  return dx;
}

/**
 * SplitV (the gradient of Concat, i.e. of every inception block) as row copies; the wasm kernel
 * runs one generic Slice per output, which is slow for the channel axis.
 */
export function splitVKernel(args: KernelArgs): tf.TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const x = input(inputs, "x", "SplitV");
  const { numOrSizeSplits, axis } = attrs as { numOrSizeSplits: number | number[]; axis: number | number[] };
  if (x.dtype !== "float32") return original("SplitV")(args) as tf.TensorInfo[];
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, ax);
  const b = backend as WasmBackend;
  const rows = size(x.shape.slice(0, ax));
  const inner = size(x.shape.slice(ax + 1));
  const rowLen = x.shape[ax] * inner;
  const outs = sizes.map((s) => b.makeOutput(x.shape.map((d, i) => (i === ax ? s : d)), "float32"));
  const src = f32(b, x);
  let offset = 0;
  outs.forEach((out, k) => {
    const len = sizes[k] * inner;
    const dst = f32(b, out);
    for (let r = 0; r < rows; r++) {
      dst.set(src.subarray(r * rowLen + offset, r * rowLen + offset + len), r * len);
    }
    offset += len;
  });
  return outs;
}
