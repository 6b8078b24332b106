/**
 * Compute backend selection. TensorFlow.js has several backends of very different speed; the
 * fastest one that actually loads on this machine is chosen, and the caller is told which and why
 * the others were skipped (a missing native addon is normal, not an error).
 *
 * Order: tfjs-node-gpu (CUDA) → webgpu (a hardware WebGPU adapter) → tfjs-node (native TensorFlow
 * on the CPU) → wasm → cpu (pure JS). `FACENET_BACKEND` = `auto` | `node-gpu` | `webgpu` | `node` |
 * `wasm` | `cpu` forces one. A GPU backend is only reported as such when it computes on a GPU
 * (lib/gpu/mod.ts): node-gpu on a TensorFlow without a GPU device is an error when forced and a
 * warning in auto mode; webgpu takes a software adapter only when forced.
 *
 * Code that reads tensors synchronously (face-api) checks `readsSynchronously()` and, under webgpu,
 * runs inside `withCpuBackend()`.
 */
import * as tf from "@tensorflow/tfjs-core";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  installWasmTrainingKernels,
  startWasmBackend,
  wasmThreadCount,
  wasmThreadsAvailable,
} from "./wasm/mod.ts";
import { env } from "./config.ts";
import { installNativeKernels, type NativeStatus } from "./native/mod.ts";
import {
  applyCudaSettings,
  describeAdapter,
  nvidiaGpus,
  startWebGpuBackend,
  whyNoCudaGpu,
} from "./gpu/mod.ts";

export const BACKEND_CHOICES = ["auto", "node-gpu", "webgpu", "node", "wasm", "cpu"] as const;
export type BackendChoice = typeof BACKEND_CHOICES[number];
type Concrete = Exclude<BackendChoice, "auto">;

export interface BackendInfo {
  /** What was chosen, in FACENET_BACKEND's vocabulary. */
  choice: Concrete;
  /** TensorFlow.js's own backend name (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  tfBackend: string;
  /** The device that computes: `CPU`, or the GPU and how it was confirmed. */
  device: string;
  /** Whether the device is a GPU (false for node-gpu when TensorFlow found none, and for a software
   * WebGPU adapter). */
  gpu: boolean;
  /** Problems a user must hear about (e.g. node-gpu running on the CPU). */
  warnings: string[];
  /** Worker threads the backend computes with (1 when single-threaded). */
  threads: number;
  /** Backends tried before this one and why each was not used. */
  skipped: { choice: Concrete; reason: string }[];
  /** Kernels this project registered on top of the backend (e.g. fast conv gradients on wasm). */
  extraKernels: string[];
  /** oneDNN kernels on top of wasm (lib/native/), or why not; undefined for other backends. */
  native?: NativeStatus;
  /** What computes, e.g. `wasm + oneDNN 2.6.3 (2 threads)` or `wasm`. */
  name: string;
  /** One human-readable line. */
  summary: string;
}

const ORDER: Concrete[] = ["node-gpu", "webgpu", "node", "wasm", "cpu"];
const NATIVE_PKG: Record<"node-gpu" | "node", string> = {
  "node-gpu": "@tensorflow/tfjs-node-gpu",
  "node": "@tensorflow/tfjs-node",
};

function readChoice(): BackendChoice {
  const v = env("FACENET_BACKEND") ?? "auto";
  if (!(BACKEND_CHOICES as readonly string[]).includes(v)) {
    throw new Error(`FACENET_BACKEND=${JSON.stringify(v)} is not one of ${BACKEND_CHOICES.join(", ")}`);
  }
  return v as BackendChoice;
}

/** Why a native tfjs-node package cannot load here, or undefined if its addon is present.
 * Checked before importing: a failed import half-registers kernels and floods the console. */
function nativeMissing(pkg: string): string | undefined {
  let entry: string;
  try {
    entry = fileURLToPath(import.meta.resolve(pkg));
  } catch {
    return `${pkg} is not installed`;
  }
  const lib = join(dirname(entry), "..", "lib");
  const found = existsSync(lib) &&
    readdirSync(lib).some((d) => d.startsWith("napi-v") && existsSync(join(lib, d, "tfjs_binding.node")));
  return found
    ? undefined
    : `${pkg} has no native addon (install with: deno install --allow-scripts=npm:${pkg})`;
}

