import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertAllClose, deepEqual, equal, rejects } from "../assert.ts";
import { embed, inputTensor, scalePixel } from "../../lib/models/embed.ts";
import { buildInception } from "../../lib/models/inception.ts";
import { buildZeilerFergus } from "../../lib/models/zeiler_fergus.ts";
import { Rng } from "../../lib/rng.ts";

function images(n: number, size: number, seed: number) {
  const rng = new Rng(seed);
  return {
    pixels: Uint8Array.from({ length: n * size * size }, () => rng.int(256)),
    n,
    height: size,
    width: size,
  };
}

Deno.test("scalePixel maps 0…255 onto −1…1", () => {
  deepEqual([scalePixel(0), scalePixel(127.5), scalePixel(255)], [-1, 0, 1]);
});

Deno.test("inputTensor scales a slice of images into [count, h, w, 1]", async () => {
  await tf.setBackend("cpu");
  const im = images(3, 4, 1);
  const t = inputTensor(im, 1, 3);
  deepEqual(t.shape, [2, 4, 4, 1]);
  assertAllClose(t.dataSync(), Array.from(im.pixels.subarray(16), scalePixel), 1e-6);
  t.dispose();
});

Deno.test("embed in small batches equals one big predict, and leaks no tensors", async () => {
  await tf.setBackend("cpu");
  for (
    const m of [
      buildZeilerFergus({ inputSize: 24, width: 1 / 16 }),
      buildInception({ inputSize: 24, width: 1 / 16 }),
    ]
  ) {
    const im = images(7, 24, 2);
    const before = tf.memory().numTensors;
    let calls = 0;
    const e = await embed(m, im, { batchSize: 3, onProgress: () => calls++ });
    equal(tf.memory().numTensors, before, "tensors leaked by embed");
    equal(e.length, 7 * 128);
    equal(calls, 3);
    const x = inputTensor(im);
    const y = m.predict(x) as tf.Tensor;
    assertAllClose(e, y.dataSync(), 1e-5, `${m.name} embeddings`);
    tf.dispose([x, y]);
    m.dispose();
  }
});

Deno.test("embed refuses images of the wrong size", async () => {
  await tf.setBackend("cpu");
  const m = buildZeilerFergus({ inputSize: 24, width: 1 / 16 });
  await rejects(() => embed(m, images(2, 32, 1)), /takes 24×24 images, got 32×32/);
  m.dispose();
});

Deno.test("embed of no images is empty; a failing progress callback leaks no queued batch", async () => {
  await tf.setBackend("cpu");
  const m = buildZeilerFergus({ inputSize: 24, width: 1 / 16 });
  equal((await embed(m, images(0, 24, 1))).length, 0);
  const before = tf.memory().numTensors;
  await rejects(
    () =>
      embed(m, images(5, 24, 3), {
        batchSize: 2,
        onProgress: () => {
          throw new Error("stop");
        },
      }),
    /stop/,
  );
  equal(tf.memory().numTensors, before, "tensors leaked when embed stopped early");
  m.dispose();
});
