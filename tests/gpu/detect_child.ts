/**
 * Child process for face_detect_test.ts (a process holds one backend, set from FACENET_BACKEND):
 * detects the faces and landmarks in one photo, as notebook 05 does, and prints one JSON line with
 * the backend before and after, whether it reads synchronously, the tensors left behind by the
 * detection, and the faces.
 */
import * as tf from "@tensorflow/tfjs-core";
import { readsSynchronously, setupBackend } from "../../lib/backend.ts";
import { detectFaces, loadDetector } from "../../lib/faces/mod.ts";

const photo = Deno.args[0];
if (!photo) throw new Error("usage: detect_child.ts PHOTO");
const info = await setupBackend({ quiet: true });
const sync = readsSynchronously();
await loadDetector({ landmarks: true });
const before = tf.memory().numTensors;
const faces = await detectFaces(photo, { landmarks: true });
console.log(JSON.stringify({
  choice: info.choice,
  backend: info.tfBackend,
  sync,
  backendAfter: tf.getBackend(),
  leaked: tf.memory().numTensors - before,
  faces,
}));