interface Started {
  tfBackend: string;
  extra: string[];
  device: string;
  gpu: boolean;
  warnings: string[];
  native?: NativeStatus;
}

async function tryOne(choice: Concrete, forced: boolean, threads?: number): Promise<Started> {
  const cpu = { device: "CPU", gpu: false, warnings: [] };
  if (choice === "node-gpu" || choice === "node") {
    const pkg = NATIVE_PKG[choice];
    const missing = nativeMissing(pkg);
    if (missing) {
      throw new Error(choice === "node-gpu" && forced ? `${missing}; also ${whyNoCudaGpu()}` : missing);
    }
    // Memory growth and a large CUDA JIT cache, unless the user set them (lib/gpu/cuda.ts).
    if (choice === "node-gpu") applyCudaSettings();
    await import(pkg);
    if (!(await tf.setBackend("tensorflow"))) throw new Error(`${pkg} loaded but the backend did not start`);
    if (choice === "node") return { tfBackend: "tensorflow", extra: [], ...cpu };
    // TensorFlow falls back to the CPU without an error when CUDA/cuDNN cannot be loaded; the addon
    // knows whether it opened a GPU device.
    if ((tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice !== true) {
      const why = `TensorFlow sees no GPU: ${whyNoCudaGpu()}`;
      if (forced) throw new Error(why);
      return {
        tfBackend: "tensorflow",
        extra: [],
        device: "CPU (node-gpu without a GPU)",
        gpu: false,
        warnings: [`node-gpu computes on the CPU — ${why}`],
      };
    }
    const names = nvidiaGpus();
    return {
      tfBackend: "tensorflow",
      extra: [],
      device: `GPU: ${names?.length ? names.join(", ") : "CUDA device (nvidia-smi not found)"}`,
      gpu: true,
      warnings: [],
    };
  }
  if (choice === "webgpu") {
    const adapter = await startWebGpuBackend({ allowSoftware: forced });
    return {
      tfBackend: "webgpu",
      extra: [],
      device: `${adapter.software ? "CPU" : "GPU"} via WebGPU: ${describeAdapter(adapter)}`,
      gpu: !adapter.software,
      warnings: adapter.software
        ? [`webgpu runs on a software adapter (${adapter.softwareReason}): correct but slow`]
        : [],
    };
  }
  if (choice === "wasm") {
    // Threaded SIMD build when it runs here (see lib/wasm/threads.ts), `threads` or
    // $FACENET_WASM_THREADS or all cores; the plain SIMD build for 1.
    if (!(await startWasmBackend(wasmThreadCount(threads)))) {
      throw new Error("the wasm backend did not initialise");
    }
    const extra = installWasmTrainingKernels();
    return { tfBackend: "wasm", extra, native: installNativeKernels(), ...cpu };
  }
  await import("@tensorflow/tfjs-backend-cpu");
  if (!(await tf.setBackend("cpu"))) throw new Error("the cpu backend did not initialise");
  return { tfBackend: "cpu", extra: [], ...cpu };
}

function threadsOf(tfBackend: string): number {
  if (tfBackend === "wasm") {
    const b = tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount?: () => number } } };
    return b.wasm?.tfjs?.getThreadsCount?.() ?? 1;
  }
  return 1;
}

let current: BackendInfo | undefined;

/** The backend setupBackend chose in this process, if it ran. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

/** The forced backend (or every backend) cannot start here; the message says why. */
export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackendUnavailableError";
  }
}

/**
 * Set up TensorFlow.js with the best backend available (or the one `FACENET_BACKEND` names) and
 * say what was chosen. Idempotent: later calls return the first result.
 */
