/**
 * The training loop on the webgpu backend, end to end, and a checkpoint moving between backends:
 * a tiny run trains its first epoch on cpu, resumes on webgpu (the asynchronous gradient path of
 * lib/gpu/train_step.ts, the next batch prepared while the device computes), and says that it
 * changed backend. Its epoch-2 loss must match an uninterrupted cpu run's within 1e-3 relative:
 * both use micro-batches of 5, so only float32 summation order differs (see train_step_test.ts).
 * The ++/+− distance snapshot taken after epoch 2 embeds on webgpu (awaited reads) and must match
 * the cpu run's within 1e-3 of its largest distance (measured on lavapipe: 4.4e-6).
 * Skipped without a WebGPU adapter; on lavapipe it takes about ten seconds.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertClose, deepEqual, equal, match, ok } from "../assert.ts";
import type { FaceSet } from "../../lib/data/faceset.ts";
import { Rng } from "../../lib/rng.ts";
import {
  backendChange,
  type DistanceSnapshot,
  listDistanceEpochs,
  loadDistances,
  train,
  type TrainConfig,
} from "../../lib/training/mod.ts";
import { probeWebGpu, startWebGpuBackend } from "../../lib/gpu/mod.ts";

const probe = await probeWebGpu();

/** 6 identities × 4 images of 16×16 noise around a per-identity level. */
function faces(): FaceSet {
  const rng = new Rng(3);
  const n = 24;
  const pixels = Uint8Array.from({ length: n * 256 }, (_, i) => {
    const id = Math.floor(i / 256 / 4);
    return Math.round(40 * id + 60 * rng.next());
  });
  return {
    pixels,
    n,
    height: 16,
    width: 16,
    labels: Int32Array.from({ length: n }, (_, i) => Math.floor(i / 4)),
    classNames: Array.from({ length: 6 }, (_, i) => `p${i}`),
    paths: Array.from({ length: n }, (_, i) => `synthetic/${i}.png`),
  };
}

const config: Partial<TrainConfig> = {
  modelOptions: { width: 1 / 16 },
  epochs: 2,
  batchesPerEpoch: 2,
  batchSize: 12,
  k: 2,
  maxIdentities: null,
  minImages: 2,
  schedule: { kind: "step", start: 0.05, end: 0.05, stages: 1 },
  margin: 0.5,
  distanceEpochs: [1, 2], // epoch 1's snapshot is taken on cpu, epoch 2's on webgpu (awaited reads)
  microBatch: 5,
};

Deno.test("backendChange says nothing on the same backend and names both (and the chunking) otherwise", async () => {
  const cfg = { microBatch: 50 as const };
  // This process has no setupBackend: the current backend is TensorFlow.js's name.
  await tf.setBackend("cpu");
  equal(backendChange({ backend: "cpu" }, cfg, 200), undefined);
  const m = backendChange({ backend: "wasm", device: "CPU", microBatchUsed: 40 }, cfg, 200)!;
  match(m, /trained on wasm \(CPU\) and resumes on cpu/);
  match(m, /micro-batches of 50 instead of 40/);
  match(
    backendChange({ backend: "webgpu" }, { microBatch: "auto" }, 200)!,
    /may normalise over other micro-batches/,
  );
});

Deno.test({
  name: "a run trained on cpu resumes on webgpu, says so, and continues with the same losses",
  ignore: !probe.adapter,
  sanitizeResources: false, // the WebGPU device stays open for the process
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "facenet_webgpu_" });
    try {
      await tf.setBackend("cpu");
      const f = faces();
      const quiet = { progress: false, log: () => {} };
      const ref = await train("zf", f, { ...quiet, runDir: `${dir}/ref`, config });
      ref.model.dispose();
      const first = await train("zf", f, { ...quiet, runDir: `${dir}/moved`, config, stopAfter: 1 });
      first.model.dispose();

      await startWebGpuBackend({ allowSoftware: true });
      const lines: string[] = [];
      const moved = await train("zf", f, {
        progress: false,
        log: (l) => lines.push(l),
        runDir: `${dir}/moved`,
        config,
      });
      equal(tf.getBackend(), "webgpu");
      ok(moved.finished);
      equal(moved.resumedFrom, 1);
      const note = lines.find((l) => l.startsWith("Note: this checkpoint was trained on cpu"));
      ok(note, lines.join("\n"));
      match(note, /resumes on webgpu/);
      ok(ref.history[1].loss > 0, "no active triplets in epoch 2: nothing compared");
      assertClose(moved.history[1].loss, ref.history[1].loss, 1e-3, "epoch-2 loss on webgpu vs cpu");
      // The epoch-2 distance snapshot, embedded on webgpu, against the uninterrupted cpu run's.
      deepEqual(listDistanceEpochs(`${dir}/moved`), [1, 2]);
      const [a, b] = await Promise.all([loadDistances(`${dir}/moved`, 2), loadDistances(`${dir}/ref`, 2)]);
      ok(b.positive.length > 0 && b.negative.length > 0, "empty reference snapshot: nothing compared");
      equal(a.positive.length, b.positive.length);
      equal(a.negative.length, b.negative.length);
      const all = (x: DistanceSnapshot) => [...x.positive, ...x.negative];
      const scale = Math.max(...all(b));
      const diff = Math.max(...all(a).map((v, i) => Math.abs(v - all(b)[i])));
      ok(diff <= 1e-3 * scale, `snapshot distances differ by ${diff} > 1e-3 × ${scale}`);
      moved.model.dispose();
      await tf.setBackend("cpu");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
