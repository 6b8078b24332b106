/**
 * Conv2D gradients on the wasm backend, as operations XNNPACK runs fast.
 *
 * Forward (NHWC, one spatial axis shown): y[o] = Σ_k x[o·s − p + k] · W[k].
 *  - input gradient, as a forward convolution: dx[i] = Σ_k dyd[i + p − k] · W[k], with dyd = dy
 *    with s−1 zeros between entries. Flipping the filter (k' = K−1−k) makes it a stride-1
 *    correlation of dyd, padded by K−1−p in front, with the filter's in/out channels swapped.
 *  - filter gradient, as matrix products: dW[(k, c), co] = Σ_m P[m, (k, c)] · dy[m, co] over the
 *    M = N·Oh·Ow output positions m, P being x's im2col patches (P[m, (k, c)] = x[n, o·s − p + k, c]).
 *    Pᵀ is built in JavaScript a chunk of images at a time and multiplied by dy's rows through
 *    XNNPACK's fully-connected path.
 *
 * An earlier version computed the filter gradient as a convolution too (batch and channel axes
 * swapped, dy as a dilated filter). At batch 32 that took 127 ms (stem 7×7×1→64), 160 ms
 * (24×24×64→192) and 157 ms (12×12×192→384) against 51, 112 and 128 ms now: the wasm build
 * transposes a convolution's filter (here dy) with a slow generic loop before XNNPACK packs it,
 * and XNNPACK's inner loop then saw only N channels per kernel tap.
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  conv2DInfoNhwc,
  type ConvGeometryAttrs,
  f32,
  input,
  type KernelArgs,
  original,
  Scope,
  type WasmBackend,
} from "./kernel_util.ts";
import { im2colTLoop } from "./loops.ts";

type Pads = [[number, number], [number, number], [number, number], [number, number]];

interface Geometry {
  sh: number;
  sw: number;
  kh: number;
  kw: number;
  top: number;
  left: number;
}

type Shape4 = [number, number, number, number];

/** The attributes both gradient kernels get (each also gets the shape of what it computes). */
interface ConvGradAttrs extends ConvGeometryAttrs {
  dataFormat: string;
  inputShape: Shape4;
  filterShape: Shape4;
}

function geometry(xShape: Shape4, filterShape: Shape4, a: ConvGradAttrs): Geometry {
  const info = conv2DInfoNhwc(xShape, filterShape, a);
  return {
    sh: info.strideHeight,
    sw: info.strideWidth,
    kh: info.filterHeight,
    kw: info.filterWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/** Split a wanted [start, end] window (inclusive, may lie outside [0, len)) into zero-padding and cropping. */
function window(start: number, end: number, len: number) {
  return {
    padBefore: Math.max(0, -start),
    cropBefore: Math.max(0, start),
    padAfter: Math.max(0, end - (len - 1)),
    cropAfter: Math.max(0, (len - 1) - end),
  };
}

/**
 * dy [N,Oh,Ow,C] → [N, Oh·sh, Ow·sw, C] with sh−1 / sw−1 zeros after each entry, written in one
 * pass in JavaScript (the rank-6 pad the same thing needs is slow in the wasm build).
 */
function dilate(scope: Scope, dy: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo {
  const [n, oh, ow, c] = dy.shape;
  const out = scope.keep(scope.backend.makeOutput([n, oh * sh, ow * sw, c], "float32"));
  const src = f32(scope.backend, dy);
  const dst = f32(scope.backend, out);
  dst.fill(0);
  const rowOut = ow * sw * c;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const ib = (b * oh + i) * ow * c;
      const obRow = (b * oh * sh + i * sh) * rowOut;
      for (let j = 0; j < ow; j++) {
        dst.set(src.subarray(ib + j * c, ib + (j + 1) * c), obRow + j * sw * c);
      }
    }
  }
  return out;
}

/**
 * W [kh,kw,Cin,Cout] → W' [kh,kw,Cout,Cin] with W'[i,j,o,c] = W[kh−1−i, kw−1−j, c, o], in one pass
 * (the wasm build's Reverse alone took longer than the convolution it prepares).
 */
function flipSwap(scope: Scope, filter: tf.TensorInfo): tf.TensorInfo {
  const [kh, kw, cin, cout] = filter.shape;
  const out = scope.keep(scope.backend.makeOutput([kh, kw, cout, cin], "float32"));
  const src = f32(scope.backend, filter);
  const dst = f32(scope.backend, out);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const sBase = ((kh - 1 - i) * kw + (kw - 1 - j)) * cin * cout;
      const dBase = (i * kw + j) * cout * cin;
      for (let c = 0; c < cin; c++) {
        const s = sBase + c * cout;
        for (let o = 0; o < cout; o++) dst[dBase + o * cin + c] = src[s + o];
      }
    }
  }
  return out;
}

