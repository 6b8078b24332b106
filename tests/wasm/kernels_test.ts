import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-layers"; // registers all op gradients (tfjs-core alone registers none)
import { assertAllClose, deepEqual, equal } from "../assert.ts";
import { installWasmTrainingKernels } from "../../lib/wasm/mod.ts";
import { simplifyPerm, transposeArray, transposeKernel } from "../../lib/wasm/transpose.ts";
import { conv2DBackpropFilterKernel, conv2DBackpropInputKernel } from "../../lib/wasm/conv_grads.ts";
import { lrnGradKernel, lrnKernel } from "../../lib/wasm/lrn.ts";
import { maxPoolGradKernel, splitVKernel } from "../../lib/wasm/layout_kernels.ts";
import { swapPays } from "../../lib/wasm/matmul.ts";
import { fusedBatchNormKernel } from "../../lib/wasm/batch_norm.ts";
import { identityKernel } from "../../lib/wasm/identity.ts";
import { CONV_BIAS_RELU } from "../../lib/wasm/fused_conv_training.ts";
import { guardWasmHeap } from "../../lib/wasm/heap_guard.ts";
import { RELU_GRAD, reluGradKernel } from "../../lib/wasm/relu_grad.ts";
import { original } from "../../lib/wasm/kernel_util.ts";
import {
  CONV_CASES as CASES,
  convBiasReluCases,
  convBiasReluGrads,
  type ConvCase,
  convGrads,
  rand,
} from "./conv_cases.ts";
import { MATMUL_CASES, matMulProduct } from "./matmul_cases.ts";
import { maxPoolAndGrad, POOL_CASES } from "./pool_cases.ts";
import { LRN_CASES, lrnCase } from "./lrn_cases.ts";

async function on<T>(backend: string, f: () => T): Promise<T> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
  if (backend === "wasm") installWasmTrainingKernels();
  return f();
}

Deno.test("wasm conv2d gradients match the cpu backend elementwise", async () => {
  let seed = 10;
  for (const c of CASES) {
    seed += 7;
    const ref = await on("cpu", () => convGrads(c, seed));
    const got = await on("wasm", () => convGrads(c, seed));
    const what = `k${c.k}/s${c.s} ${c.pad} ${c.n}x${c.h}x${c.w}x${c.cin}->${c.cout}`;
    assertAllClose(got.y, ref.y, 1e-4, `${what} y`);
    assertAllClose(got.dx, ref.dx, 1e-4, `${what} dx`);
    assertAllClose(got.dw, ref.dw, 1e-4, `${what} dW`);
  }
});

Deno.test("wasm conv2d gradients are not all zero (the comparison is not vacuous)", async () => {
  const c: ConvCase = { n: 2, h: 7, w: 7, cin: 3, cout: 4, k: 5, s: 2, pad: "same" };
  const got = await on("wasm", () => convGrads(c, 3));
  const norm = (a: Float32Array) => a.reduce((s, v) => s + v * v, 0);
  equal(norm(got.dx) > 1, true);
  equal(norm(got.dw) > 1, true);
});

Deno.test("wasm matMul with transposed operands matches the cpu backend", async () => {
  for (const c of MATMUL_CASES) {
    const ref = await on("cpu", () => matMulProduct(c));
    const got = await on("wasm", () => matMulProduct(c));
    assertAllClose(got, ref, 1e-5, `matMul ${c}`);
  }
});

