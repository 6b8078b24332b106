/**
 * Conv2D and both of its gradients as oneDNN convolution primitives, on the wasm backend's tensors
 * in place: TensorFlow.js's NHWC activations and HWIO filters are oneDNN's `nhwc` and `hwio`
 * plain layouts, so each call only points the primitive's memory objects at the tensors' bytes
 * in the wasm heap and runs it (no copies, no reorders).
 *
 * FusedConv2D (what every tfjs-layers Conv2D layer runs in inference, and in training when its
 * activation is linear) is one primitive: oneDNN's bias argument and a ReLU post-op applied as the
 * output is written. Both networks' layers are all bias + ReLU. With it embedding no longer runs on
 * XNNPACK: `deno task bench -- --model zf|inception --batch 32 --steps 5 --json --peer --repeat 3`,
 * embed 154.8 → 554 img/s (ZF) and 131.0 → 322 img/s (Inception), 1.42× and 1.55× the PyTorch
 * peer (2-core AMD EPYC, loaded by other jobs); training, whose ReLU layers tfjs runs unfused, is
 * unchanged.
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  conv2DInfoNhwc,
  type ConvGeometryAttrs,
  f32,
  input,
  type KernelArgs,
  type WasmBackend,
} from "../wasm/kernel_util.ts";
import { C, dims, type Dnnl, memDesc, opDesc, withEltwiseAttr, withPrimitiveDesc } from "./dnnl.ts";
import { type ArgSpec, Primitive, type PrimitiveCache } from "./primitive.ts";
import { CONV_BACKPROP_FILTER_BIAS } from "../wasm/fused_conv_training.ts";

type Shape4 = [number, number, number, number];

interface ConvAttrs extends ConvGeometryAttrs {
  dataFormat: string;
  dilations?: number | [number, number];
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
  const info = conv2DInfoNhwc(xShape, filterShape, a);
  const { top, bottom, left, right } = info.padInfo;
  const y: Shape4 = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  const strides: [number, number] = [info.strideHeight, info.strideWidth];
  const g = { x: xShape, f: filterShape, y, strides, padL: [top, left], padR: [bottom, right] } as const;
  return { ...g, padL: [top, left], padR: [bottom, right], key: JSON.stringify(g) };
}

/** The memory descriptors (src, weights, bias, dst) and a convolution op descriptor's common args. */
function descs(dnnl: Dnnl, g: Geometry) {
  const [n, h, w, cin] = g.x;
  const [kh, kw, , cout] = g.f;
  const [, oh, ow] = g.y;
  return {
    src: memDesc(dnnl, [n, cin, h, w], C.tag.nhwc),
    wei: memDesc(dnnl, [cout, cin, kh, kw], C.tag.hwio),
    weiAny: memDesc(dnnl, [cout, cin, kh, kw], C.tag.any),
    bias: memDesc(dnnl, [cout], C.tag.a),
    dst: memDesc(dnnl, [n, cout, oh, ow], C.tag.nhwc),
    /** strides, padding left/top, padding right/bottom: the op descriptors' last three arguments */
    geo: [dims(g.strides), dims(g.padL), dims(g.padR)] as const,
  };
}

/** The forward op descriptor; `fused`: an inference-only one, with a bias argument if asked. */
function forwardOp(dnnl: Dnnl, g: Geometry, fused?: { bias: boolean }) {
  const d = descs(dnnl, g);
  const op = opDesc();
  const { lib } = dnnl;
  const { src, weiAny, dst, geo } = d;
  const prop = fused ? C.prop.forwardInference : C.prop.forwardTraining;
  const bias = fused?.bias ? Deno.UnsafePointer.of(d.bias) : null;
  const alg = C.alg.convDirect;
  const status = lib.dnnl_convolution_forward_desc_init(op, prop, alg, src, weiAny, bias, dst, ...geo);
  if (status !== C.success) throw new Error(`oneDNN: convolution forward desc ${g.key}: status ${status}`);
  return { op, d };
}

