/**
 * Run a JavaScript kernel loop (lib/wasm/loops.ts) on two threads: this one and a helper worker
 * that sees the same shared memory. With the threaded wasm build the tensors live in a
 * SharedArrayBuffer, so the helper can fill half of an output in place while this thread fills
 * the other half. XNNPACK already runs the convolutions on every core; without this, the project's
 * JavaScript max-pool and LRN kernels ran on one core while the other idled.
 *
 * The halves never share an output element, so the result is bit-for-bit that of one thread.
 * Anything else (no shared memory, one core, a small job) runs here, on this thread.
 */
import { Worker } from "node:worker_threads";
import { type Arrays, LOOPS, type Params } from "./loops.ts";

/** Below this many output elements a job runs on this thread (a round trip costs ~0.1 ms). */
const MIN_PARALLEL_WORK = 1 << 15;
/** How long to wait for the helper before calling it lost. */
const TIMEOUT_MS = 300_000;

let helper: Worker | undefined;
let splitRuns = 0;
let helperThreads = navigator.hardwareConcurrency > 1 ? 2 : 1;
const done = new Int32Array(new SharedArrayBuffer(4));

/** 1 runs every loop on the calling thread; 2 (the default on a multi-core machine) splits big ones. */
export function setLoopThreads(threads: 1 | 2): void {
  helperThreads = threads;
}

/** How many loops this process has split across two threads so far. */
export function splitLoopCount(): number {
  return splitRuns;
}

function worker(): Worker {
  if (!helper) {
    helper = new Worker(new URL("./loop_worker.ts", import.meta.url));
    // An idle helper must not keep a finished script (or a notebook kernel's exit) waiting.
    helper.unref();
  }
  return helper;
}

/** The SharedArrayBuffer every array views, or undefined when they do not all view one. */
function sharedBuffer(arrays: Arrays): SharedArrayBuffer | undefined {
  let buf: ArrayBufferLike | undefined;
  for (const a of Object.values(arrays)) {
    if (buf === undefined) buf = a.buffer;
    else if (a.buffer !== buf) return undefined;
  }
  return buf instanceof SharedArrayBuffer ? buf : undefined;
}

/**
 * Run loop `name` over [0, total), splitting the range between this thread and the helper when the
 * arrays share memory and `work` (output elements) is large enough. Returns the number of threads used.
 */
export function runLoop(name: string, arrays: Arrays, params: Params, total: number, work: number): number {
  const loop = LOOPS[name];
  if (!loop) throw new Error(`runLoop: no loop named '${name}'`);
  const buf = helperThreads > 1 && total > 1 && work >= MIN_PARALLEL_WORK ? sharedBuffer(arrays) : undefined;
  if (!buf) {
    loop(arrays, params, 0, total);
    return 1;
  }
  const mid = Math.floor(total / 2);
  const views: Record<string, [number, number]> = {};
  for (const [k, a] of Object.entries(arrays)) views[k] = [a.byteOffset, a.length];
  Atomics.store(done, 0, 0);
  worker().postMessage({ name, buf, views, params, lo: 0, hi: mid, done });
  let failure: unknown;
  try {
    loop(arrays, params, mid, total);
  } catch (e) {
    failure = e;
  }
  // Wait even after a failure here: the helper may still be writing into these buffers.
  if (Atomics.wait(done, 0, 0, TIMEOUT_MS) === "timed-out") {
    helper?.terminate();
    helper = undefined;
    throw new Error(`loop worker: no answer to '${name}' within ${TIMEOUT_MS / 1000} s`);
  }
  if (failure) throw failure;
  if (Atomics.load(done, 0) !== 1) {
    throw new Error(`loop worker: '${name}' failed (its error is printed above)`);
  }
  splitRuns++;
  return 2;
}
