/**
 * MaxPool and MaxPoolGrad as oneDNN max pooling. MaxPool: XNNPACK's took 146 ms of a 3.4 s
 * Inception reference step (200 images in micro-batches of 50; tf.profile, 2-core Intel Xeon).
 * MaxPoolGrad: oneDNN's backward max pooling reads the argmax positions from a
 * workspace its forward pass writes, and TensorFlow.js's MaxPoolGrad gets only x, y and dy; so
 * the forward pass is run again here (into scratch buffers this module owns) and then the
 * backward one. Both read and write the wasm heap's NHWC tensors in place.
 */
import * as tf from "@tensorflow/tfjs-core";
import { f32, input, type KernelArgs, type WasmBackend } from "../wasm/kernel_util.ts";
import { C, check, dims, type Dnnl, memDesc, opDesc, withPrimitiveDesc } from "./dnnl.ts";
import { alignedBuffer, Primitive, type PrimitiveCache } from "./primitive.ts";

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: unknown;
  dimRoundingMode: unknown;
}

/** The forward and backward primitives of one pooling shape, and the scratch they share. */
interface PoolPair {
  fwd: Primitive;
  bwd: Primitive;
  y: Uint8Array<ArrayBuffer>;
  ws: Uint8Array<ArrayBuffer>;
}

/** TensorFlow.js's geometry of max pooling NHWC `x` with `a`, and the key its primitives are cached under. */
function poolGeometry(x: number[], a: PoolAttrs) {
  const info = tf.backend_util.computePool2DInfo(
    x as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad as "same",
    a.dimRoundingMode as "floor" | undefined,
  );
  const { top, bottom, left, right } = info.padInfo;
  const [n, h, w, c] = x;
  const [oh, ow] = [info.outHeight, info.outWidth];
  const g = {
    x,
    y: [oh, ow],
    k: [info.filterHeight, info.filterWidth],
    s: [info.strideHeight, info.strideWidth],
    pl: [top, left],
    pr: [bottom, right],
  };
  return { n, h, w, c, oh, ow, ...g, key: `maxpool${JSON.stringify(g)}` };
}

/** The primitives of max pooling `x` with `a`, built on first use and kept in `pairs`. */
function poolPair(
  dnnl: Dnnl,
  cache: PrimitiveCache,
  pairs: Map<string, PoolPair>,
  x: number[],
  a: PoolAttrs,
): PoolPair {
  const { n, c, h, w, oh, ow, key, ...g } = poolGeometry(x, a);
  let p = pairs.get(key);
  if (p) return p;
  const src = memDesc(dnnl, [n, c, h, w], C.tag.nhwc);
  const dst = memDesc(dnnl, [n, c, oh, ow], C.tag.nhwc);
  const [strides, kernel, dil, pl, pr] = [dims(g.s), dims(g.k), dims([0, 0]), dims(g.pl), dims(g.pr)];
  const fop = opDesc();
  check(
    dnnl.lib.dnnl_pooling_v2_forward_desc_init(
      fop,
      C.prop.forwardTraining,
      C.alg.poolMax,
      src,
      dst,
      strides,
      kernel,
      dil,
      pl,
      pr,
    ),
    `max pooling forward desc ${key}`,
  );
  const fwd = cache.get(`${key}fwd`, () =>
    new Primitive(dnnl, fop, [
      { id: C.arg.src, md: src },
      { id: C.arg.dst, md: dst },
      { id: C.arg.workspace, query: C.query.workspaceMd },
    ]));
  const bop = opDesc();
  check(
    dnnl.lib.dnnl_pooling_v2_backward_desc_init(bop, C.alg.poolMax, src, dst, strides, kernel, dil, pl, pr),
    `max pooling backward desc ${key}`,
  );
  const bwd = cache.get(`${key}bwd`, () =>
    withPrimitiveDesc(dnnl, fop, (hint) =>
      new Primitive(dnnl, bop, [
        { id: C.arg.diffDst, md: dst },
        { id: C.arg.workspace, query: C.query.workspaceMd },
        { id: C.arg.diffSrc, md: src },
      ], hint)));
  if (fwd.bytes(C.arg.workspace) !== bwd.bytes(C.arg.workspace)) {
    throw new Error(`oneDNN max pooling ${key}: forward and backward workspaces differ`);
  }
  p = { fwd, bwd, y: alignedBuffer(fwd.bytes(C.arg.dst)), ws: alignedBuffer(fwd.bytes(C.arg.workspace)) };
  pairs.set(key, p);
  return p;
}