function forwardPrimitive(dnnl: Dnnl, cache: PrimitiveCache, g: Geometry): Primitive {
  return cache.get(`fwd${g.key}`, () => {
    const { op, d } = forwardOp(dnnl, g);
    return new Primitive(dnnl, op, [
      { id: C.arg.src, md: d.src },
      { id: C.arg.weights, md: d.wei, chosen: C.query.weightsMd },
      { id: C.arg.dst, md: d.dst },
    ]);
  });
}

/**
 * FusedConv2D's primitive: the convolution, its bias (oneDNN's bias argument) and, for `relu`, a
 * ReLU post-op applied as the output is written, in one pass over the output.
 */
function fusedPrimitive(
  dnnl: Dnnl,
  cache: PrimitiveCache,
  g: Geometry,
  bias: boolean,
  activation: "linear" | "relu",
): Primitive {
  return cache.get(`fused${bias ? "+bias" : ""}+${activation}${g.key}`, () => {
    const { op, d } = forwardOp(dnnl, g, { bias });
    const specs: ArgSpec[] = [
      { id: C.arg.src, md: d.src },
      { id: C.arg.weights, md: d.wei, chosen: C.query.weightsMd },
      { id: C.arg.dst, md: d.dst },
    ];
    if (bias) specs.push({ id: C.arg.bias, md: d.bias });
    return activation === "relu"
      ? withEltwiseAttr(dnnl, C.alg.eltwiseRelu, (attr) => new Primitive(dnnl, op, specs, null, attr))
      : new Primitive(dnnl, op, specs);
  });
}

/** FusedConv2D's attributes (tfjs-core's FusedConv2DAttrs). */
interface FusedConvAttrs extends ConvAttrs {
  activation?: string;
  leakyreluAlpha?: number;
}

/** The input ("data") or filter ("weights") gradient's primitive, with the forward one as its hint. */
function backwardPrimitive(
  dnnl: Dnnl,
  cache: PrimitiveCache,
  g: Geometry,
  kind: "data" | "weights",
): Primitive {
  return cache.get(`${kind === "data" ? "bwdd" : "bwdw"}${g.key}`, () => {
    const { op: fwd, d } = forwardOp(dnnl, g);
    const op = opDesc();
    const { lib } = dnnl;
    const { src, weiAny, dst, geo } = d;
    const alg = C.alg.convDirect;
    const status = kind === "data"
      ? lib.dnnl_convolution_backward_data_desc_init(op, alg, src, weiAny, dst, ...geo)
      : lib.dnnl_convolution_backward_weights_desc_init(op, alg, src, weiAny, null, dst, ...geo);
    if (status !== C.success) throw new Error(`oneDNN: convolution backward ${kind} desc: status ${status}`);
    const specs: ArgSpec[] = kind === "data"
      ? [
        { id: C.arg.diffSrc, md: d.src },
        { id: C.arg.weights, md: d.wei, chosen: C.query.weightsMd },
        { id: C.arg.diffDst, md: d.dst },
      ]
      : [
        { id: C.arg.src, md: d.src },
        { id: C.arg.diffWeights, md: d.wei, chosen: C.query.diffWeightsMd, output: true },
        { id: C.arg.diffDst, md: d.dst },
      ];
    return withPrimitiveDesc(dnnl, fwd, (hint) => new Primitive(dnnl, op, specs, hint));
  });
}

/**
 * The filter gradient's primitive that also writes the bias gradient (oneDNN's diff_bias: Σ dy over
 * N, H, W, in the same pass over dy), with the forward one as its hint.
 */
