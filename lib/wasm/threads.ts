/**
 * Multi-threaded wasm (tfjs-backend-wasm-threaded-simd.wasm) under Deno.
 *
 * tfjs refuses threads whenever `process` exists (its Node check), and its emscripten glue,
 * taking Node's code path, spawns `node:worker_threads` Workers on a `blob:` URL that Deno's
 * worker_threads rejects. What makes it run here:
 *  1. force the `WASM_HAS_MULTITHREAD_SUPPORT` flag on;
 *  2. hand emscripten a Worker class (via the global it reads) that starts `pthread_worker.js`, a
 *     Deno worker_threads module which hides `process` and runs the upstream pthread script on its
 *     web-worker path; the main script arrives as a Blob, sent on as text;
 *  3. the C++ side caps the pool at navigator-cores/2 (`emscripten_num_logical_cores()/2`, read from
 *     `os.cpus()` under Node), i.e. 1 on a 2-core machine: report 2×threads cores while the module
 *     initialises.
 * Shared wasm memory and compiled modules pass to Deno workers intact. The pthread workers never
 * hold the process open (see `ref`), so a script still exits when its work is done.
 */
import * as tf from "@tensorflow/tfjs-core";
import os from "node:os";
import { type Transferable as NodeTransferable, Worker as NodeWorker } from "node:worker_threads";
// @ts-types="./pthread_script.d.ts"
import { wasmWorkerContents } from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js";
import { env } from "../config.ts";

const WORKER_URL = new URL("./pthread_worker.js", import.meta.url);

/** A node:worker_threads Worker running one emscripten pthread (see the module comment). */
class PthreadWorker extends NodeWorker {
  #pending: Promise<void> | undefined;

  constructor(_scriptUrl: string | URL) {
    super(WORKER_URL, { workerData: { workerScript: wasmWorkerContents } });
  }

  /** emscripten refs a worker while its pthread runs; XNNPACK's pool threads run for the life of
   * the process, so honouring it would keep every script alive after its last line. */
  override ref(): void {}

  override postMessage(msg: unknown, transfer?: readonly NodeTransferable[]): void {
    const m = msg as { cmd?: string; urlOrBlob?: unknown } | null;
    if (m && m.cmd === "load" && m.urlOrBlob instanceof Blob) {
      // The worker evaluates the main script from text (it cannot import a blob: URL); messages
      // posted before the text is ready wait for it.
      this.#pending = m.urlOrBlob.text().then((text) => {
        super.postMessage({ ...m, urlOrBlob: text }, transfer);
        this.#pending = undefined;
      });
      return;
    }
    // Must stay synchronous once loaded: pthread_create posts "run" and then blocks the main
    // thread until the new thread reports in, so a deferred post would deadlock.
    if (this.#pending) this.#pending.then(() => super.postMessage(msg, transfer));
    else super.postMessage(msg, transfer);
  }
}

let shimInstalled = false;

/**
 * Route `new Worker(...)` from the emscripten glue to PthreadWorker; other workers pass through to
 * Deno's (as new objects, so `x instanceof Worker` no longer holds for them once this is installed).
 */
function installWorkerShim(): void {
  if (shimInstalled) return;
  const DenoWorker = globalThis.Worker;
  class RoutingWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      // emscripten passes a bare URL and no options; everything else is an ordinary Deno worker.
      if (options === undefined && String(url).startsWith("blob:")) {
        return new PthreadWorker(url) as unknown as RoutingWorker;
      }
      return new DenoWorker(url, options) as unknown as RoutingWorker;
    }
  }
  // The glue assigns `global.Worker = require("worker_threads").Worker` first; ignore that write.
  Object.defineProperty(globalThis, "Worker", {
    configurable: true,
    get: () => RoutingWorker,
    set: () => {},
  });
  shimInstalled = true;
}

/** Whether this runtime has what the threaded build needs (shared memory, atomics, wasm threads). */
export function wasmThreadsAvailable(): boolean {
  try {
    if (typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object") return false;
    // A module with a shared memory and an atomic load (GoogleChromeLabs/wasm-feature-detect).
    return WebAssembly.validate(
      new Uint8Array([
        0,
        97,
        115,
        109,
        1,
        0,
        0,
        0,
        1,
        4,
        1,
        96,
        0,
        0,
        3,
        2,
        1,
        0,
        5,
        4,
        1,
        3,
        1,
        1,
        10,
        11,
        1,
        9,
        0,
        65,
        0,
        254,
        16,
        2,
        0,
        26,
        11,
      ]),
    );
  } catch {
    return false;
  }
}

/**
 * Threads to use: `requested`, else `$FACENET_WASM_THREADS`, else every logical core
 * (capped at 8, the pthread pool the build preallocates).
 */
export function wasmThreadCount(requested?: number): number {
  let n = requested;
  if (n === undefined) {
    const v = env("FACENET_WASM_THREADS");
    if (v !== undefined) {
      n = Number(v);
      if (!Number.isInteger(n) || n < 1) {
        throw new Error(`FACENET_WASM_THREADS=${JSON.stringify(v)} is not a positive integer`);
      }
    }
  }
  n ??= navigator.hardwareConcurrency || 1;
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`wasm thread count must be a positive integer, got ${n}`);
  }
  return Math.min(n, 8);
}

/**
 * Start tfjs's wasm backend with `threads` threads (1: the plain SIMD build). Must run before
 * the wasm backend is first initialised; returns whether `tf.setBackend("wasm")` succeeded.
 */
export async function startWasmBackend(threads: number): Promise<boolean> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  if (threads > 1 && wasmThreadsAvailable()) {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    installWorkerShim();
  } else {
    threads = 1;
  }
  wasm.setThreadsCount(threads);
  const cpus = os.cpus;
  const mutableOs = os as { cpus: typeof os.cpus };
  mutableOs.cpus = () => {
    const real = cpus();
    return Array.from({ length: Math.max(real.length, 2 * threads) }, (_, i) => real[i % real.length]);
  };
  try {
    return await tf.setBackend("wasm");
  } finally {
    mutableOs.cpus = cpus;
  }
}
