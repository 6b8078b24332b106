/**
 * Child process for the interruption test (not a test file): trains a tiny network on random faces
 * into the run folder given as its argument, for far longer than the test waits, printing "training"
 * once the run has started its first epoch.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { train } from "../../lib/training/mod.ts";
import { noiseFaces } from "./noise_faces.ts";

await tf.setBackend("cpu");
const faces = noiseFaces();
await train("zf", faces, {
  runDir: Deno.args[0],
  profile: "smoke",
  progress: false,
  log: (s) => {
    if (s.startsWith("Training")) console.log("training");
  },
  config: {
    modelOptions: { width: 1 / 16 },
    epochs: 1,
    batchesPerEpoch: 100_000,
    batchSize: 8,
    k: 2,
    maxIdentities: null,
    distanceEpochs: [],
    augment: false,
    microBatch: 8,
  },
});
