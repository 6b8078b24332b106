import * as tf from "@tensorflow/tfjs-core";
import { assert, equal, match } from "./assert.ts";
import { setupBackend } from "../lib/backend.ts";

Deno.test("setupBackend picks a working backend and explains skipped native ones", async () => {
  const info = await setupBackend({ quiet: true });
  equal(tf.getBackend(), info.tfBackend);
  match(info.summary, /TensorFlow\.js backend: /);
  // On these machines the native addons are not built, so they must appear as skipped with a reason.
  for (const s of info.skipped) assert(s.reason.length > 0);
  const y = tf.tidy(() =>
    tf.conv2d(tf.ones([1, 4, 4, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, "same")
  );
  // Corner pixel of a 3×3 box filter over ones with zero padding sees 4 ones; the centre sees 9.
  const v = await y.data();
  equal(v[0], 4);
  equal(v[5], 9);
  y.dispose();
});