/** Brute-force transpose by index arithmetic, the reference for the fast one. */
function bruteTranspose(x: Float32Array, shape: number[], perm: number[]): Float32Array {
  const r = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStride = new Array<number>(r).fill(1);
  for (let i = r - 2; i >= 0; i--) inStride[i] = inStride[i + 1] * shape[i + 1];
  const out = new Float32Array(x.length);
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < x.length; o++) {
    let src = 0;
    for (let i = 0; i < r; i++) src += idx[i] * inStride[perm[i]];
    out[o] = x[src];
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

Deno.test("a·bᵀ taken as (b·aᵀ)ᵀ gives the same bits as with b transposed first", async () => {
  equal(swapPays([1, 32, 1024], [1, 2304, 1024]), true);
  equal(swapPays([1, 32, 8], [1, 4, 8]), false);
  equal(swapPays([2, 32, 1024], [2, 2304, 1024]), false); // batched: the slow loop either way
  const [sa, sb] = [[32, 96], [200, 96]];
  const { swapped, explicit } = await on("wasm", () =>
    tf.tidy(() => {
      const a = tf.tensor(rand(sa[0] * sa[1], 5), sa);
      const b = tf.tensor(rand(sb[0] * sb[1], 6), sb);
      return {
        swapped: tf.matMul(a, b, false, true).dataSync(),
        explicit: tf.matMul(a, tf.transpose(b)).dataSync(),
      };
    }));
  deepEqual(swapped, explicit);
});

Deno.test("JS transpose matches a brute-force transpose, including on the wasm backend", async () => {
  const cases: [number[], number[]][] = [
    [[5, 7], [1, 0]],
    [[3, 4, 5, 6], [3, 1, 2, 0]],
    [[3, 4, 5, 6], [1, 2, 0, 3]],
    [[3, 4, 5, 6], [0, 3, 1, 2]],
    [[2, 1, 5, 33], [3, 2, 1, 0]],
    [[2, 3, 4, 5, 6], [4, 0, 1, 2, 3]],
    [[70, 45], [1, 0]],
  ];
  for (const [shape, perm] of cases) {
    const n = shape.reduce((p, q) => p * q);
    const x = rand(n, n);
    const want = bruteTranspose(x, shape, perm);
    const out = new Float32Array(n);
    transposeArray(x, shape, perm, out);
    deepEqual(out, want, `transposeArray ${shape} ${perm}`);
    const viaWasm = await on("wasm", () => tf.tidy(() => tf.transpose(tf.tensor(x, shape), perm).dataSync()));
    deepEqual(viaWasm, want, `wasm Transpose ${shape} ${perm}`);
  }
  deepEqual(simplifyPerm([2, 3, 4, 5], [0, 1, 3, 2]), { shape: [6, 4, 5], perm: [0, 2, 1] });
});

Deno.test("wasm max pooling and its gradient match the cpu backend, ties included", async () => {
  for (const c of POOL_CASES) {
    const ref = await on("cpu", () => maxPoolAndGrad(c));
    const got = await on("wasm", () => maxPoolAndGrad(c));
    deepEqual([...got.y], [...ref.y], `maxPool ${c}`);
    assertAllClose(got.dx, ref.dx, 1e-6, `maxPool grad ${c}`);
  }
});

Deno.test("wasm max-pool gradient without the forward output falls back to a full window scan", async () => {
  await on("wasm", () => undefined);
  const shape: [number, number, number, number] = [1, 5, 5, 2];
  const xs = rand(50, 3).map((v) => Math.round(v * 2)); // ties
  const got = tf.tidy(() => {
    const x = tf.tensor4d(xs, shape);
    const dy = tf.tensor4d(rand(18, 4), [1, 3, 3, 2]);
    const r = tf.engine().runKernel("MaxPoolGrad", { dy, input: x }, {
      filterSize: 3,
      strides: 2,
      pad: "same",
    });
    return (r as tf.Tensor).dataSync();
  });
  // brute force: each window's gradient to its first (row-major) maximum
  const dys = rand(18, 4);
  const want = new Float32Array(50);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      for (let c = 0; c < 2; c++) {
        let best = -Infinity, at = -1;
        for (let y = Math.max(0, 2 * i - 1); y < Math.min(5, 2 * i + 2); y++) {
          for (let z = Math.max(0, 2 * j - 1); z < Math.min(5, 2 * j + 2); z++) {
            const v = xs[(y * 5 + z) * 2 + c];
            if (v > best) [best, at] = [v, (y * 5 + z) * 2 + c];
          }
        }
        want[at] += dys[(i * 3 + j) * 2 + c];
      }
    }
  }
  assertAllClose(got, want, 1e-6, "maxPool grad without output");
});