export function conv2DBackpropInputKernel(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const a = attrs as unknown as ConvGradAttrs;
  if (a.dataFormat === "NCHW") return original("Conv2DBackpropInput")(args) as tf.TensorInfo;
  const dy = input(inputs, "dy", "Conv2DBackpropInput");
  const filter = input(inputs, "filter", "Conv2DBackpropInput");
  const [n, h, w, cin] = a.inputShape;
  const g = geometry(a.inputShape, filter.shape as Shape4, a);
  const scope = new Scope(backend as WasmBackend, "Conv2DBackpropInput");
  let d = g.sh > 1 || g.sw > 1 ? dilate(scope, dy, g.sh, g.sw) : dy;
  const rows = window(g.top - (g.kh - 1), h - 1 + g.top, d.shape[1]);
  const cols = window(g.left - (g.kw - 1), w - 1 + g.left, d.shape[2]);
  if (rows.cropBefore || rows.cropAfter || cols.cropBefore || cols.cropAfter) {
    d = scope.run("Slice", { x: d }, {
      begin: [0, rows.cropBefore, cols.cropBefore, 0],
      size: [
        n,
        d.shape[1] - rows.cropBefore - rows.cropAfter,
        d.shape[2] - cols.cropBefore - cols.cropAfter,
        -1,
      ],
    });
  }
  const wt = flipSwap(scope, filter);
  const pads: Pads = [[0, 0], [rows.padBefore, rows.padAfter], [cols.padBefore, cols.padAfter], [0, 0]];
  const dx = scope.run("Conv2D", { x: d, filter: wt }, {
    strides: [1, 1],
    pad: pads,
    dataFormat: "NHWC",
    dilations: [1, 1],
    dimRoundingMode: undefined,
  });
  if (dx.shape[1] !== h || dx.shape[2] !== w || dx.shape[3] !== cin) {
    throw new Error(`Conv2DBackpropInput: produced ${dx.shape}, expected ${a.inputShape}`);
  }
  return scope.finish(dx);
}

/**
 * Pᵀ for images [n0, n1) (see im2colTLoop), from xt = x transposed to [Cin, N, H, W].
 */
function im2colT(
  scope: Scope,
  xt: tf.TensorInfo,
  n0: number,
  n1: number,
  oh: number,
  ow: number,
  g: Geometry,
): tf.TensorInfo {
  const [cin, n, h, w] = xt.shape;
  const rows = g.kh * g.kw * cin;
  const out = scope.keep(scope.backend.makeOutput([rows, (n1 - n0) * oh * ow], "float32"));
  const P = f32(scope.backend, out);
  const params = { cin, n, h, w, oh, ow, kw: g.kw, sh: g.sh, sw: g.sw, top: g.top, left: g.left, n0, n1 };
  im2colTLoop({ XT: f32(scope.backend, xt), P }, params, 0, rows);
  return out;
}

