/**
 * Evaluation on the WebGPU route: `embed` reads its results back asynchronously, so it works on
 * tfjs-backend-webgpu in Deno (whose synchronous read needs a 2D OffscreenCanvas that Deno lacks),
 * and gives the cpu backend's embeddings; the triplet loss, which reads synchronously, names the
 * asynchronous way instead of failing inside tfjs.
 *
 * Tiny Zeiler&Fergus and Inception networks (width 1/16, 24×24 inputs, seeded, so both backends
 * build the same weights), 7 images in batches of 3 (so the next batch is queued while one is read).
 * Tolerance: every embedding entry within 1e-4 of the cpu backend's. The embeddings are
 * L2-normalised (entries up to ~0.25); float32 sums in another order leave ~1e-7 relative per
 * operation (measured on lavapipe: at most 1.0e-7 for ZF, 1.2e-7 for Inception). 1e-4 leaves room
 * for other GPUs' arithmetic; a wrong kernel or a mixed-up batch is off by O(0.1).
 * Skipped without a WebGPU adapter.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, equal, match, throws } from "../assert.ts";
import { probeWebGpu, startWebGpuBackend } from "../../lib/gpu/mod.ts";
import { embed } from "../../lib/models/embed.ts";
import { buildInception } from "../../lib/models/inception.ts";
import { buildZeilerFergus } from "../../lib/models/zeiler_fergus.ts";
import { tripletLoss } from "../../lib/training/triplet.ts";
import { Rng } from "../../lib/rng.ts";

const probe = await probeWebGpu();

function images(n: number, size: number, seed: number) {
  const rng = new Rng(seed);
  return {
    pixels: Uint8Array.from({ length: n * size * size }, () => rng.int(256)),
    n,
    height: size,
    width: size,
  };
}

const networks = {
  zf: () => buildZeilerFergus({ inputSize: 24, width: 1 / 16, seed: 3 }),
  inception: () => buildInception({ inputSize: 24, width: 1 / 16, seed: 3 }),
};

async function embedOn(build: () => tfl.LayersModel): Promise<Float32Array> {
  const m = build();
  try {
    const before = tf.memory().numTensors;
    const e = await embed(m, images(7, 24, 2), { batchSize: 3 });
    equal(tf.memory().numTensors, before, `tensors leaked by embed on ${tf.getBackend()}`);
    return e;
  } finally {
    m.dispose();
  }
}

for (const [name, build] of Object.entries(networks)) {
  Deno.test({
    name: `webgpu: embed (${name}) reads back asynchronously and matches the cpu backend's embeddings`,
    ignore: !probe.adapter,
    sanitizeResources: false, // the WebGPU device stays open for the process
    async fn() {
      await tf.setBackend("cpu");
      const ref = await embedOn(build);
      await startWebGpuBackend({ allowSoftware: true });
      equal(tf.getBackend(), "webgpu");
      const gpu = await embedOn(build);
      await tf.setBackend("cpu");
      equal(gpu.length, ref.length);
      let diff = 0;
      let max = 0;
      for (let i = 0; i < ref.length; i++) {
        diff = Math.max(diff, Math.abs(gpu[i] - ref[i]));
        max = Math.max(max, Math.abs(ref[i]));
      }
      console.log(`${name}: max |webgpu − cpu| = ${diff.toExponential(2)} (largest entry ${max.toFixed(3)})`);
      assert(max > 0.05, `cpu embeddings are ~0 (${max}): nothing compared`);
      assert(diff <= 1e-4, `embeddings differ by ${diff} > 1e-4`);
    },
  });
}

Deno.test({
  name: "webgpu: the triplet loss without read distances names the asynchronous way; with them it runs",
  ignore: !probe.adapter,
  sanitizeResources: false,
  async fn() {
    await startWebGpuBackend({ allowSoftware: true });
    const labels = Int32Array.from({ length: 48 }, (_, i) => i % 12);
    const emb = tf.tidy(() => tf.mul(tf.randomNormal([48, 64], 0, 1, "float32", 7), 1) as tf.Tensor2D);
    throws(
      () => tripletLoss(labels, emb, 0.2).loss.dispose(),
      (e: Error) => {
        match(e.message, /webgpu backend cannot read the distances synchronously/);
        match(e.message, /await t\.data\(\)/);
        return true;
      },
    );
    const d = tf.tidy(() => {
      const sq = tf.sum(tf.square(emb), 1, true);
      return tf.maximum(tf.sub(tf.add(sq, tf.transpose(sq)), tf.mul(2, tf.matMul(emb, emb, false, true))), 0);
    });
    const dv = await d.data() as Float32Array;
    for (let i = 0; i < 48; i++) dv[i * 48 + i] = 0;
    const r = tripletLoss(labels, emb, 0.2, "semi-hard", dv);
    const loss = (await r.loss.data())[0];
    assert(
      Math.abs(loss - r.value) <= 1e-4 * Math.max(1, r.value),
      `loss ${loss} vs its JS value ${r.value}`,
    );
    assert(r.triplets === 48 * 3, `${r.triplets} triplets`);
    tf.dispose([d, emb, r.loss]);
    await tf.setBackend("cpu");
  },
});