Deno.test("wasm LRN and its gradient match a by-definition loop and the cpu backend", async () => {
  for (const c of LRN_CASES) {
    const { what, want, run } = lrnCase(c);
    const got = await on("wasm", run);
    assertAllClose(got.y, want.y, 1e-5, `${what} y`);
    assertAllClose(got.dx, want.dx, 1e-5, `${what} dx`);
    const ref = await on("cpu", run);
    assertAllClose(got.y, ref.y, 1e-5, `${what} y vs cpu`);
    assertAllClose(got.dx, ref.dx, 1e-5, `${what} dx vs cpu`);
  }
});

Deno.test("wasm FusedBatchNorm has the build's own bits and matches the definition", async () => {
  // [shape, epsilon, with offset, with scale, per-channel mean (false: one broadcast scalar)]
  const cases: [number[], number, boolean, boolean, boolean][] = [
    [[2, 5, 5, 7], 1e-3, true, true, true],
    [[3, 4, 6], 1e-5, false, true, true],
    [[4, 9], 0.1, true, false, true],
    [[2, 2, 3], 1e-3, false, false, true],
    [[2, 3, 4], 1e-3, true, true, false], // falls back to the build's kernel
  ];
  for (const [shape, eps, withOffset, withScale, perChannel] of cases) {
    const what =
      `batchNorm ${shape} eps ${eps} offset ${withOffset} scale ${withScale} perChannel ${perChannel}`;
    const n = shape.reduce((p, q) => p * q);
    const c = perChannel ? shape[shape.length - 1] : 1;
    const xs = rand(n, n).map((v) => 3 * v + 0.5);
    const ms = rand(c, c + 1);
    const vs = rand(c, c + 2).map((v) => v + 1.5);
    const os = rand(c, c + 3);
    const ss = rand(c, c + 4).map((v) => v + 1);
    const { got, build } = await on("wasm", () =>
      tf.tidy(() => {
        const [x, m, v, o, s] = [
          tf.tensor(xs, shape),
          tf.tensor(ms),
          tf.tensor(vs),
          tf.tensor(os),
          tf.tensor(ss),
        ];
        const inputs: tf.NamedTensorInfoMap = { x, mean: m, variance: v };
        if (withOffset) inputs.offset = o;
        if (withScale) inputs.scale = s;
        const args = { inputs, backend: tf.backend(), attrs: { varianceEpsilon: eps } };
        equal(tf.getKernel("FusedBatchNorm", "wasm")?.kernelFunc, fusedBatchNormKernel, "ours registered");
        const ref = tf.engine().makeTensorFromTensorInfo(original("FusedBatchNorm")(args) as tf.TensorInfo);
        const y = tf.batchNorm(x, m, v, withOffset ? o : undefined, withScale ? s : undefined, eps);
        return { got: y.dataSync(), build: ref.dataSync() };
      }));
    deepEqual(Array.from(got), Array.from(build), `${what}: bits of the build's kernel`);
    const want = Array.from(xs, (x, i) => {
      const k = i % c;
      return (withOffset ? os[k] : 0) + (x - ms[k]) * (withScale ? ss[k] : 1) / Math.sqrt(vs[k] + eps);
    });
    assertAllClose(got, want, 1e-5, `${what}: definition`);
  }
});

Deno.test("wasm Tile, Sum/Mean over leading axes and SplitV match the cpu backend", async () => {
  const run = () =>
    tf.tidy(() => {
      const a = tf.tensor(rand(5, 1), [1, 1, 1, 5]);
      const b = tf.tensor(rand(6, 2), [2, 3]);
      const c = tf.tensor(rand(2 * 3 * 4 * 5, 3), [2, 3, 4, 5]);
      const d = tf.tensor(rand(2 * 3 * 9, 4), [2, 3, 9]);
      const outs: tf.Tensor[] = [
        tf.tile(a, [2, 3, 4, 1]),
        tf.tile(b, [3, 2]),
        tf.tile(tf.tensor([1, 2, 3], [3], "int32"), [2]),
        tf.sum(c, [0, 1, 2]),
        tf.sum(c, [0], true),
        tf.sum(c, [1]),
        tf.sum(c, [2, 0, 1]),
        tf.mean(c, [0, 1, 2], true),
        tf.mean(c, [0, 1]),
        ...tf.split(d, [2, 3, 4], 2),
        ...tf.split(d, [1, 2], 1),
        ...tf.split(c, 2, 0),
      ];
      return outs.map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) }));
    });
  const ref = await on("cpu", run);
  const got = await on("wasm", run);
  equal(got.length, ref.length);
  for (let i = 0; i < ref.length; i++) {
    deepEqual(got[i].shape, ref[i].shape, `output ${i} shape`);
    assertAllClose(got[i].values, ref[i].values, 1e-6, `output ${i}`);
  }
});