function backwardWeightsBiasPrimitive(dnnl: Dnnl, cache: PrimitiveCache, g: Geometry): Primitive {
  return cache.get(`bwdwb${g.key}`, () => {
    const { op: fwd, d } = forwardOp(dnnl, g);
    const op = opDesc();
    const { src, weiAny, dst, geo } = d;
    const status = dnnl.lib.dnnl_convolution_backward_weights_desc_init(
      op,
      C.alg.convDirect,
      src,
      weiAny,
      Deno.UnsafePointer.of(d.bias),
      dst,
      ...geo,
    );
    if (status !== C.success) {
      throw new Error(`oneDNN: convolution backward weights+bias desc: status ${status}`);
    }
    return withPrimitiveDesc(dnnl, fwd, (hint) =>
      new Primitive(dnnl, op, [
        { id: C.arg.src, md: d.src },
        { id: C.arg.diffWeights, md: d.wei, chosen: C.query.diffWeightsMd, output: true },
        { id: C.arg.diffBias, md: d.bias },
        { id: C.arg.diffDst, md: d.dst },
      ], hint));
  });
}

/** What each gradient kernel writes (its argument and shape) and takes besides dy (filter or x). */
const GRADIENT = {
  data: { outId: C.arg.diffSrc, outShape: (g: Geometry) => g.x, otherId: C.arg.weights },
  weights: { outId: C.arg.diffWeights, outShape: (g: Geometry) => g.f, otherId: C.arg.src },
} as const;

const usable = (...ts: tf.TensorInfo[]) => ts.every((t) => t.dtype === "float32" && t.shape.length === 4);

/**
 * Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter and FusedConv2D bound to one opened library
 * and cache; what they do not cover (NCHW, dilation, other dtypes; for FusedConv2D also
 * activations other than linear/relu, PReLU weights, a bias that is not one value per output
 * channel, and dimRoundingMode) goes to `previous(name)`, the kernel registered before them.
 */
