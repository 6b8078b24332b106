/**
 * Transpose in JavaScript on the wasm heap. The wasm build's own Transpose is a generic strided
 * loop that runs at ~35 ns/element (80 ms for a 2304×1024 dense kernel); the gradient kernels here
 * transpose activations several times per layer, so a fast one matters.
 */
import type * as tf from "@tensorflow/tfjs-core";
import { input, type KernelArgs, original, size, type WasmBackend } from "./kernel_util.ts";

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

/** out = transpose(x, perm) for float32/int32 arrays; `shape` is x's shape. */
export function transposeArray(
  x: Float32Array | Int32Array,
  shape: readonly number[],
  perm: readonly number[],
  out: Float32Array | Int32Array,
): void {
  const s = simplifyPerm(shape, perm);
  const r = s.shape.length;
  if (r <= 1) {
    out.set(x.subarray(0, out.length));
    return;
  }
  if (r > 4) {
    throw new Error(`transposeArray: rank ${r} after simplification (shape ${shape}, perm ${perm})`);
  }
  // Pad to rank 4 with leading unit axes.
  const pad = 4 - r;
  const sh = [...new Array(pad).fill(1), ...s.shape];
  const pm = [...Array.from({ length: pad }, (_, i) => i), ...s.perm.map((p) => p + pad)];
  const inStride = [sh[1] * sh[2] * sh[3], sh[2] * sh[3], sh[3], 1];
  const o = pm.map((p) => sh[p]);
  const st = pm.map((p) => inStride[p]);
  const [o0, o1, o2, o3] = o;
  const [s0, s1, s2, s3] = st;
  if (s3 === 1) {
    // innermost axis stays innermost: contiguous row copies
    let k = 0;
    for (let a = 0; a < o0; a++) {
      for (let b = 0; b < o1; b++) {
        for (let c = 0; c < o2; c++) {
          const base = a * s0 + b * s1 + c * s2;
          out.set(x.subarray(base, base + o3), k);
          k += o3;
        }
      }
    }
    return;
  }
  // Innermost output axis reads with stride s3: tile the last two output axes so both the
  // reads (along axis 2 in the input when s2 === 1) and the writes stay in cache.
  const T = 32;
  const outStride2 = o3;
  const outStride1 = o2 * o3;
  const outStride0 = o1 * outStride1;
  for (let a = 0; a < o0; a++) {
    for (let b = 0; b < o1; b++) {
      const ib = a * s0 + b * s1;
      const ob = a * outStride0 + b * outStride1;
      for (let c0 = 0; c0 < o2; c0 += T) {
        const c1 = Math.min(c0 + T, o2);
        for (let d0 = 0; d0 < o3; d0 += T) {
          const d1 = Math.min(d0 + T, o3);
          for (let c = c0; c < c1; c++) {
            let ii = ib + c * s2 + d0 * s3;
            let oi = ob + c * outStride2 + d0;
            for (let d = d0; d < d1; d++) {
              out[oi++] = x[ii];
              ii += s3;
            }
          }
        }
      }
    }
  }
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
