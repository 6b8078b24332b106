/**
 * BatchMatMul as `dnnl_sgemm` calls (row-major, transposes as flags), one per batch entry, reading
 * and writing the wasm heap in place. A batch dimension of 1 on one side is broadcast.
 */
import type * as tf from "@tensorflow/tfjs-core";
import { f32, input, type KernelArgs, size, type WasmBackend } from "../wasm/kernel_util.ts";
import { check, type Dnnl } from "./dnnl.ts";

const N = "N".charCodeAt(0);
const T = "T".charCodeAt(0);

export function matMulKernels(dnnl: Dnnl, previous: (name: string) => tf.KernelFunc) {
  function batchMatMul(args: KernelArgs): tf.TensorInfo {
    const { inputs, backend, attrs } = args;
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const a = input(inputs, "a", "BatchMatMul");
    const b = input(inputs, "b", "BatchMatMul");
    const ra = a.shape.length, rb = b.shape.length;
    if (a.dtype !== "float32" || b.dtype !== "float32" || ra !== 3 || rb !== 3) {
      return previous("BatchMatMul")(args) as tf.TensorInfo;
    }
    const [ba, a1, a2] = a.shape;
    const [bb, b1, b2] = b.shape;
    const [m, k] = transposeA ? [a2, a1] : [a1, a2];
    const [k2, n] = transposeB ? [b2, b1] : [b1, b2];
    if (k !== k2) {
      throw new Error(`BatchMatMul: inner dimensions ${k} and ${k2} differ (a ${a.shape}, b ${b.shape})`);
    }
    if (ba !== bb && ba !== 1 && bb !== 1) {
      throw new Error(`BatchMatMul: batch dimensions ${ba} and ${bb} do not broadcast`);
    }
    const batch = Math.max(ba, bb);
    const wb = backend as WasmBackend;
    const out = wb.makeOutput([batch, m, n], "float32");
    if (size(out.shape) === 0) return out;
    const C = f32(wb, out);
    if (k === 0) {
      C.fill(0);
      return out;
    }
    const pa = Deno.UnsafePointer.of(f32(wb, a));
    const pb = Deno.UnsafePointer.of(f32(wb, b));
    const pc = Deno.UnsafePointer.of(C);
    for (let i = 0; i < batch; i++) {
      const status = dnnl.lib.dnnl_sgemm(
        transposeA ? T : N,
        transposeB ? T : N,
        BigInt(m),
        BigInt(n),
        BigInt(k),
        1,
        Deno.UnsafePointer.offset(pa!, (ba === 1 ? 0 : i) * a1 * a2 * 4),
        BigInt(a2),
        Deno.UnsafePointer.offset(pb!, (bb === 1 ? 0 : i) * b1 * b2 * 4),
        BigInt(b2),
        0,
        Deno.UnsafePointer.offset(pc!, i * m * n * 4),
        BigInt(n),
      );
      check(status, `dnnl_sgemm ${m}×${k}·${k}×${n}`);
    }
    return out;
  }
  return { batchMatMul };
}
