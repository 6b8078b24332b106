/**
 * oneDNN kernels (lib/native/) against the cpu backend: every convolution shape the wasm kernels'
 * tests use, dense products, whole-network gradients of both (narrow) networks, and no leaks.
 * Ignored when oneDNN is not installed; tests/native/native_fallback_test.ts covers that case.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-layers"; // registers all op gradients
import { assert, assertAllClose, deepEqual, equal } from "../assert.ts";
import { installWasmTrainingKernels } from "../../lib/wasm/mod.ts";
import { installNativeKernels, nativePrimitiveCount, type NativeStatus } from "../../lib/native/mod.ts";
import { buildZeilerFergus } from "../../lib/models/zeiler_fergus.ts";
import { halvesDistanceLoss, trainStep } from "../../bench/train_step.ts";
import {
  CONV_CASES,
  convBiasReluCases,
  convBiasReluGrads,
  type ConvCase,
  convGrads,
  rand,
} from "../wasm/conv_cases.ts";
import { MATMUL_CASES, type MatMulCase, matMulProduct } from "../wasm/matmul_cases.ts";
import { maxPoolAndGrad, POOL_CASES, type PoolCase } from "../wasm/pool_cases.ts";
import { assertGradientsClose, NARROW_NETS, networkGradients, probeBatch } from "../wasm/network_cases.ts";
import { LRN_CASES, lrnCase } from "../wasm/lrn_cases.ts";
import { lrnGradKernel, lrnKernel } from "../../lib/wasm/lrn.ts";

await tf.setBackend("wasm");
installWasmTrainingKernels();
const status: NativeStatus = installNativeKernels({ enabled: true });
const ignore = !status.active;
if (!status.active) console.warn(`native kernel tests skipped: ${status.reason}`);

async function on<T>(backend: "cpu" | "wasm", f: () => T): Promise<T> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
  return f();
}

// The wasm kernels' shapes (every kernel/stride the two networks use, at even and odd sizes, 'valid'
// padding, the 7×7×1 stems), plus channel counts around oneDNN's 16-wide blocks.
const CASES: ConvCase[] = [
  ...CONV_CASES,
  { n: 2, h: 12, w: 12, cin: 33, cout: 48, k: 3, s: 1, pad: "same" },
  { n: 2, h: 6, w: 6, cin: 64, cout: 17, k: 1, s: 1, pad: "same" },
];

Deno.test({
  name: "oneDNN conv2d and its gradients match the cpu backend elementwise",
  ignore,
  fn: async () => {
    let seed = 10;
    const before = nativePrimitiveCount();
    for (const c of CASES) {
      seed += 7;
      const ref = await on("cpu", () => convGrads(c, seed));
      const got = await on("wasm", () => convGrads(c, seed));
      const what = `k${c.k}/s${c.s} ${c.pad} ${c.n}x${c.h}x${c.w}x${c.cin}->${c.cout}`;
      assertAllClose(got.y, ref.y, 1e-4, `${what} y`);
      assertAllClose(got.dx, ref.dx, 1e-4, `${what} dx`);
      assertAllClose(got.dw, ref.dw, 1e-4, `${what} dW`);
    }
    // The comparisons ran through oneDNN: three new primitives per shape.
    equal(nativePrimitiveCount() - before, 3 * CASES.length);
    // A second run of a shape builds nothing new.
    await on("wasm", () => convGrads(CASES[0], 1));
    equal(nativePrimitiveCount() - before, 3 * CASES.length);
  },
});

/** tf.fused.conv2d outside any gradient: the FusedConv2D kernel (the path of every Conv2D layer's inference). */
function fusedConv(
  c: ConvCase,
  seed: number,
  opts: { bias: boolean; activation: tf.fused.Activation; prelu?: boolean },
): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(rand(c.n * c.h * c.w * c.cin, seed), [c.n, c.h, c.w, c.cin]);
    const filter = tf.tensor4d(rand(c.k * c.k * c.cin * c.cout, seed + 1), [c.k, c.k, c.cin, c.cout]);
    const bias = opts.bias ? tf.tensor1d(rand(c.cout, seed + 2)) : undefined;
    const preluActivationWeights = opts.prelu ? tf.tensor1d(rand(c.cout, seed + 3)) : undefined;
    const y = tf.fused.conv2d({
      x,
      filter,
      strides: c.s,
      pad: c.pad,
      bias,
      activation: opts.activation,
      preluActivationWeights,
      leakyreluAlpha: 0.2,
    });
    return y.dataSync() as Float32Array;
  });
}