Deno.test("wasm Identity shares its input's memory: no copy, values kept until the last reference goes", async () => {
  await on("wasm", () => undefined);
  const bytes0 = tf.memory().numBytes;
  const buffers0 = tf.memory().numDataBuffers;
  const x = tf.tensor2d([1, -2, 3.5, 4], [2, 2]);
  const backend = tf.backend() as unknown as { refCount(id: tf.DataId): number };
  const y = tf.clone(x); // the Identity kernel
  equal(y.id === x.id, false, "a new tensor for the engine");
  equal(y.dataId, x.dataId, "on the same data");
  equal(backend.refCount(x.dataId), 2, "one buffer, two references");
  equal(tf.memory().numDataBuffers, buffers0 + 1, "no second buffer");
  x.dispose();
  deepEqual([...y.dataSync()], [1, -2, 3.5, 4], "the clone outlives its source");
  // The gradient of a cast and of a dropout of rate 0 run through it; results unchanged.
  const g = tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.cast(a, "float32"))))(y);
  deepEqual([...g.dataSync()], [2, -4, 7, 8]);
  tf.dispose([y, g]);
  equal(tf.memory().numDataBuffers, buffers0, "every buffer freed");
  equal(tf.memory().numBytes, bytes0, "every byte freed");
});

Deno.test("wasm ReluGrad (Relu's gradient in one pass) matches tfjs-core's formula on the cpu backend", async () => {
  const xs = rand(4 * 5 * 6 * 7, 3).map((v) => v - 0.5);
  xs.set([0, -0, 1e-40, -1e-40, 3, -3]); // zeros and subnormals
  const dys = rand(xs.length, 4).map((v) => 2 * v - 1);
  const run = () =>
    tf.tidy(() => {
      const x = tf.tensor4d(xs, [4, 5, 6, 7]);
      const dy = tf.tensor4d(dys, [4, 5, 6, 7]);
      // through a layer's path too: relu after a product, so the gradient flows on
      const w = tf.scalar(1.5);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.relu(tf.mul(a, b)))([x, w], dy);
      return { dx: g[0].dataSync(), dw: g[1].dataSync() };
    });
  const ref = await on("cpu", run);
  const kernelsBefore = tf.memory().numTensors;
  const got = await on("wasm", run);
  // bit for bit, but for the sign of zero (tfjs computes dy·0, which is −0 where dy < 0)
  const z = (a: ArrayLike<number>) => Array.from(a, (v) => v + 0);
  deepEqual(z(got.dx), z(ref.dx), "dx");
  assertAllClose(got.dw, ref.dw, 1e-5, "dw");
  equal(tf.memory().numTensors, kernelsBefore, "no tensors left");
  // The wasm gradient ran the one-pass kernel: no Step, Cast or Multiply of the activation.
  const profiled = await tf.profile(() => {
    const x = tf.tensor4d(xs, [4, 5, 6, 7]);
    const g = tf.grad((a: tf.Tensor) => tf.relu(a))(x, tf.tensor4d(dys, [4, 5, 6, 7]));
    tf.dispose([x, g]);
  });
  const names = profiled.kernels.map((k) => k.name);
  equal(names.includes(RELU_GRAD), true, `kernels run: ${names}`);
  equal(names.includes("Step"), false, `kernels run: ${names}`);
});

