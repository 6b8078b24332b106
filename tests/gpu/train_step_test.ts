/**
 * The WebGPU route computes the same training step as the cpu backend: one batch of the training
 * loop's own gradient function (computeBatchGradients: forward in training mode with seeded
 * dropout and batch norm, semi-hard triplet mining, backward) on a tiny Zeiler&Fergus network,
 * once on cpu and once on webgpu, from the same weights and images.
 *
 * On a machine without a GPU this runs on Mesa's software Vulkan adapter (lavapipe, Debian
 * `mesa-vulkan-drivers`, installed by .ci/run); without any WebGPU adapter it is skipped.
 *
 * Tolerance: loss within 1e-4 relative, and every gradient tensor within 1e-3 of its own largest
 * magnitude. Both backends compute in float32 but sum in different orders (tiled WGSL shaders
 * against plain loops), which leaves ~1e-7 relative per operation; through ten layers, batch norm's
 * division by a small variance and the L2 normalisation that grows to ~1e-5 (measured on lavapipe:
 * loss differs by 3e-8, gradients by at most 2.4e-5 of their largest entry). 1e-3 leaves room for
 * other GPUs' arithmetic while still catching a wrong kernel, which is off by O(1).
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers"; // registers the op gradients
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertClose } from "../assert.ts";
import { probeWebGpu, startWebGpuBackend } from "../../lib/gpu/mod.ts";
import { buildZeilerFergus } from "../../lib/models/zeiler_fergus.ts";
import { computeBatchGradients, makeOptimizer, trainingConfig } from "../../lib/training/mod.ts";
import { computeBatchGradientsAsync } from "../../lib/gpu/train_step.ts";
import { Rng } from "../../lib/rng.ts";

const probe = await probeWebGpu();

/** Loss, active-triplet fraction and gradients (by variable order) of one batch on the current backend. */
async function oneStep(chunks: [number, number][], asyncReads: boolean) {
  const cfg = { ...trainingConfig("zf", "smoke"), margin: 0.5 };
  const net = buildZeilerFergus({ inputSize: 32, width: 0.125, seed: 5, dropout: 0.5 });
  const vars = net.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = makeOptimizer(cfg);
  const rng = new Rng(11);
  const n = 8;
  const pixels = Float32Array.from({ length: n * 32 * 32 }, () => rng.next());
  const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
  const r = await (asyncReads ? computeBatchGradientsAsync : computeBatchGradients)(
    net,
    optimizer,
    vars,
    tf.tensor4d(pixels, [n, 32, 32, 1]),
    labels,
    chunks,
    chunks.map((_, i) => 100 + i),
    cfg,
  );
  const grads = await Promise.all(vars.map((v) => r.grads[v.name].data() as Promise<Float32Array>));
  const names = vars.map((v) => v.name);
  tf.dispose(r.grads);
  optimizer.dispose();
  net.dispose();
  return { loss: r.loss, active: r.activeFraction, grads, names };
}

for (const chunks of [[[0, 8]], [[0, 4], [4, 8]]] as [number, number][][]) {
  Deno.test({
    name: `webgpu: one training step (${chunks.length} chunk${
      chunks.length > 1 ? "s" : ""
    }) matches the cpu backend's loss and gradients`,
    ignore: !probe.adapter,
    sanitizeResources: false, // the WebGPU device stays open for the process
    async fn() {
      await tf.setBackend("cpu");
      const ref = await oneStep(chunks, false);
      await startWebGpuBackend({ allowSoftware: true });
      assert(tf.getBackend() === "webgpu");
      const gpu = await oneStep(chunks, true);
      await tf.setBackend("cpu");
      assert(ref.loss > 0, `the reference loss is ${ref.loss}: no active triplet, nothing is compared`);
      assertClose(gpu.loss, ref.loss, 1e-4, "loss");
      assertClose(gpu.active, ref.active, 1e-9, "active fraction");
      for (let i = 0; i < ref.grads.length; i++) {
        let max = 0;
        let diff = 0;
        for (let j = 0; j < ref.grads[i].length; j++) {
          max = Math.max(max, Math.abs(ref.grads[i][j]));
          diff = Math.max(diff, Math.abs(ref.grads[i][j] - gpu.grads[i][j]));
        }
        assert(max > 0, `gradient of ${ref.names[i]} is zero on cpu: nothing compared`);
        assert(diff <= 1e-3 * max, `gradient of ${ref.names[i]}: max |diff| ${diff} > 1e-3 × ${max}`);
      }
    },
  });
}