Deno.test({
  name: "oneDNN FusedConv2D (bias or none, linear or relu) matches the cpu backend; the rest falls back",
  ignore,
  fn: async () => {
    let seed = 500;
    const before = nativePrimitiveCount();
    const variants = [
      { bias: false, activation: "linear" },
      { bias: true, activation: "linear" },
      { bias: false, activation: "relu" },
      { bias: true, activation: "relu" },
    ] as const;
    for (const c of CASES) {
      for (const v of variants) {
        seed += 5;
        const ref = await on("cpu", () => fusedConv(c, seed, v));
        const got = await on("wasm", () => fusedConv(c, seed, v));
        const what = `k${c.k}/s${c.s} ${c.pad} ${c.n}x${c.h}x${c.w}x${c.cin}->${c.cout} ${JSON.stringify(v)}`;
        assertAllClose(got, ref, 1e-4, what);
        if (v.activation === "relu") {
          assert(got.some((e) => e === 0) && got.some((e) => e > 0), `${what}: relu`);
        }
      }
    }
    // Every variant of every shape ran through its own oneDNN primitive.
    equal(nativePrimitiveCount() - before, variants.length * CASES.length);
    // Fallbacks (elu, PReLU, dilation) give the cpu backend's result and build no primitive.
    const c = CASES[CASES.length - 2];
    for (
      const v of [
        { bias: true, activation: "elu" },
        { bias: true, activation: "leakyrelu" },
        { bias: false, activation: "prelu", prelu: true },
      ] as const
    ) {
      seed += 5;
      const ref = await on("cpu", () => fusedConv(c, seed, v));
      const got = await on("wasm", () => fusedConv(c, seed, v));
      assertAllClose(got, ref, 1e-4, `fallback ${JSON.stringify(v)}`);
    }
    const dilated = () =>
      tf.tidy(() =>
        tf.fused.conv2d({
          x: tf.tensor4d(rand(2 * 9 * 9 * 3, 1), [2, 9, 9, 3]),
          filter: tf.tensor4d(rand(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]),
          strides: 1,
          pad: "same",
          dilations: 2,
          bias: tf.tensor1d(rand(4, 3)),
          activation: "relu",
        }).dataSync()
      );
    assertAllClose(await on("wasm", dilated), await on("cpu", dilated), 1e-4, "fallback dilation 2");
    equal(nativePrimitiveCount() - before, variants.length * CASES.length, "fallbacks built no primitive");
  },
});

Deno.test({
  name: "oneDNN matMul (plain, transposed, batched, broadcast batch) matches the cpu backend",
  ignore,
  fn: async () => {
    // the wasm tests' products, then a batch broadcast from 1 and fc layers' shapes
    const cases: MatMulCase[] = [
      ...MATMUL_CASES,
      [[3, 4, 6], [1, 6, 5], false, false],
      [[1, 4, 6], [3, 6, 5], false, false],
      [[32, 2304], [2304, 1024], false, false],
    ];
    for (const c of cases) {
      const ref = await on("cpu", () => matMulProduct(c));
      const got = await on("wasm", () => matMulProduct(c));
      assertAllClose(got, ref, 1e-4, `matMul ${c}`);
    }
  },
});

Deno.test({
  name: "oneDNN LRN and its gradient match a by-definition loop and the project's JavaScript kernels",
  ignore,
  fn: async () => {
    const before = nativePrimitiveCount();
    for (const c of LRN_CASES) {
      const [shape, r, bias, alpha, beta] = c;
      const { xs, dys, what, want, run } = lrnCase(c);
      const got = await on("wasm", run);
      assertAllClose(got.y, want.y, 1e-5, `${what} y`);
      assertAllClose(got.dx, want.dx, 1e-5, `${what} dx`);
      // the JavaScript kernels that oneDNN replaced, on the same tensors
      const js = await on("wasm", () => {
        const x = tf.tensor4d(xs, shape as [number, number, number, number]);
        const attrs = { depthRadius: r, bias, alpha, beta };
        const b = tf.backend();
        const yJs = lrnKernel({ inputs: { x }, backend: b, attrs }) as tf.TensorInfo;
        const dy = tf.tensor4d(dys, shape as [number, number, number, number]);
        const dxJs = lrnGradKernel({ inputs: { x, y: yJs, dy }, backend: b, attrs }) as tf.TensorInfo;
        const out = {
          y: b.readSync(yJs.dataId) as Float32Array,
          dx: b.readSync(dxJs.dataId) as Float32Array,
        };
        b.disposeData(yJs.dataId);
        b.disposeData(dxJs.dataId);
        tf.dispose([x, dy]);
        return out;
      });
      assertAllClose(got.y, js.y, 1e-5, `${what} y vs JavaScript`);
      assertAllClose(got.dx, js.dx, 1e-5, `${what} dx vs JavaScript`);
    }
    // They ran through oneDNN: an inference, a training forward and a backward primitive per case.
    equal(nativePrimitiveCount() - before, 3 * LRN_CASES.length);
  },
});

