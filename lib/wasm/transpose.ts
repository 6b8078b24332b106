/**
 * Transpose in JavaScript on the wasm heap. The wasm build's own Transpose is a generic strided
 * loop that runs at ~35 ns/element (80 ms for a 2304×1024 dense kernel); the gradient kernels here
 * transpose activations several times per layer, so a fast one matters.
 */
import type * as tf from "@tensorflow/tfjs-core";
import { input, type KernelArgs, original, size, type WasmBackend } from "./kernel_util.ts";
import { type Params, transposeLoop, transposeRange } from "./loops.ts";

/** Merge runs of input axes that stay adjacent and in order under `perm`, and drop size-1 axes. */
export function simplifyPerm(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  const keep = perm.filter((a) => shape[a] !== 1);
  // groups of consecutive input axes, in output order
  const groups: number[][] = [];
  for (const a of keep) {
    const g = groups[groups.length - 1];
    if (g && g[g.length - 1] + 1 === a) g.push(a);
    else groups.push([a]);
  }
  const order = groups.map((g, i) => ({ first: g[0], i })).sort((p, q) => p.first - q.first);
  const inShape = order.map(({ i }) => groups[i].reduce((n, a) => n * shape[a], 1));
  const rank = new Array<number>(groups.length);
  order.forEach(({ i }, r) => (rank[i] = r));
  return { shape: inShape, perm: rank };
}

/**
 * The loop parameters of transpose(x, perm) for x of `shape` (lib/wasm/loops.ts): the simplified
 * transpose padded to rank 4 with leading unit axes, as output shape and input strides; undefined
 * when it is a plain copy.
 */
export function transposePlan(shape: readonly number[], perm: readonly number[]): Params | undefined {
  const s = simplifyPerm(shape, perm);
  if (s.shape.length <= 1) return undefined;
  if (s.shape.length > 4) {
    throw new Error(`transpose: rank ${s.shape.length} after simplification (shape ${shape}, perm ${perm})`);
  }
  const pad = 4 - s.shape.length;
  const sh = [...new Array(pad).fill(1), ...s.shape];
  const pm = [...Array.from({ length: pad }, (_, i) => i), ...s.perm.map((p) => p + pad)];
  const inStride = [sh[1] * sh[2] * sh[3], sh[2] * sh[3], sh[3], 1];
  const [o0, o1, o2, o3] = pm.map((p) => sh[p]);
  const [s0, s1, s2, s3] = pm.map((p) => inStride[p]);
  return { o0, o1, o2, o3, s0, s1, s2, s3 };
}

/** out = transpose(x, perm) for float32/int32 arrays; `shape` is x's shape. */
export function transposeArray(
  x: Float32Array | Int32Array,
  shape: readonly number[],
  perm: readonly number[],
  out: Float32Array | Int32Array,
): void {
  const plan = transposePlan(shape, perm);
  if (!plan) out.set(x.subarray(0, out.length));
  else transposeLoop({ X: x as Float32Array, OUT: out as Float32Array }, plan, 0, transposeRange(plan));
}

export function transposeKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const x = input(inputs, "x", "Transpose");
  const perm = (attrs as { perm: number[] }).perm;
  if (x.dtype === "string" || x.dtype === "complex64") {
    return original("Transpose")({ inputs, backend, attrs }) as tf.TensorInfo;
  }
  const b = backend as WasmBackend;
  const outShape = perm.map((p) => x.shape[p]);
  const out = b.makeOutput(outShape, x.dtype);
  if (size(x.shape) === 0) return out;
  const src = b.typedArrayFromHeap(x);
  const dst = b.typedArrayFromHeap(out);
  if (src instanceof Uint8Array || dst instanceof Uint8Array) {
    b.disposeData(out.dataId);
    return original("Transpose")({ inputs, backend, attrs }) as tf.TensorInfo;
  }
  transposeArray(src, x.shape, perm, dst);
  return out;
}
