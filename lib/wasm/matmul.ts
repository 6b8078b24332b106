/**
 * BatchMatMul with transposed operands. The wasm build runs a·b through XNNPACK but falls back
 * to a slow loop when either operand is transposed (dense-layer gradients are exactly that:
 * dy·Wᵀ and xᵀ·dy): 20–70× slower. Transposing explicitly first keeps the fast path.
 */
import type * as tf from "@tensorflow/tfjs-core";
import { input, type KernelArgs, original, Scope, type WasmBackend } from "./kernel_util.ts";

function swapLast(rank: number): number[] {
  const p = Array.from({ length: rank }, (_, i) => i);
  [p[rank - 2], p[rank - 1]] = [p[rank - 1], p[rank - 2]];
  return p;
}

export function batchMatMulKernel(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  if (!transposeA && !transposeB) return original("BatchMatMul")(args) as tf.TensorInfo;
  const scope = new Scope(backend as WasmBackend, "BatchMatMul");
  let a = input(inputs, "a", "BatchMatMul");
  let b = input(inputs, "b", "BatchMatMul");
  if (transposeA) a = scope.run("Transpose", { x: a }, { perm: swapLast(a.shape.length) });
  if (transposeB) b = scope.run("Transpose", { x: b }, { perm: swapLast(b.shape.length) });
  const out = original("BatchMatMul")({
    inputs: { a, b },
    backend,
    attrs: { transposeA: false, transposeB: false },
  });
  return scope.finish(out as tf.TensorInfo);
}
