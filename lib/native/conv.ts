/**
 * Conv2D and both of its gradients as oneDNN convolution primitives, on the wasm backend's tensors
 * in place: TensorFlow.js's NHWC activations and HWIO filters are oneDNN's `nhwc` and `hwio`
 * plain layouts, so each call only points the primitive's memory objects at the tensors' bytes
 * in the wasm heap and runs it (no copies, no reorders).
 */
import * as tf from "@tensorflow/tfjs-core";
import { f32, input, type KernelArgs, type WasmBackend } from "../wasm/kernel_util.ts";
import { C, dims, type Dnnl, memDesc, opDesc, Primitive, PrimitiveCache, withPrimitiveDesc } from "./dnnl.ts";

type Shape4 = [number, number, number, number];

interface ConvAttrs {
  strides: number | [number, number];
  pad: unknown;
  dataFormat: string;
  dilations?: number | [number, number];
  dimRoundingMode: unknown;
  inputShape?: Shape4;
  filterShape?: Shape4;
}

/** One convolution's geometry, and the key its primitives are cached under. */
interface Geometry {
  x: Shape4; // [n, h, w, cin]
  f: Shape4; // [kh, kw, cin, cout]
  y: Shape4; // [n, oh, ow, cout]
  strides: [number, number];
  padL: [number, number];
  padR: [number, number];
  key: string;
}

function geometry(xShape: Shape4, filterShape: Shape4, a: ConvAttrs): Geometry | undefined {
  if (a.dataFormat === "NCHW") return undefined;
  const dil = a.dilations ?? 1;
  if (Array.isArray(dil) ? dil[0] !== 1 || dil[1] !== 1 : dil !== 1) return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    a.strides,
    1,
    a.pad as "same",
    a.dimRoundingMode as "floor" | undefined,
    false,
    "channelsLast",
  );
  const { top, bottom, left, right } = info.padInfo;
  const y: Shape4 = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  const strides: [number, number] = [info.strideHeight, info.strideWidth];
  const g = { x: xShape, f: filterShape, y, strides, padL: [top, left], padR: [bottom, right] } as const;
  return { ...g, padL: [top, left], padR: [bottom, right], key: JSON.stringify(g) };
}

/** The three memory descriptors (src, weights, dst) and a convolution op descriptor's common args. */
function descs(dnnl: Dnnl, g: Geometry) {
  const [n, h, w, cin] = g.x;
  const [kh, kw, , cout] = g.f;
  const [, oh, ow] = g.y;
  return {
    src: memDesc(dnnl, [n, cin, h, w], C.tag.nhwc),
    wei: memDesc(dnnl, [cout, cin, kh, kw], C.tag.hwio),
    weiAny: memDesc(dnnl, [cout, cin, kh, kw], C.tag.any),
    dst: memDesc(dnnl, [n, cout, oh, ow], C.tag.nhwc),
    strides: dims(g.strides),
    padL: dims(g.padL),
    padR: dims(g.padR),
  };
}

function forwardOp(dnnl: Dnnl, g: Geometry) {
  const d = descs(dnnl, g);
  const op = opDesc();
  const status = dnnl.lib.dnnl_convolution_forward_desc_init(
    op,
    C.prop.forwardTraining,
    C.alg.convDirect,
    d.src,
    d.weiAny,
    null,
    d.dst,
    d.strides,
    d.padL,
    d.padR,
  );
  if (status !== C.success) throw new Error(`oneDNN: convolution forward desc ${g.key}: status ${status}`);
  return { op, d };
}

/**
 * Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter bound to one opened library and cache;
 * what they do not cover (NCHW, dilation, other dtypes) goes to `previous(name)`, the kernel
 * registered before them.
 */