/**
 * dW = Σ over chunks of images of Pᵀ_chunk · dy_chunk. XNNPACK's GEMM does not block its reduction
 * axis, so one product over all M positions streams operands far larger than the caches; chunks of
 * about CHUNK_COLUMNS positions ran 24×24×64→192 at batch 32 in 85 ms instead of 130.
 */
const CHUNK_COLUMNS = 4096;

/** Rows [r0, r0 + rows) of a 2-D tensor as a new tensor (the wasm Slice kernel is a slow generic loop). */
function rowBlock(scope: Scope, t: tf.TensorInfo, r0: number, rows: number): tf.TensorInfo {
  const cols = t.shape[1];
  const out = scope.keep(scope.backend.makeOutput([rows, cols], "float32"));
  const src = f32(scope.backend, t);
  f32(scope.backend, out).set(src.subarray(r0 * cols, (r0 + rows) * cols));
  return out;
}

function filterGradByPatches(
  scope: Scope,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: Geometry,
  filterShape: Shape4,
): tf.TensorInfo {
  const [n, oh, ow, cout] = dy.shape;
  const patch = g.kh * g.kw * x.shape[3];
  const xt = scope.run("Transpose", { x }, { perm: [3, 0, 1, 2] });
  const per = Math.max(1, Math.floor(CHUNK_COLUMNS / (oh * ow)));
  const dy2 = scope.reshape(dy, [n * oh * ow, cout]);
  const dw = scope.keep(scope.backend.makeOutput(filterShape, "float32"));
  f32(scope.backend, dw).fill(0);
  for (let n0 = 0; n0 < n; n0 += per) {
    const n1 = Math.min(n, n0 + per);
    const rows = (n1 - n0) * oh * ow;
    const pt = im2colT(scope, xt, n0, n1, oh, ow, g);
    const dyc = n1 - n0 === n ? dy2 : rowBlock(scope, dy2, n0 * oh * ow, rows);
    const a = scope.reshape(pt, [1, patch, rows]);
    const b = scope.reshape(dyc, [1, rows, cout]);
    const part = scope.run("BatchMatMul", { a, b }, { transposeA: false, transposeB: false });
    const acc = f32(scope.backend, dw); // re-taken: the heap may have moved
    const add = f32(scope.backend, part);
    for (let k = 0; k < acc.length; k++) acc[k] += add[k];
    scope.release(part, a, b, pt, ...(dyc === dy2 ? [] : [dyc]));
  }
  return dw;
}

export function conv2DBackpropFilterKernel(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const a = attrs as unknown as ConvGradAttrs;
  if (a.dataFormat === "NCHW") {
    throw new Error("Conv2DBackpropFilter on wasm supports only NHWC (dataFormat 'NHWC' / channelsLast)");
  }
  const x = input(inputs, "x", "Conv2DBackpropFilter");
  const dy = input(inputs, "dy", "Conv2DBackpropFilter");
  const [n, h, w, cin] = x.shape;
  const [, oh, ow, cout] = dy.shape;
  const g = geometry(x.shape as Shape4, a.filterShape, a);
  const scope = new Scope(backend as WasmBackend, "Conv2DBackpropFilter");
  let dw: tf.TensorInfo;
  if (g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && h === oh && w === ow) {
    // 1×1, stride 1: the patches are x itself, dW = xᵀ·dy.
    const x2 = scope.reshape(x, [n * h * w, cin]);
    const dy2 = scope.reshape(dy, [n * h * w, cout]);
    const r = scope.run("BatchMatMul", { a: x2, b: dy2 }, { transposeA: true, transposeB: false });
    dw = scope.reshape(r, [1, 1, cin, cout]);
  } else {
    dw = filterGradByPatches(scope, x, dy, g, a.filterShape);
  }
  if (dw.shape.join() !== a.filterShape.join()) {
    throw new Error(`Conv2DBackpropFilter: produced ${dw.shape}, expected ${a.filterShape}`);
  }
  return scope.finish(dw);
}
