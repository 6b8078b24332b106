/**
 * LRN and LRNGrad (Inception's two local response normalisations) as oneDNN's across-channel LRN.
 * TensorFlow.js's `alpha` multiplies the window's plain sum of squares, oneDNN's `alpha` its mean
 * (divided by the window's size, 2r + 1), so oneDNN gets alpha·(2r + 1); the window (r channels
 * either side, cut at the edges) is the same. oneDNN's backward pass reads x (and, where its
 * implementation keeps one, a workspace from a training-mode forward pass) instead of y, so, as in
 * pool.ts, LRNGrad runs the forward pass again into scratch first when a workspace is needed.
 *
 * Why: the project's JavaScript loops (lib/wasm/lrn.ts, two threads) took 135 ms forward and
 * 173 ms backward of one Inception training step at batch 128 (16% of its kernel time; bench
 * --profile on a 2-core Intel Xeon with AVX-512), bound by a `Math.pow` per element.
 */
import type * as tf from "@tensorflow/tfjs-core";
import { f32, input, type KernelArgs, type WasmBackend } from "../wasm/kernel_util.ts";
import { C, check, type Dnnl, memDesc, opDesc, withPrimitiveDesc } from "./dnnl.ts";
import { alignedBuffer, Primitive, type PrimitiveCache } from "./primitive.ts";

interface LrnAttrs {
  depthRadius: number;
  bias: number;
  alpha: number;
  beta: number;
}

/** The inference forward primitive, and the training pair (forward + backward) with their scratch. */
interface LrnPrims {
  infer: Primitive;
  train?: { fwd: Primitive; bwd: Primitive; y: Uint8Array<ArrayBuffer>; ws?: Uint8Array<ArrayBuffer> };
}

/** The cache key of LRN over `shape` with `a`. */
function lrnKey(shape: number[], a: LrnAttrs): string {
  return `lrn${
    JSON.stringify({ shape, size: 2 * a.depthRadius + 1, bias: a.bias, alpha: a.alpha, beta: a.beta })
  }`;
}

export function lrnKernels(dnnl: Dnnl, cache: PrimitiveCache, previous: (name: string) => tf.KernelFunc) {
  const sets = new Map<string, LrnPrims>();

  /** The op descriptors' common arguments for `shape` (NHWC) and `a`, and the cache key. */
  function setup(shape: number[], a: LrnAttrs) {
    const [n, h, w, c] = shape;
    const size = 2 * a.depthRadius + 1;
    const key = lrnKey(shape, a);
    const md = memDesc(dnnl, [n, c, h, w], C.tag.nhwc);
    const init = (op: Uint8Array<ArrayBuffer>, prop: number) =>
      check(
        dnnl.lib.dnnl_lrn_forward_desc_init(
          op,
          prop,
          C.alg.lrnAcrossChannels,
          md,
          BigInt(size),
          a.alpha * size,
          a.beta,
          a.bias,
        ),
        `LRN forward desc ${key}`,
      );
    return { key, md, size, init };
  }

  function prims(shape: number[], a: LrnAttrs, training: boolean): LrnPrims {
    const hit = sets.get(lrnKey(shape, a));
    if (hit && (!training || hit.train)) return hit; // the common case: no descriptors to build
    const { key, md, size, init } = setup(shape, a);
    let p = sets.get(key);
    if (!p) {
      const op = opDesc();
      init(op, C.prop.forwardInference);
      p = {
        infer: cache.get(
          `${key}infer`,
          () => new Primitive(dnnl, op, [{ id: C.arg.src, md }, { id: C.arg.dst, md }]),
        ),
      };
      sets.set(key, p);
    }
    if (training && !p.train) {
      const fop = opDesc();
      init(fop, C.prop.forwardTraining);
      const fwd = cache.get(`${key}fwd`, () =>
        new Primitive(dnnl, fop, [
          { id: C.arg.src, md },
          { id: C.arg.dst, md },
          { id: C.arg.workspace, query: C.query.workspaceMd },
        ]));
      const wsBytes = fwd.bytes(C.arg.workspace);
      const bop = opDesc();
      check(
        dnnl.lib.dnnl_lrn_backward_desc_init(
          bop,
          C.alg.lrnAcrossChannels,
          md,
          md,
          BigInt(size),
          a.alpha * size,
          a.beta,
          a.bias,
        ),
        `LRN backward desc ${key}`,
      );
      const bwd = cache.get(
        `${key}bwd`,
        () =>
          withPrimitiveDesc(dnnl, fop, (hint) =>
            new Primitive(dnnl, bop, [
              { id: C.arg.src, md },
              { id: C.arg.diffDst, md },
              ...(wsBytes > 0 ? [{ id: C.arg.workspace, query: C.query.workspaceMd }] : []),
              { id: C.arg.diffSrc, md },
            ], hint)),
      );
      p.train = {
        fwd,
        bwd,
        y: alignedBuffer(wsBytes > 0 ? fwd.bytes(C.arg.dst) : 0),
        ws: wsBytes > 0 ? alignedBuffer(wsBytes) : undefined,
      };
    }
    return p;
  }

  function lrn(args: KernelArgs): tf.TensorInfo {
    const x = input(args.inputs, "x", "LRN");
    if (x.dtype !== "float32" || x.shape.length !== 4) return previous("LRN")(args) as tf.TensorInfo;
    const p = prims(x.shape, args.attrs as unknown as LrnAttrs, false);
    const b = args.backend as WasmBackend;
    const y = b.makeOutput(x.shape, "float32");
    p.infer.execute(new Map<number, ArrayBufferView>([[C.arg.src, f32(b, x)], [C.arg.dst, f32(b, y)]]));
    return y;
  }

  function lrnGrad(args: KernelArgs): tf.TensorInfo {
    const x = input(args.inputs, "x", "LRNGrad");
    const dy = input(args.inputs, "dy", "LRNGrad");
    if (x.dtype !== "float32" || dy.dtype !== "float32" || x.shape.length !== 4) {
      return previous("LRNGrad")(args) as tf.TensorInfo;
    }
    const t = prims(x.shape, args.attrs as unknown as LrnAttrs, true).train!;
    const b = args.backend as WasmBackend;
    const dx = b.makeOutput(x.shape, "float32");
    if (t.ws) {
      t.fwd.execute(
        new Map<number, ArrayBufferView>([[C.arg.src, f32(b, x)], [C.arg.dst, t.y], [C.arg.workspace, t.ws]]),
      );
    }
    const data = new Map<number, ArrayBufferView>([
      [C.arg.src, f32(b, x)],
      [C.arg.diffDst, f32(b, dy)],
      [C.arg.diffSrc, f32(b, dx)],
    ]);
    if (t.ws) data.set(C.arg.workspace, t.ws);
    t.bwd.execute(data);
    return dx;
  }

  return { lrn, lrnGrad };
}
