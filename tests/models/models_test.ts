import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertAllClose, assertClose, deepEqual, equal, notDeepEqual, ok, throws } from "../assert.ts";
import { setupBackend } from "../../lib/backend.ts";
import { buildZeilerFergus } from "../../lib/models/zeiler_fergus.ts";
import { buildInception } from "../../lib/models/inception.ts";
import { L2Normalize, LocalResponseNorm, SeededDropout } from "../../lib/models/layers.ts";
import { formatSummary, inceptionBlockTable, modelSummary, paramCounts } from "../../lib/models/summary.ts";
import { NN2_INCEPTION_BLOCKS } from "../../lib/models/paper_tables.ts";
import { loadModel, saveModel } from "../../lib/models/io.ts";
import { Rng } from "../../lib/rng.ts";

async function useCpu() {
  await tf.setBackend("cpu");
}

function shapeOf(model: tfl.LayersModel, name: string): number[] {
  const row = modelSummary(model).find((r) => r.name === name);
  if (!row) throw new Error(`no layer ${name}`);
  return row.outputShape;
}

Deno.test("Zeiler&Fergus: the slides' parameter counts and output shapes", async () => {
  await useCpu();
  const m = buildZeilerFergus();
  deepEqual(paramCounts(m), { total: 6_705_856, trainable: 6_705_344, nonTrainable: 512 });
  // Spatial sizes after conv1, pool1, pool2, pool3, pool4 … as in the slide.
  deepEqual(shapeOf(m, "conv1"), [48, 48, 64]);
  deepEqual(shapeOf(m, "pool1"), [24, 24, 64]);
  deepEqual(shapeOf(m, "conv2"), [24, 24, 192]);
  deepEqual(shapeOf(m, "pool2"), [12, 12, 192]);
  deepEqual(shapeOf(m, "pool3"), [6, 6, 384]);
  deepEqual(shapeOf(m, "pool4"), [3, 3, 256]);
  deepEqual(shapeOf(m, "flatten"), [2304]);
  deepEqual(shapeOf(m, "l2"), [128]);
  // conv3 by hand: 3·3·192·384 weights + 384 biases.
  equal(modelSummary(m).find((r) => r.name === "conv3")!.params, 3 * 3 * 192 * 384 + 384);
  ok(formatSummary(m).includes("Total params: 6,705,856"));
  m.dispose();
});

Deno.test("Zeiler&Fergus batch norms: Keras' momentum 0.99 by default, another on request", async () => {
  await useCpu();
  const momenta = (m: tfl.LayersModel) =>
    ["norm1", "norm2"].map((n) => (m.getLayer(n).getConfig() as { momentum: number }).momentum);
  const a = buildZeilerFergus({ width: 1 / 16 });
  const b = buildZeilerFergus({ width: 1 / 16, batchNormMomentum: 0.9 });
  deepEqual(momenta(a), [0.99, 0.99]);
  deepEqual(momenta(b), [0.9, 0.9]);
  // One training-mode pass moves the moving mean by (1 − momentum) of the batch mean (which, per
  // channel, is what norm1 sees): the faster momentum gets 10× further from its start of 0.
  const x = tf.randomUniform([8, 96, 96, 1], 0, 1, "float32", 3);
  const moved = (m: tfl.LayersModel) => {
    tf.dispose(m.apply(x, { training: true }) as tf.Tensor);
    return Math.max(...Array.from(m.getLayer("norm1").getWeights()[2].dataSync(), Math.abs));
  };
  const ma = moved(a);
  const mb = moved(b);
  ok(ma > 0, "the moving mean moved");
  assertClose(mb / ma, 10, 1e-3);
  a.dispose();
  b.dispose();
  x.dispose();
});

Deno.test("Inception NN2 at 96×96×1: 7,450,032 parameters, per-block counts from the table's filter numbers", async () => {
  await useCpu();
  const m = buildInception();
  deepEqual(paramCounts(m), { total: 7_450_032, trainable: 7_450_032, nonTrainable: 0 });
  const table = inceptionBlockTable(m);
  const conv = (k: number, cin: number, cout: number) => (cout ? k * k * cin * cout + cout : 0);
  let cin = 192;
  for (const r of NN2_INCEPTION_BLOCKS) {
    const want = conv(1, cin, r.n1x1) + conv(1, cin, r.n3x3Reduce) + conv(3, r.n3x3Reduce, r.n3x3) +
      conv(1, cin, r.n5x5Reduce) + conv(5, r.n5x5Reduce, r.n5x5) + conv(1, cin, r.poolProj);
    const row = table.find((t) => t.block === r.type)!;
    equal(row.params, want, r.type);
    cin = r.n1x1 + r.n3x3 + r.n5x5 + (r.poolProj || cin);
    equal(row.output.split("×").pop(), String(cin), `${r.type} output channels`);
  }
  equal(table.find((t) => t.block === "inception (2)")!.params, conv(1, 64, 64) + conv(3, 64, 192));
  equal(table.find((t) => t.block === "total")!.params, 7_450_032);
  deepEqual(shapeOf(m, "inception_3c"), [6, 6, 640]);
  deepEqual(shapeOf(m, "inception_5b"), [3, 3, 1024]);
  m.dispose();
});