Deno.test({
  name: "taped conv + bias + ReLU: oneDNN's filter-and-bias gradient matches the cpu backend, with no Sum",
  ignore,
  fn: async () => {
    const cases = convBiasReluCases([8, 20, 33]);
    const before = nativePrimitiveCount();
    for (const c of cases) {
      const ref = await on("cpu", () => convBiasReluGrads(c));
      const got = await on("wasm", () => convBiasReluGrads(c));
      for (const k of ["y", "dx", "df", "db"] as const) {
        assertAllClose(got[k], ref[k], 1e-4, `${c[0]} * ${c[1]} ${k}`);
      }
    }
    // a forward (FusedConv2D with ReLU), input-gradient and filter-and-bias-gradient primitive per case
    equal(nativePrimitiveCount() - before, 3 * cases.length);
    const profiled = await tf.profile(() => {
      const x = tf.ones([1, 4, 4, 2]);
      const f = tf.variable(tf.ones([3, 3, 2, 3]));
      const b = tf.variable(tf.zeros([3]));
      const { value, grads } = tf.variableGrads(() =>
        tf.sum(
          tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: f as tf.Tensor4D,
            bias: b,
            strides: 1,
            pad: "same",
            activation: "relu",
          }),
        )
      );
      tf.dispose([x, f, b, value, ...Object.values(grads)]);
    });
    const names = profiled.kernels.map((k) => k.name);
    equal(names.includes("Conv2DBackpropFilterBias"), true, `kernels: ${names}`);
    equal(names.includes("Conv2DBackpropFilter"), false, `kernels: ${names}`);
    equal(names.filter((n) => n === "Sum").length, 1, `only the loss's Sum: ${names}`);
  },
});

Deno.test({
  name: "oneDNN max pooling and its gradient match the cpu backend, ties included",
  ignore,
  fn: async () => {
    // the wasm tests' pools and one with channels off oneDNN's 16-wide blocks
    const cases: PoolCase[] = [...POOL_CASES, [[3, 24, 24, 17], 3, 2, "same"]];
    const before = nativePrimitiveCount();
    for (const c of cases) {
      const ref = await on("cpu", () => maxPoolAndGrad(c));
      const got = await on("wasm", () => maxPoolAndGrad(c));
      deepEqual([...got.y], [...ref.y], `maxPool ${c}`);
      assertAllClose(got.dx, ref.dx, 1e-6, `maxPool grad ${c}`);
    }
    equal(
      nativePrimitiveCount() - before,
      3 * cases.length,
      "an inference, a training forward and a backward primitive per shape",
    );
  },
});

for (const [name, build] of Object.entries(NARROW_NETS)) {
  Deno.test({
    name: `whole-network gradients with oneDNN match the cpu backend (${name}, narrow)`,
    ignore,
    fn: async () => {
      await on("cpu", () => {});
      const model = build();
      const x = probeBatch();
      const ref = networkGradients(model, x);
      const before = nativePrimitiveCount();
      const got = await on("wasm", () => networkGradients(model, x));
      assert(nativePrimitiveCount() > before, "the network's convolutions should have gone through oneDNN");
      assertGradientsClose(model, got, ref, `${name} oneDNN`);
      x.dispose();
      model.dispose();
    },
  });
}

Deno.test({
  name: "training steps with oneDNN leak no tensors or wasm memory (step 10 vs step 2) and lower the loss",
  ignore,
  fn: async () => {
    await on("wasm", () => {});
    const model = buildZeilerFergus({ width: 1 / 8, seed: 1 });
    const opt = tf.train.sgd(0.05);
    const x = tf.randomNormal([8, 96, 96, 1], 0, 1, "float32", 5);
    const losses: number[] = [];
    let after2 = { n: -1, bytes: -1 };
    for (let step = 1; step <= 10; step++) {
      const l = trainStep(model, opt, halvesDistanceLoss, x, { dropoutSeed: step });
      losses.push((await l.data())[0]);
      l.dispose();
      if (step === 2) after2 = { n: tf.memory().numTensors, bytes: tf.memory().numBytes };
    }
    equal(tf.memory().numTensors, after2.n, "live tensors after step 10 vs step 2");
    equal(tf.memory().numBytes, after2.bytes, "live tensor bytes after step 10 vs step 2");
    assert(losses.every(Number.isFinite), `losses ${losses}`);
    assert(losses[9] < losses[0], `loss should fall on a fixed batch: ${losses.map((v) => v.toFixed(4))}`);
    x.dispose();
    opt.dispose();
    model.dispose();
  },
});