/** The inference (no workspace) max-pooling primitive of `x` with `a`, built on first use, and its geometry. */
function poolForward(dnnl: Dnnl, cache: PrimitiveCache, x: number[], a: PoolAttrs) {
  const g = poolGeometry(x, a);
  const prim = cache.get(`${g.key}infer`, () => {
    const src = memDesc(dnnl, [g.n, g.c, g.h, g.w], C.tag.nhwc);
    const dst = memDesc(dnnl, [g.n, g.c, g.oh, g.ow], C.tag.nhwc);
    const op = opDesc();
    check(
      dnnl.lib.dnnl_pooling_v2_forward_desc_init(
        op,
        C.prop.forwardInference,
        C.alg.poolMax,
        src,
        dst,
        dims(g.s),
        dims(g.k),
        dims([0, 0]),
        dims(g.pl),
        dims(g.pr),
      ),
      `max pooling inference desc ${g.key}`,
    );
    return new Primitive(dnnl, op, [{ id: C.arg.src, md: src }, { id: C.arg.dst, md: dst }]);
  });
  return { prim, g };
}

export function poolKernels(dnnl: Dnnl, cache: PrimitiveCache, previous: (name: string) => tf.KernelFunc) {
  const pairs = new Map<string, PoolPair>();

  /** MaxPool (inference and training forward alike: the gradient re-runs its own forward pass). */
  function maxPool(args: KernelArgs): tf.TensorInfo {
    const { inputs, backend, attrs } = args;
    const x = input(inputs, "x", "MaxPool");
    if (x.dtype !== "float32" || x.shape.length !== 4) return previous("MaxPool")(args) as tf.TensorInfo;
    const { prim, g } = poolForward(dnnl, cache, x.shape, attrs as unknown as PoolAttrs);
    const b = backend as WasmBackend;
    const y = b.makeOutput([g.n, g.oh, g.ow, g.c], "float32");
    if (g.n * g.oh * g.ow * g.c === 0) return y;
    prim.execute(new Map<number, ArrayBufferView>([[C.arg.src, f32(b, x)], [C.arg.dst, f32(b, y)]]));
    return y;
  }

  function maxPoolGrad(args: KernelArgs): tf.TensorInfo {
    const { inputs, backend, attrs } = args;
    const dy = input(inputs, "dy", "MaxPoolGrad");
    const x = input(inputs, "input", "MaxPoolGrad");
    if (x.dtype !== "float32" || dy.dtype !== "float32" || x.shape.length !== 4) {
      return previous("MaxPoolGrad")(args) as tf.TensorInfo;
    }
    const p = poolPair(dnnl, cache, pairs, x.shape, attrs as unknown as PoolAttrs);
    const b = backend as WasmBackend;
    const dx = b.makeOutput(x.shape, "float32");
    p.fwd.execute(
      new Map<number, ArrayBufferView>([[C.arg.src, f32(b, x)], [C.arg.dst, p.y], [
        C.arg.workspace,
        p.ws,
      ]]),
    );
    p.bwd.execute(
      new Map<number, ArrayBufferView>([[C.arg.diffDst, f32(b, dy)], [C.arg.workspace, p.ws], [
        C.arg.diffSrc,
        f32(b, dx),
      ]]),
    );
    return dx;
  }

  return { maxPool, maxPoolGrad };
}