export async function setupBackend(
  opts: { choice?: BackendChoice; quiet?: boolean; threads?: number } = {},
): Promise<BackendInfo> {
  if (current) return current;
  const choice = opts.choice ?? readChoice();
  const candidates = choice === "auto" ? ORDER : [choice];
  const skipped: BackendInfo["skipped"] = [];
  for (const c of candidates) {
    try {
      const { tfBackend, extra, device, gpu, warnings, native } = await tryOne(
        c,
        choice !== "auto",
        opts.threads,
      );
      const threads = threadsOf(tfBackend);
      const why = skipped.map((s) => `${s.choice}: ${s.reason}`).join("; ");
      const plural = (n: number) => `${n} thread${n === 1 ? "" : "s"}`;
      const name = native?.active ? `${c} + ${native.name} (${plural(native.threads)})` : c;
      const on = tfBackend === "webgpu" || c === "node-gpu" ? `, ${device}` : "";
      const summary = `TensorFlow.js backend: ${c} (${plural(threads)}${on})` +
        (extra.length ? `, + ${extra.length} project kernels` : "") +
        (native?.active
          ? `, + ${native.name} (${plural(native.threads)}): ${native.kernels.join(", ")}`
          : "") +
        (native && !native.active ? ` (${native.reason})` : "") + (why ? ` — skipped ${why}` : "");
      current = {
        choice: c,
        tfBackend,
        device,
        gpu,
        warnings,
        threads,
        skipped,
        extraKernels: extra,
        native,
        name,
        summary,
      };
      if (!opts.quiet) console.log(summary);
      // Warnings go to stderr even when quiet: a GPU route that computes on the CPU must not pass unnoticed.
      for (const w of warnings) console.warn(`warning: ${w}`);
      return current;
    } catch (e) {
      skipped.push({ choice: c, reason: e instanceof Error ? e.message.split("\n")[0] : String(e) });
    }
  }
  const reasons = skipped.map((s) => `${s.choice}: ${s.reason}`).join("; ");
  throw new BackendUnavailableError(
    choice === "auto"
      ? `no TensorFlow.js backend could start: ${reasons}`
      : `FACENET_BACKEND=${choice} cannot be used here — ${reasons}`,
  );
}

/** TensorFlow.js backends whose tensors can be read synchronously (`dataSync`, `arraySync`). */
const SYNC_READERS = new Set(["wasm", "cpu", "tensorflow"]);

/**
 * Whether the active backend can read tensors synchronously: wasm, cpu and node (tfjs-node) can;
 * webgpu cannot in Deno (its `dataSync` draws through a 2D OffscreenCanvas, which Deno lacks, and
 * stalls the GPU where it works). Code that reads synchronously, such as face-api, runs under
 * {@link withCpuBackend} when this is false. False as well when no backend is active yet.
 */
export function readsSynchronously(): boolean {
  return SYNC_READERS.has(tf.getBackend());
}

/** wasm once it started here (with this project's kernels), or cpu when wasm cannot start. */
let cpuBackend: Promise<Concrete> | undefined;

async function enterCpuBackend(): Promise<void> {
  cpuBackend ??= (async () => {
    try {
      await tryOne("wasm", true);
      return "wasm";
    } catch (e) {
      console.warn(
        `warning: the wasm backend did not start (${e instanceof Error ? e.message : e}); using cpu`,
      );
      await tryOne("cpu", true);
      return "cpu";
    }
  })();
  const name = await cpuBackend;
  if (tf.getBackend() !== name && !(await tf.setBackend(name))) {
    throw new Error(`the ${name} backend did not start again`);
  }
}

let cpuUsers = 0;
let cpuEntered: Promise<void> | undefined;
let restoreTo: string | null = null;

/**
 * Run `fn` under the CPU backend — wasm with this project's kernels, or cpu where wasm cannot start —
 * and switch back to the backend that was active before, also when `fn` throws. For libraries that
 * read tensors synchronously (face-api) while the process computes on webgpu; see
 * {@link readsSynchronously}. Tensors `fn` creates must not leave it: dispose them or return plain
 * arrays (a tensor used under the other backend is copied across on every use).
 *
 * The backend is process-wide: overlapping and nested calls share one switch, undone when the last
 * one ends, and anything else that runs while `fn` awaits runs on the CPU backend too.
 */
export async function withCpuBackend<T>(fn: () => Promise<T> | T): Promise<T> {
  if (cpuUsers++ === 0) {
    restoreTo = tf.getBackend();
    cpuEntered = enterCpuBackend();
  }
  try {
    await cpuEntered;
    return await fn();
  } finally {
    if (--cpuUsers === 0) {
      cpuEntered = undefined;
      // Null when no backend was active before: then the CPU backend stays.
      if (restoreTo !== null && tf.getBackend() !== restoreTo) await tf.setBackend(restoreTo);
    }
  }
}

export { wasmThreadsAvailable };