Deno.test("tiny versions of both networks output unit-length 128-d embeddings", async () => {
  await useCpu();
  for (
    const m of [
      buildZeilerFergus({ inputSize: 32, width: 1 / 16 }),
      buildInception({ inputSize: 32, width: 1 / 16 }),
    ]
  ) {
    const y = m.predict(tf.randomNormal([3, 32, 32, 1], 0, 1, "float32", 1)) as tf.Tensor;
    deepEqual(y.shape, [3, 128]);
    assertAllClose(tf.norm(y, 2, 1).dataSync(), [1, 1, 1], 1e-5, "row norms");
    tf.dispose([y]);
    m.dispose();
  }
});

Deno.test("the same seed builds the same weights, another seed different ones", async () => {
  await useCpu();
  const w = (seed: number) => {
    const m = buildZeilerFergus({ inputSize: 32, width: 1 / 16, seed });
    const v = Array.from(m.getWeights()[0].dataSync());
    m.dispose();
    return v;
  };
  deepEqual(w(3), w(3));
  notDeepEqual(w(3), w(4));
});

/** Sample mean, variance and largest |value| of a weight tensor. */
function moments(w: tf.Tensor): { mean: number; variance: number; maxAbs: number } {
  const v = w.dataSync();
  let s = 0, s2 = 0, maxAbs = 0;
  for (const x of v) {
    s += x;
    s2 += x * x;
    maxAbs = Math.max(maxAbs, Math.abs(x));
  }
  const mean = s / v.length;
  return { mean, variance: s2 / v.length - mean * mean, maxAbs };
}

Deno.test("kernel initialisers: Glorot uniform by default (the same weights as asking for it), He normal on request", async () => {
  await useCpu();
  const kernels = (init?: "glorot-uniform" | "he-normal") => {
    const m = buildInception({ inputSize: 32, width: 1 / 4, seed: 5, init });
    const out = m.layers.filter((l) => l.getClassName() === "Conv2D" || l.getClassName() === "Dense")
      .map((l) => l.getWeights()[0].clone());
    m.dispose();
    return out;
  };
  const byDefault = kernels(), glorot = kernels("glorot-uniform"), he = kernels("he-normal");
  equal(byDefault.length, glorot.length);
  for (let i = 0; i < glorot.length; i++) deepEqual(byDefault[i].dataSync(), glorot[i].dataSync());
  // Variances from the initialisers' definitions: Glorot uniform on ±√(6/(in+out)) has 2/(in+out); He
  // normal is a normal of σ² = 2/in truncated at ±2σ, whose variance is σ²(1 − 4φ(2)/(2Φ(2) − 1)).
  const phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI), bigPhi2 = 0.9772498680518208;
  const truncated = 1 - (4 * phi2) / (2 * bigPhi2 - 1);
  let checked = 0;
  for (let i = 0; i < glorot.length; i++) {
    const shape = glorot[i].shape;
    if (glorot[i].size < 4000) continue; // too few values for a 10% variance check
    const receptive = shape.length === 4 ? shape[0] * shape[1] : 1;
    const fanIn = receptive * shape[shape.length - 2], fanOut = receptive * shape[shape.length - 1];
    const g = moments(glorot[i]), h = moments(he[i]);
    assertClose(g.variance, 2 / (fanIn + fanOut), 0.1 * 2 / (fanIn + fanOut));
    ok(g.maxAbs <= Math.sqrt(6 / (fanIn + fanOut)) + 1e-7);
    assertClose(h.variance, truncated * 2 / fanIn, 0.1 * truncated * 2 / fanIn);
    ok(h.maxAbs <= 2 * Math.sqrt(2 / fanIn) + 1e-6);
    checked++;
  }
  ok(checked >= 20, `only ${checked} kernels large enough to check`);
  tf.dispose([...byDefault, ...glorot, ...he]);
  throws(
    () => buildInception({ init: "xavier" as never }),
    /init must be one of glorot-uniform, he-normal, got "xavier"/,
  );
});

