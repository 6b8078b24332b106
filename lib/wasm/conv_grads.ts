/**
 * Conv2D gradients as forward convolutions, which the wasm backend runs through XNNPACK.
 *
 * Forward (NHWC, one spatial axis shown): y[o] = Σ_k x[o·s − p + k] · W[k].
 *  - input gradient: dx[i] = Σ_k dyd[i + p − k] · W[k], with dyd = dy with s−1 zeros between
 *    entries. Flipping the filter (k' = K−1−k) makes it a stride-1 correlation of dyd, padded by
 *    K−1−p in front, with the filter's in/out channels swapped.
 *  - filter gradient: dW[k] = Σ_{n,o} x[n, o·s − p + k] · dy[n, o]. With the batch axis as the
 *    channel axis (x → [Cin, H, W, N], dy → [Oh, Ow, N, Cout]) this is a stride-1 convolution
 *    of x with dy as the filter, dilated by s, whose K×K output is the filter gradient.
 */
import * as tf from "@tensorflow/tfjs-core";
import { f32, input, type KernelArgs, original, Scope, type WasmBackend } from "./kernel_util.ts";

type Pads = [[number, number], [number, number], [number, number], [number, number]];

interface Geometry {
  sh: number;
  sw: number;
  kh: number;
  kw: number;
  top: number;
  left: number;
}

function geometry(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: unknown,
  dimRoundingMode: unknown,
): Geometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    strides,
    1,
    pad as "same",
    dimRoundingMode as "floor" | undefined,
    false,
    "channelsLast",
  );
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
  const a = attrs as unknown as {
    strides: number | [number, number];
    pad: unknown;
    dataFormat: string;
    dimRoundingMode: unknown;
    inputShape: [number, number, number, number];
  };
  if (a.dataFormat === "NCHW") return original("Conv2DBackpropInput")(args) as tf.TensorInfo;
  const dy = input(inputs, "dy", "Conv2DBackpropInput");
  const filter = input(inputs, "filter", "Conv2DBackpropInput");
  const [n, h, w, cin] = a.inputShape;
  const g = geometry(
    a.inputShape,
    filter.shape as [number, number, number, number],
    a.strides,
    a.pad,
    a.dimRoundingMode,
  );
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

export function conv2DBackpropFilterKernel(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const a = attrs as unknown as {
    strides: number | [number, number];
    pad: unknown;
    dataFormat: string;
    dimRoundingMode: unknown;
    filterShape: [number, number, number, number];
  };
  if (a.dataFormat === "NCHW") {
    throw new Error("Conv2DBackpropFilter on wasm supports only NHWC (dataFormat 'NHWC' / channelsLast)");
  }
  const x = input(inputs, "x", "Conv2DBackpropFilter");
  const dy = input(inputs, "dy", "Conv2DBackpropFilter");
  const [n, h, w, cin] = x.shape;
  const [, oh, ow, cout] = dy.shape;
  const g = geometry(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    a.pad,
    a.dimRoundingMode,
  );
  const scope = new Scope(backend as WasmBackend, "Conv2DBackpropFilter");
  // x rows read: k − top + o·sh for k ∈ [0, kh), o ∈ [0, oh)
  const rows = window(-g.top, g.kh - 1 - g.top + (oh - 1) * g.sh, h);
  const cols = window(-g.left, g.kw - 1 - g.left + (ow - 1) * g.sw, w);
  let xt: tf.TensorInfo;
  if (g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && h === oh && w === ow) {
    // 1×1, stride 1: dW = xᵀ·dy as a plain matrix product.
    const x2 = scope.reshape(x, [n * h * w, cin]);
    const dy2 = scope.reshape(dy, [n * h * w, cout]);
    const dw = scope.run("BatchMatMul", { a: x2, b: dy2 }, { transposeA: true, transposeB: false });
    return scope.finish(scope.reshape(dw, [1, 1, cin, cout]));
  }
  xt = scope.run("Transpose", { x }, { perm: [3, 1, 2, 0] }); // [Cin, H, W, N]
  if (rows.cropBefore || rows.cropAfter || cols.cropBefore || cols.cropAfter) {
    xt = scope.run("Slice", { x: xt }, {
      begin: [0, rows.cropBefore, cols.cropBefore, 0],
      size: [cin, h - rows.cropBefore - rows.cropAfter, w - cols.cropBefore - cols.cropAfter, n],
    });
  }
  const dyt = scope.run("Transpose", { x: dy }, { perm: [1, 2, 0, 3] }); // [Oh, Ow, N, Cout]
  const pads: Pads = [[0, 0], [rows.padBefore, rows.padAfter], [cols.padBefore, cols.padAfter], [0, 0]];
  const r = scope.run("Conv2D", { x: xt, filter: dyt }, {
    strides: [1, 1],
    pad: pads,
    dataFormat: "NHWC",
    dilations: [g.sh, g.sw],
    dimRoundingMode: undefined,
  }); // [Cin, kh, kw, Cout]
  const dw = scope.run("Transpose", { x: r }, { perm: [1, 2, 0, 3] });
  if (dw.shape.join() !== a.filterShape.join()) {
    throw new Error(`Conv2DBackpropFilter: produced ${dw.shape}, expected ${a.filterShape}`);
  }
  return scope.finish(dw);
}
