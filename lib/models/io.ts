/**
 * Saving and loading models in TensorFlow.js's own format (model.json + weights.bin) to a local
 * folder, without a browser or tfjs-node: a small IOHandler over Deno's file APIs. Folders are
 * replaced atomically (written as `<dir>.tmp`, then swapped in), so a crash mid-save leaves the
 * previous copy intact.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { join } from "node:path";
import { commitDir, freshTmpDir, recoverDir } from "../files.ts";
/** A tensor with a name, as tfjs's weight encoders take them. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

import "./layers.ts"; // registers the custom layers so saved models deserialise

const MODEL_JSON = "model.json";
const WEIGHTS_BIN = "weights.bin";

/** An IOHandler whose save writes model.json + weights.bin into `dir` (which must exist). */
export function folderSaveHandler(dir: string): tf.io.IOHandler {
  return tf.io.withSaveHandler(async (a: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
    const weightData = a.weightData === undefined
      ? new ArrayBuffer(0)
      : tf.io.CompositeArrayBuffer.join(a.weightData);
    const modelJson: tf.io.ModelJSON = {
      modelTopology: a.modelTopology as object,
      format: a.format,
      generatedBy: a.generatedBy,
      convertedBy: a.convertedBy,
      weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: a.weightSpecs ?? [] }],
    };
    if (a.trainingConfig) modelJson.trainingConfig = a.trainingConfig;
    await Deno.writeFile(join(dir, WEIGHTS_BIN), new Uint8Array(weightData));
    await Deno.writeTextFile(join(dir, MODEL_JSON), JSON.stringify(modelJson));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
  });
}

/** Read the artifacts of a model saved by {@link folderSaveHandler}. */
export async function readModelArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const path = join(dir, MODEL_JSON);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`cannot read a TensorFlow.js model from ${path}: ${(e as Error).message}`);
  }
  return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      for (const p of group.paths) {
        const bytes = await Deno.readFile(join(dir, p));
        buffers.push(
          bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
        );
      }
      specs.push(...group.weights);
    }
    const files = manifest.flatMap((g) => g.paths.map((p) => join(dir, p))).join(" + ");
    checkWeightBytes(files, buffers.reduce((n, b) => n + b.byteLength, 0), specs, path);
    return [specs, tf.io.concatenateArrayBuffers(buffers)];
  });
}

/** Save a model to folder `dir` (model.json + weights.bin), atomically. */
export async function saveModel(model: tfl.LayersModel, dir: string): Promise<void> {
  const tmp = await freshTmpDir(dir);
  await model.save(folderSaveHandler(tmp));
  await commitDir(tmp, dir);
}

/** Load a model saved by {@link saveModel} (or any model.json + weights in one folder). */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  await recoverDir(dir);
  const artifacts = await readModelArtifacts(dir);
  return await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
}

/** Write named tensors (e.g. optimizer state) as `<name>.json` (specs) + `<name>.bin` in `dir`. */
export async function writeTensors(dir: string, name: string, tensors: NamedTensor[]): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  await Deno.writeFile(join(dir, `${name}.bin`), new Uint8Array(tf.io.CompositeArrayBuffer.join(data)));
  await Deno.writeTextFile(join(dir, `${name}.json`), JSON.stringify(specs));
}

/** Read tensors written by {@link writeTensors}, in their saved order. */
export async function readTensors(dir: string, name: string): Promise<NamedTensor[]> {
  const specs: tf.io.WeightsManifestEntry[] = JSON.parse(await Deno.readTextFile(join(dir, `${name}.json`)));
  const bytes = await Deno.readFile(join(dir, `${name}.bin`));
  checkWeightBytes(join(dir, `${name}.bin`), bytes.byteLength, specs, join(dir, `${name}.json`));
  const map = tf.io.decodeWeights(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    specs,
  );
  return specs.map((s) => ({ name: s.name, tensor: map[s.name] }));
}

/** Bytes per value of each dtype as tfjs encodes weights (quantized weights: their stored dtype). */
const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** The bytes the weights listed in `specs` take, or undefined if one has no fixed size (strings). */
export function weightBytes(specs: tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const s of specs) {
    const size = DTYPE_BYTES[s.quantization?.dtype ?? s.dtype];
    if (size === undefined) return undefined;
    total += size * s.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}

/**
 * Throw an error naming `file` unless it holds exactly the bytes its specs (listed in `specsFile`) need:
 * a truncated file would otherwise fail inside tfjs with a shape error that names no file.
 */
function checkWeightBytes(
  file: string,
  bytes: number,
  specs: tf.io.WeightsManifestEntry[],
  specsFile: string,
) {
  const want = weightBytes(specs);
  if (want !== undefined && want !== bytes) {
    throw new Error(
      `${file} has ${bytes} bytes but the weights listed in ${specsFile} need ${want}: ` +
        `it is ${bytes < want ? "truncated" : "not the file these weights were saved with"}`,
    );
  }
}
