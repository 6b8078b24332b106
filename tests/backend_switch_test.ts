/**
 * withCpuBackend runs its function under the wasm backend (this project's CPU backend) and switches
 * back to the backend that was active, also when the function throws, and once for nested or
 * overlapping calls; readsSynchronously is true on the backends that can read synchronously. The
 * switch is observed from tf.getBackend() and from where the tensors made inside live.
 * (readsSynchronously on webgpu: tests/gpu/face_detect_test.ts.)
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assert, deepEqual, equal, rejects } from "./assert.ts";
import { readsSynchronously, withCpuBackend } from "../lib/backend.ts";

/** The backend a tensor's data is held by: the proof that a kernel really ran there. */
function backendOf(t: tf.Tensor): tf.KernelBackend {
  return tf.engine().state.tensorInfo.get(t.dataId)!.backend;
}

Deno.test("withCpuBackend runs under wasm and restores the previous backend", async () => {
  equal(await tf.setBackend("cpu"), true);
  const inside = await withCpuBackend(() => {
    const y = tf.tidy(() =>
      tf.conv2d(tf.ones([1, 4, 4, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, "same")
    );
    try {
      // A 3×3 box filter over ones with zero padding: 4 at a corner, 9 inside.
      const v = y.dataSync();
      return {
        backend: tf.getBackend(),
        sync: readsSynchronously(),
        onWasm: backendOf(y) === tf.findBackend("wasm"),
        corner: v[0],
        centre: v[5],
      };
    } finally {
      y.dispose();
    }
  });
  deepEqual(inside, { backend: "wasm", sync: true, onWasm: true, corner: 4, centre: 9 });
  equal(tf.getBackend(), "cpu");
  const t = tf.scalar(1);
  assert(backendOf(t) === tf.findBackend("cpu"), "a tensor made after the call is not on cpu");
  t.dispose();
});

Deno.test("withCpuBackend restores the previous backend when its function throws", async () => {
  await tf.setBackend("cpu");
  await rejects(
    withCpuBackend(() => {
      equal(tf.getBackend(), "wasm");
      throw new Error("boom inside");
    }),
    /boom inside/,
  );
  equal(tf.getBackend(), "cpu");
  await rejects(
    withCpuBackend(async () => {
      await Promise.resolve();
      throw new RangeError("async boom");
    }),
    RangeError,
  );
  equal(tf.getBackend(), "cpu");
});

Deno.test("nested and overlapping withCpuBackend calls switch back once, after the last", async () => {
  await tf.setBackend("cpu");
  const seen: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const outer = withCpuBackend(async () => {
    seen.push(`outer ${tf.getBackend()}`);
    await withCpuBackend(() => seen.push(`nested ${tf.getBackend()}`));
    seen.push(`after nested ${tf.getBackend()}`);
    await gate;
    seen.push(`outer end ${tf.getBackend()}`);
  });
  // Starts while `outer` waits and ends first: the backend must stay wasm for `outer`.
  await withCpuBackend(() => seen.push(`overlapping ${tf.getBackend()}`));
  seen.push(`between ${tf.getBackend()}`);
  release();
  await outer;
  equal(tf.getBackend(), "cpu");
  // The order of the first five depends on microtask scheduling; each must have seen wasm.
  deepEqual(seen.toSorted(), [
    "after nested wasm",
    "between wasm",
    "nested wasm",
    "outer end wasm",
    "outer wasm",
    "overlapping wasm",
  ]);
  equal(seen.at(-1), "outer end wasm");
});

Deno.test("readsSynchronously is true on wasm and cpu", async () => {
  await tf.setBackend("cpu");
  equal(readsSynchronously(), true);
  await withCpuBackend(() => equal(readsSynchronously(), true));
  equal(await tf.setBackend("wasm"), true);
  equal(readsSynchronously(), true);
  await tf.setBackend("cpu");
});
