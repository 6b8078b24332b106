/**
 * Face detection with @vladmandic/face-api, whose model weights ship inside its npm package
 * (`model/`), so detection works offline. Its `node-wasm` build takes TensorFlow.js as an external
 * (`require("@tensorflow/tfjs")`), which resolves to the same tfjs-core 4.22 module this project uses:
 * it runs on whatever backend `setupBackend()` chose (wasm here) and shares its engine. face-api reads
 * its outputs synchronously (`dataSync`, `arraySync`), which the webgpu backend cannot do in Deno, so
 * under such a backend the models are loaded and run under the CPU backend (`withCpuBackend`): its
 * weights live there, and only plain boxes and points come back.
 *
 * Two detectors: SSD MobileNet v1 (default; 5.6 MB, input 512×512, well localised boxes) and the
 * Tiny Face Detector (190 kB, faster, looser boxes). Optional 68-point landmarks.
 */
import * as tf from "@tensorflow/tfjs-core";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readsSynchronously, setupBackend, withCpuBackend } from "../backend.ts";
import { checkRgbImage, type ImageSource, readImage, type RgbImage } from "./image.ts";

type FaceApi = typeof import("@vladmandic/face-api/dist/face-api.node-wasm.js");

const FACE_API_ENTRY = "@vladmandic/face-api/dist/face-api.node-wasm.js";

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Face {
  /** Bounding box in the input image's pixel coordinates (may reach outside it when detection needed padding). */
  box: Box;
  /** Detector confidence, 0–1. */
  score: number;
  /** 68 landmark points (iBUG 300-W order: jaw 0–16, brows 17–26, nose 27–35, eyes 36–47, mouth 48–67). */
  landmarks?: Point[];
}

export type DetectorModel = "ssd" | "tiny";

export interface DetectOptions {
  /** Which detector (default `ssd`). */
  model?: DetectorModel;
  /** Minimum confidence (default 0.5). */
  minScore?: number;
  /** At most this many faces, best first (default 100). */
  maxFaces?: number;
  /** Also locate 68 landmarks per face (loads a second 350 kB model). */
  landmarks?: boolean;
  /** Border added around the image before detecting, as a fraction of its larger side. `auto`
   * (default) tries without and, if nothing is found, with 0.5: the SSD finds no face in tight
   * crops such as the AT&T/ORL photos, where the face fills the frame, but does once given context. */
  pad?: "auto" | number;
  /** Input size of the tiny detector (multiple of 32, default 416). */
  tinyInputSize?: number;
}

let api: Promise<FaceApi> | undefined;
const loadedNets = new Set<string>();

/** Directory of the model weights inside the installed npm package. */
export function faceModelDir(): string {
  return join(dirname(fileURLToPath(import.meta.resolve(FACE_API_ENTRY))), "..", "model");
}

async function faceApi(): Promise<FaceApi> {
  api ??= (async () => {
    await setupBackend();
    return (await import(FACE_API_ENTRY)) as FaceApi;
  })();
  return await api;
}

/** Run `fn` on a backend face-api can read from: the active one, or the CPU backend under webgpu. */
function onReadableBackend<T>(fn: () => Promise<T>): Promise<T> {
  return readsSynchronously() ? fn() : withCpuBackend(fn);
}

/** Load the networks `opts` needs (once; later calls are free). */
export async function loadDetector(opts: Pick<DetectOptions, "model" | "landmarks"> = {}): Promise<void> {
  const fa = await faceApi();
  await onReadableBackend(() => loadNets(fa, opts));
}

async function loadNets(fa: FaceApi, opts: Pick<DetectOptions, "model" | "landmarks">): Promise<void> {
  const want: string[] = [(opts.model ?? "ssd") === "ssd" ? "ssdMobilenetv1" : "tinyFaceDetector"];
  if (opts.landmarks) want.push("faceLandmark68Net");
  for (const net of want) {
    if (loadedNets.has(net)) continue;
    const n = fa.nets[net as "ssdMobilenetv1" | "tinyFaceDetector" | "faceLandmark68Net"];
    try {
      await n.loadFromDisk(faceModelDir());
    } catch (e) {
      throw new Error(
        `cannot load face-api model ${net} from ${faceModelDir()}: ${e instanceof Error ? e.message : e}`,
      );
    }
    loadedNets.add(net);
  }
}

/** Copy `img` into the middle of a larger mid-gray canvas with `border` pixels on every side. */
function padImage(img: RgbImage, border: number): RgbImage {
  const width = img.width + 2 * border, height = img.height + 2 * border;
  const data = new Uint8Array(width * height * 3).fill(128);
  for (let y = 0; y < img.height; y++) {
    data.set(
      img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3),
      ((y + border) * width + border) * 3,
    );
  }
  return { data, width, height };
}

async function detectOnce(fa: FaceApi, img: RgbImage, opts: DetectOptions, border: number): Promise<Face[]> {
  const input = border > 0 ? padImage(img, border) : img;
  const minScore = opts.minScore ?? 0.5;
  const maxFaces = opts.maxFaces ?? 100;
  const options = (opts.model ?? "ssd") === "ssd"
    ? new fa.SsdMobilenetv1Options({ minConfidence: minScore, maxResults: maxFaces })
    : new fa.TinyFaceDetectorOptions({ scoreThreshold: minScore, inputSize: opts.tinyInputSize ?? 416 });
  const x = tf.tensor3d(input.data, [input.height, input.width, 3], "int32");
  try {
    // face-api's declared tensor type is its own bundled copy of tfjs-core's; at run time it is this one.
    const net = x as unknown as Parameters<FaceApi["detectAllFaces"]>[0];
    const shift = (p: { x: number; y: number }): Point => ({ x: p.x - border, y: p.y - border });
    let faces: Face[];
    if (opts.landmarks) {
      const found = await fa.detectAllFaces(net, options).withFaceLandmarks();
      faces = found.map((f) => ({
        box: boxOf(f.detection.box, border),
        score: f.detection.score,
        landmarks: f.landmarks.positions.map(shift),
      }));
    } else {
      const found = await fa.detectAllFaces(net, options);
      faces = found.map((d) => ({ box: boxOf(d.box, border), score: d.score }));
    }
    return faces.sort((a, b) => b.score - a.score).slice(0, maxFaces);
  } finally {
    x.dispose();
  }
}

function boxOf(b: Box, border: number): Box {
  return { x: b.x - border, y: b.y - border, width: b.width, height: b.height };
}

/**
 * Find the faces in a photo, best first. Boxes are in the photo's pixel coordinates.
 */
export async function detectFaces(image: ImageSource, opts: DetectOptions = {}): Promise<Face[]> {
  const fa = await faceApi();
  const img = checkRgbImage(await readImage(image));
  const pad = opts.pad ?? "auto";
  if (pad !== "auto" && !(pad >= 0)) {
    throw new RangeError(`detectFaces: pad must be "auto" or ≥ 0, got ${pad}`);
  }
  return await onReadableBackend(async () => {
    await loadNets(fa, opts);
    if (pad !== "auto") return detectOnce(fa, img, opts, Math.round(pad * Math.max(img.width, img.height)));
    const faces = await detectOnce(fa, img, opts, 0);
    if (faces.length > 0) return faces;
    return detectOnce(fa, img, opts, Math.round(0.5 * Math.max(img.width, img.height)));
  });
}

/** Intersection over union of two boxes (0 when they do not overlap). */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}