export function convKernels(dnnl: Dnnl, cache: PrimitiveCache, previous: (name: string) => tf.KernelFunc) {
  function forward(g: Geometry): Primitive {
    return cache.get(`fwd${g.key}`, () => {
      const { op, d } = forwardOp(dnnl, g);
      return new Primitive(dnnl, op, [
        { id: C.arg.src, md: d.src },
        { id: C.arg.weights, md: d.wei, chosen: C.query.weightsMd },
        { id: C.arg.dst, md: d.dst },
      ]);
    });
  }

  function backwardData(g: Geometry): Primitive {
    return cache.get(`bwdd${g.key}`, () => {
      const { op: fwd, d } = forwardOp(dnnl, g);
      const op = opDesc();
      const status = dnnl.lib.dnnl_convolution_backward_data_desc_init(
        op,
        C.alg.convDirect,
        d.src,
        d.weiAny,
        d.dst,
        d.strides,
        d.padL,
        d.padR,
      );
      if (status !== C.success) throw new Error(`oneDNN: convolution backward data desc: status ${status}`);
      return withPrimitiveDesc(dnnl, fwd, (hint) =>
        new Primitive(dnnl, op, [
          { id: C.arg.diffSrc, md: d.src },
          { id: C.arg.weights, md: d.wei, chosen: C.query.weightsMd },
          { id: C.arg.diffDst, md: d.dst },
        ], hint));
    });
  }

  function backwardWeights(g: Geometry): Primitive {
    return cache.get(`bwdw${g.key}`, () => {
      const { op: fwd, d } = forwardOp(dnnl, g);
      const op = opDesc();
      const status = dnnl.lib.dnnl_convolution_backward_weights_desc_init(
        op,
        C.alg.convDirect,
        d.src,
        d.weiAny,
        null,
        d.dst,
        d.strides,
        d.padL,
        d.padR,
      );
      if (status !== C.success) {
        throw new Error(`oneDNN: convolution backward weights desc: status ${status}`);
      }
      return withPrimitiveDesc(dnnl, fwd, (hint) =>
        new Primitive(dnnl, op, [
          { id: C.arg.src, md: d.src },
          { id: C.arg.diffWeights, md: d.wei, chosen: C.query.diffWeightsMd, output: true },
          { id: C.arg.diffDst, md: d.dst },
        ], hint));
    });
  }

  const usable = (...ts: tf.TensorInfo[]) => ts.every((t) => t.dtype === "float32" && t.shape.length === 4);

  function conv2D(args: KernelArgs): tf.TensorInfo {
    const { inputs, backend, attrs } = args;
    const x = input(inputs, "x", "Conv2D");
    const filter = input(inputs, "filter", "Conv2D");
    const g = usable(x, filter)
      ? geometry(x.shape as Shape4, filter.shape as Shape4, attrs as unknown as ConvAttrs)
      : undefined;
    if (!g) return previous("Conv2D")(args) as tf.TensorInfo;
    const prim = forward(g);
    const b = backend as WasmBackend;
    const y = b.makeOutput(g.y, "float32");
    prim.execute(new Map([[C.arg.src, f32(b, x)], [C.arg.weights, f32(b, filter)], [C.arg.dst, f32(b, y)]]));
    return y;
  }

  function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
    const { inputs, backend, attrs } = args;
    const a = attrs as unknown as ConvAttrs;
    const dy = input(inputs, "dy", "Conv2DBackpropInput");
    const filter = input(inputs, "filter", "Conv2DBackpropInput");
    const g = usable(dy, filter) && a.inputShape
      ? geometry(a.inputShape, filter.shape as Shape4, a)
      : undefined;
    if (!g) return previous("Conv2DBackpropInput")(args) as tf.TensorInfo;
    if (g.y.join() !== dy.shape.join()) {
      throw new Error(`Conv2DBackpropInput: dy is ${dy.shape}, the convolution's output is ${g.y}`);
    }
    const prim = backwardData(g);
    const b = backend as WasmBackend;
    const dx = b.makeOutput(g.x, "float32");
    prim.execute(
      new Map([[C.arg.diffSrc, f32(b, dx)], [C.arg.weights, f32(b, filter)], [C.arg.diffDst, f32(b, dy)]]),
    );
    return dx;
  }

  function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
    const { inputs, backend, attrs } = args;
    const a = attrs as unknown as ConvAttrs;
    const x = input(inputs, "x", "Conv2DBackpropFilter");
    const dy = input(inputs, "dy", "Conv2DBackpropFilter");
    const g = usable(x, dy) && a.filterShape ? geometry(x.shape as Shape4, a.filterShape, a) : undefined;
    if (!g) return previous("Conv2DBackpropFilter")(args) as tf.TensorInfo;
    if (g.y.join() !== dy.shape.join()) {
      throw new Error(`Conv2DBackpropFilter: dy is ${dy.shape}, the convolution's output is ${g.y}`);
    }
    const prim = backwardWeights(g);
    const b = backend as WasmBackend;
    const dw = b.makeOutput(g.f, "float32");
    prim.execute(
      new Map([[C.arg.src, f32(b, x)], [C.arg.diffWeights, f32(b, dw)], [C.arg.diffDst, f32(b, dy)]]),
    );
    return dw;
  }

  return { conv2D, conv2DBackpropInput, conv2DBackpropFilter };
}