Deno.test("a full wasm heap is an error naming the tensor's size, not a hang", async () => {
  // a module whose heap cannot grow: malloc returns 0, as emscripten's does then
  const heap = new Uint8Array(2 ** 20);
  const freed: number[] = [];
  const module = {
    _malloc: (n: number) => n > 0 && n <= 16 ? 8 : 0,
    _free: (p: number) => freed.push(p),
    HEAPU8: heap,
  };
  const fake = { wasm: module } as unknown as tf.KernelBackend;
  guardWasmHeap(fake);
  equal(module._malloc(16), 8, "allocations that fit pass through");
  deepEqual(freed, [8], "the first (self-replacing) call was made and freed");
  let message = "";
  try {
    module._malloc(3 * 2 ** 20);
  } catch (e) {
    message = e instanceof Error ? e.message : String(e);
  }
  equal(
    message,
    "wasm heap full: cannot allocate 3.0 MiB for a tensor (heap 0.00 GiB of wasm32's 4 GiB); " +
      "use smaller batches or micro-batches",
  );
  equal(module._malloc(0), 0, "an empty allocation may be 0");
  // and the real backend is guarded once the project's kernels are installed
  await on("wasm", () => undefined);
  const wasm = (tf.backend() as unknown as { wasm: { facenetHeapGuard?: true } }).wasm;
  equal(wasm.facenetHeapGuard, true);
});

Deno.test("taped conv + bias + ReLU runs as one kernel on wasm, with tfjs-core's gradients (cpu backend)", async () => {
  for (const c of convBiasReluCases([8, 6, 7])) {
    const ref = await on("cpu", () => convBiasReluGrads(c));
    const got = await on("wasm", () => convBiasReluGrads(c));
    for (const k of ["y", "dx", "df", "db"] as const) {
      assertAllClose(got[k], ref[k], 1e-4, `${c[0]} * ${c[1]} ${k}`);
    }
  }
  // One kernel forward; no Relu or bias Add; the input's gradient only when asked for.
  await on("wasm", () => undefined);
  const x = tf.tensor4d(rand(2 * 6 * 6 * 2, 1), [2, 6, 6, 2]);
  const f = tf.variable(tf.tensor4d(rand(3 * 3 * 2 * 4, 2), [3, 3, 2, 4]));
  const b = tf.variable(tf.tensor1d(rand(4, 3)));
  const profiled = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() =>
      tf.sum(tf.fused.conv2d({ x, filter: f, bias: b, strides: 1, pad: "same", activation: "relu" }))
    );
    tf.dispose([value, ...Object.values(grads)]);
  });
  const names = profiled.kernels.map((k) => k.name);
  equal(names.includes(CONV_BIAS_RELU), true, `kernels: ${names}`);
  for (const absent of ["Relu", "Add", "Conv2D", "Conv2DBackpropInput"]) {
    equal(names.includes(absent), false, `${absent} in kernels: ${names}`);
  }
  tf.dispose([x, f, b]);
});

Deno.test("installWasmTrainingKernels puts the project's kernels in the wasm registry (so the tests above use them)", async () => {
  await on("wasm", () => undefined);
  const names = installWasmTrainingKernels();
  const expect: [string, unknown][] = [
    ["Conv2DBackpropFilter", conv2DBackpropFilterKernel],
    ["Conv2DBackpropInput", conv2DBackpropInputKernel],
    ["Transpose", transposeKernel],
    ["MaxPoolGrad", maxPoolGradKernel],
    ["SplitV", splitVKernel],
    ["LRN", lrnKernel],
    ["LRNGrad", lrnGradKernel],
    ["FusedBatchNorm", fusedBatchNormKernel],
    ["Identity", identityKernel],
    [RELU_GRAD, reluGradKernel],
  ];
  for (const [name, fn] of expect) {
    equal(names.includes(name), true, `${name} listed`);
    equal(tf.getKernel(name, "wasm")?.kernelFunc, fn, `${name} registered`);
  }
  deepEqual(installWasmTrainingKernels(), names, "idempotent");
});