export function convKernels(dnnl: Dnnl, cache: PrimitiveCache, previous: (name: string) => tf.KernelFunc) {
  /**
   * What both gradient kernels do: fall back when `g` is undefined, check `dy` against the
   * convolution's output, then run the `kind` gradient's primitive on `dy` and `other`.
   */
  function gradient(
    name: string,
    args: KernelArgs,
    dy: tf.TensorInfo,
    g: Geometry | undefined,
    kind: "data" | "weights",
    other: tf.TensorInfo,
  ) {
    const s = GRADIENT[kind];
    if (!g) return previous(name)(args) as tf.TensorInfo;
    if (g.y.join() !== dy.shape.join()) {
      throw new Error(`${name}: dy is ${dy.shape}, the convolution's output is ${g.y}`);
    }
    const prim = backwardPrimitive(dnnl, cache, g, kind);
    const b = args.backend as WasmBackend;
    const out = b.makeOutput(s.outShape(g), "float32");
    prim.execute(
      new Map([[s.outId, f32(b, out)], [s.otherId, f32(b, other)], [C.arg.diffDst, f32(b, dy)]]),
    );
    return out;
  }

  function conv2D(args: KernelArgs): tf.TensorInfo {
    const { inputs, backend, attrs } = args;
    const x = input(inputs, "x", "Conv2D");
    const filter = input(inputs, "filter", "Conv2D");
    const g = usable(x, filter)
      ? geometry(x.shape as Shape4, filter.shape as Shape4, attrs as unknown as ConvAttrs)
      : undefined;
    if (!g) return previous("Conv2D")(args) as tf.TensorInfo;
    const prim = forwardPrimitive(dnnl, cache, g);
    const b = backend as WasmBackend;
    const y = b.makeOutput(g.y, "float32");
    prim.execute(new Map([[C.arg.src, f32(b, x)], [C.arg.weights, f32(b, filter)], [C.arg.dst, f32(b, y)]]));
    return y;
  }

  function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
    const a = args.attrs as unknown as ConvAttrs;
    const dy = input(args.inputs, "dy", "Conv2DBackpropInput");
    const filter = input(args.inputs, "filter", "Conv2DBackpropInput");
    const g = usable(dy, filter) && a.inputShape
      ? geometry(a.inputShape, filter.shape as Shape4, a)
      : undefined;
    return gradient("Conv2DBackpropInput", args, dy, g, "data", filter);
  }

  function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
    const a = args.attrs as unknown as ConvAttrs;
    const x = input(args.inputs, "x", "Conv2DBackpropFilter");
    const dy = input(args.inputs, "dy", "Conv2DBackpropFilter");
    const g = usable(x, dy) && a.filterShape ? geometry(x.shape as Shape4, a.filterShape, a) : undefined;
    return gradient("Conv2DBackpropFilter", args, dy, g, "weights", x);
  }

  /**
   * `Conv2DBackpropFilterBias` (this project's kernel; lib/wasm/fused_conv_training.ts asks for it
   * when registered): the filter gradient and the bias gradient Σ dy in one oneDNN call, instead of
   * Conv2DBackpropFilter and a Sum over N, H, W. Outputs [dW, db].
   */
  function conv2DBackpropFilterBias(args: KernelArgs): tf.TensorInfo[] {
    const a = args.attrs as unknown as ConvAttrs;
    const x = input(args.inputs, "x", CONV_BACKPROP_FILTER_BIAS);
    const dy = input(args.inputs, "dy", CONV_BACKPROP_FILTER_BIAS);
    const g = usable(x, dy) && a.filterShape ? geometry(x.shape as Shape4, a.filterShape, a) : undefined;
    if (!g) throw new Error(`${CONV_BACKPROP_FILTER_BIAS}: only float32 NHWC without dilations`);
    if (g.y.join() !== dy.shape.join()) {
      throw new Error(`${CONV_BACKPROP_FILTER_BIAS}: dy is ${dy.shape}, the convolution's output is ${g.y}`);
    }
    const prim = backwardWeightsBiasPrimitive(dnnl, cache, g);
    const b = args.backend as WasmBackend;
    const dw = b.makeOutput(g.f, "float32");
    const db = b.makeOutput([g.f[3]], "float32");
    prim.execute(
      new Map([
        [C.arg.src, f32(b, x)],
        [C.arg.diffWeights, f32(b, dw)],
        [C.arg.diffBias, f32(b, db)],
        [C.arg.diffDst, f32(b, dy)],
      ]),
    );
    return [dw, db];
  }

  /**
   * tfjs-layers runs every Conv2D layer through `tf.fused.conv2d`, which calls this kernel in
   * inference (all of embedding) and for linear activations in training; without it those
   * convolutions stayed on XNNPACK.
   */
  function fusedConv2D(args: KernelArgs): tf.TensorInfo {
    const { inputs, backend } = args;
    const a = args.attrs as unknown as FusedConvAttrs;
    const x = input(inputs, "x", "FusedConv2D");
    const filter = input(inputs, "filter", "FusedConv2D");
    const bias = inputs.bias as tf.TensorInfo | undefined;
    const activation = a.activation ?? "linear";
    const native = usable(x, filter) && (activation === "linear" || activation === "relu") &&
      !inputs.preluActivationWeights && a.dimRoundingMode == null &&
      (!bias || (bias.dtype === "float32" && bias.shape.length === 1 && bias.shape[0] === filter.shape[3]));
    const g = native ? geometry(x.shape as Shape4, filter.shape as Shape4, a) : undefined;
    if (!g) return previous("FusedConv2D")(args) as tf.TensorInfo;
    const prim = fusedPrimitive(dnnl, cache, g, bias !== undefined, activation as "linear" | "relu");
    const b = backend as WasmBackend;
    const y = b.makeOutput(g.y, "float32");
    const data = new Map<number, Float32Array>([
      [C.arg.src, f32(b, x)],
      [C.arg.weights, f32(b, filter)],
      [C.arg.dst, f32(b, y)],
    ]);
    if (bias) data.set(C.arg.bias, f32(b, bias));
    prim.execute(data);
    return y;
  }

  return { conv2D, conv2DBackpropInput, conv2DBackpropFilter, conv2DBackpropFilterBias, fusedConv2D };
}