/** PyTorch LocalResponseNorm as a plain loop over NHWC. */
function lrnReference(
  x: Float32Array,
  shape: number[],
  size: number,
  alpha: number,
  beta: number,
  k: number,
) {
  const c = shape[3];
  const out = new Float64Array(x.length);
  for (let p = 0; p < x.length / c; p++) {
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let j = ch - Math.floor(size / 2); j <= ch + Math.floor((size - 1) / 2); j++) {
        if (j >= 0 && j < c) s += x[p * c + j] ** 2;
      }
      out[p * c + ch] = x[p * c + ch] / Math.pow(k + (alpha / size) * s, beta);
    }
  }
  return out;
}

Deno.test("LocalResponseNorm equals PyTorch's formula on cpu and wasm, and its gradient is right", async () => {
  await setupBackend({ choice: "wasm", quiet: true });
  const shape = [2, 3, 3, 9];
  const rng = new Rng(5);
  // Large values so the normaliser is far from 1 (alpha chosen big to make the test sensitive).
  const x = Float32Array.from({ length: 2 * 3 * 3 * 9 }, () => rng.normal() * 10);
  for (const backend of ["cpu", "wasm"]) {
    await tf.setBackend(backend);
    const layer = new LocalResponseNorm({ size: 5, alpha: 0.05, beta: 0.75, k: 2 });
    const xt = tf.tensor4d(x, shape as [number, number, number, number]);
    const y = layer.apply(xt) as tf.Tensor;
    assertAllClose(y.dataSync(), lrnReference(x, shape, 5, 0.05, 0.75, 2), 1e-4, `${backend} LRN`);
    // d/dx Σ w·LRN(x) against central differences of the reference.
    const wts = Float32Array.from({ length: x.length }, (_, i) => Math.sin(i));
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t) as tf.Tensor, tf.tensor(wts, shape))))(
      xt,
    ).dataSync();
    const f = (v: Float32Array) =>
      lrnReference(v, shape, 5, 0.05, 0.75, 2).reduce((s, o, i) => s + o * wts[i], 0);
    for (const i of [0, 7, 40, 100, 161]) {
      const h = 1e-2;
      const xp = x.slice();
      const xm = x.slice();
      xp[i] += h;
      xm[i] -= h;
      assertClose(g[i], (f(xp) - f(xm)) / (2 * h), 2e-3, `${backend} dLRN/dx[${i}]`);
    }
    tf.dispose([xt, y]);
  }
  await useCpu();
});

Deno.test("L2Normalize divides each row by its Euclidean norm", async () => {
  await useCpu();
  const y = new L2Normalize().apply(tf.tensor2d([[3, 4], [0, 0], [-1, 0]])) as tf.Tensor;
  assertAllClose(y.dataSync(), [0.6, 0.8, 0, 0, -1, 0], 1e-6);
});

Deno.test("SeededDropout: identity at inference, reproducible masks from the step seed, inverted scaling", async () => {
  await useCpu();
  const d = new SeededDropout({ rate: 0.5, name: "drop1" });
  const x = tf.ones([1, 2000]);
  deepEqual(Array.from((d.apply(x) as tf.Tensor).dataSync()), Array(2000).fill(1));
  const a = (d.apply(x, { training: true, dropoutSeed: 7 }) as tf.Tensor).dataSync();
  const b = (d.apply(x, { training: true, dropoutSeed: 7 }) as tf.Tensor).dataSync();
  const c = (d.apply(x, { training: true, dropoutSeed: 8 }) as tf.Tensor).dataSync();
  deepEqual(Array.from(a), Array.from(b));
  notDeepEqual(Array.from(a), Array.from(c));
  ok(a.every((v) => v === 0 || v === 2), "kept units are scaled by 1/(1−rate)");
  const kept = a.filter((v) => v > 0).length;
  ok(kept > 850 && kept < 1150, `about half kept, got ${kept}`);
});

Deno.test("saveModel/loadModel round-trip both networks (custom layers included) in TensorFlow.js format", async () => {
  await useCpu();
  const dir = await Deno.makeTempDir();
  try {
    for (
      const m of [
        buildZeilerFergus({ inputSize: 32, width: 1 / 16 }),
        buildInception({ inputSize: 32, width: 1 / 16 }),
      ]
    ) {
      const path = `${dir}/${m.name}`;
      await saveModel(m, path);
      const names = [...Deno.readDirSync(path)].map((e) => e.name).sort();
      deepEqual(names, ["model.json", "weights.bin"]);
      ok(!names.some((n) => n.endsWith(".tmp")));
      await saveModel(m, path); // overwriting an existing save works too
      const back = await loadModel(path);
      deepEqual(back.layers.map((l) => l.name), m.layers.map((l) => l.name));
      const x = tf.randomNormal([2, 32, 32, 1], 0, 1, "float32", 3);
      assertAllClose((back.predict(x) as tf.Tensor).dataSync(), (m.predict(x) as tf.Tensor).dataSync(), 1e-6);
      equal(paramCounts(back).total, paramCounts(m).total);
      m.dispose();
      back.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
