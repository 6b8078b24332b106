/**
 * The SVM folds of a cross-validation, fitted on worker threads. libsvm (WebAssembly) runs on one
 * core, and with 901 classes one fold takes about 14 s (7,606 samples); the folds are independent, so
 * two cores fit two at a time. Every fold is computed by the same code from the same numbers wherever
 * it runs, so the predictions are those of a sequential run, bit for bit.
 */
import { trainSvmPrecomputed } from "./svm.ts";

/** One fold: fit on `train`, predict `test` (indices into the shared data). */
export interface SvmFoldJob {
  /** Training samples, grouped by label (keeps libsvm's per-pair look-ups local in memory). */
  train: Int32Array;
  test: Int32Array;
  kernel: "rbf" | "linear";
  /** rbf: K(a, b) = exp(−γ·d²(a, b)). */
  gamma?: number;
  /** linear: squared norms of all samples, K(a, b) = (|a|² + |b|² − d²(a, b)) / 2. */
  sq?: Float64Array;
  cost: number;
}

/** What every fold of one cross-validation shares. */
export interface SvmFoldData {
  n: number;
  labels: Int32Array;
  /** n × n squared distances. */
  distances: Float32Array;
}

function kernelOf(job: SvmFoldJob, data: SvmFoldData): (a: number, b: number) => number {
  const { n, distances: D } = data;
  if (job.kernel === "linear") {
    const sq = job.sq;
    if (!sq || sq.length !== n) throw new RangeError("linear kernel needs the n squared norms");
    return (a, b) => (sq[a] + sq[b] - D[a * n + b]) / 2;
  }
  const g = job.gamma;
  if (g === undefined || !(g > 0)) throw new RangeError(`rbf kernel needs gamma > 0, got ${g}`);
  return (a, b) => Math.exp(-g * D[a * n + b]);
}

/** Fit a C-SVC on the fold's training samples (precomputed kernel) and predict its test samples. */
export async function fitPredictFold(job: SvmFoldJob, data: SvmFoldData): Promise<Int32Array> {
  const k = kernelOf(job, data);
  const tr = job.train;
  const model = await trainSvmPrecomputed(
    tr.length,
    (i, out) => {
      for (let j = 0; j < tr.length; j++) out[j] = k(tr[i], tr[j]);
    },
    Array.from(tr, (i) => data.labels[i]),
    { cost: job.cost },
  );
  try {
    const row = new Float64Array(tr.length);
    return Int32Array.from(job.test, (t) => {
      for (let j = 0; j < tr.length; j++) row[j] = k(t, tr[j]);
      return model.predict(row);
    });
  } finally {
    model.free();
  }
}

/** Below this many samples a fold fits in well under a second: starting workers would cost more. */
export const MIN_PARALLEL_SAMPLES = 2000;

/**
 * Default number of folds fitted at once for `n` samples: one per core, at most 4 (each fold of 7,606
 * samples holds about 0.8 GB of kernel in libsvm's memory), and 1 for small problems.
 */
export function defaultSvmThreads(n: number): number {
  if (n < MIN_PARALLEL_SAMPLES) return 1;
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

interface Pending {
  id: number;
  job: SvmFoldJob;
  data: SvmFoldData;
  resolve: (p: Int32Array) => void;
  reject: (e: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  busy?: Pending;
}

// Web Workers rather than node:worker_threads: in the latter one fold took 49.9 s against 18.5 s on
// the main thread (20.3 s in a Web Worker). An idle Web Worker keeps Deno alive, so the pool is
// closed whenever it runs dry.
const pool: PoolWorker[] = [];
const queue: Pending[] = [];
let nextId = 0;
let poolSize = 0;

/** The distance matrix in shared memory (copied once per matrix), so that workers read it in place. */
const sharedCopies = new WeakMap<Float32Array, Float32Array>();
function shared(d: Float32Array): Float32Array {
  if (d.buffer instanceof SharedArrayBuffer) return d;
  let s = sharedCopies.get(d);
  if (!s) {
    s = new Float32Array(new SharedArrayBuffer(d.byteLength));
    s.set(d);
    sharedCopies.set(d, s);
  }
  return s;
}

function start(w: PoolWorker, p: Pending): void {
  w.busy = p;
  w.worker.postMessage({ id: p.id, job: p.job, data: p.data });
}

function spawn(): PoolWorker {
  const w: PoolWorker = {
    worker: new Worker(new URL("./svm_fold_worker.ts", import.meta.url), { type: "module" }),
  };
  w.worker.onmessage = (e: MessageEvent<{ id: number; pred?: Int32Array; error?: string }>) => {
    const p = w.busy;
    w.busy = undefined;
    if (p && p.id === e.data.id) {
      if (e.data.pred) p.resolve(e.data.pred);
      else p.reject(new Error(`SVM fold worker: ${e.data.error}`));
    }
    dispatch();
  };
  w.worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    pool.splice(pool.indexOf(w), 1);
    w.worker.terminate();
    w.busy?.reject(new Error(`SVM fold worker died: ${e.message}`));
    dispatch();
  };
  pool.push(w);
  return w;
}

function dispatch(): void {
  for (const w of pool.slice(0, poolSize)) {
    if (!w.busy && queue.length > 0) start(w, queue.shift()!);
  }
  while (queue.length > 0 && pool.length < poolSize) start(spawn(), queue.shift()!);
  if (queue.length === 0 && pool.every((w) => !w.busy)) {
    for (const w of pool) w.worker.terminate();
    pool.length = 0;
  }
}

/**
 * Fit and predict every fold: on up to `threads` worker threads, or here, one after the other, when
 * `threads` is 1 or there is one fold. Returns one promise per job, in order.
 */
export function runSvmFolds(
  jobs: SvmFoldJob[],
  data: SvmFoldData,
  threads = defaultSvmThreads(data.n),
): Promise<Int32Array>[] {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be ≥ 1, got ${threads}`);
  if (threads === 1 || jobs.length <= 1) {
    // Sequentially, so that only one fold's kernel is in memory at a time.
    let chain: Promise<unknown> = Promise.resolve();
    return jobs.map((job) => {
      const p = chain.then(() => fitPredictFold(job, data));
      chain = p.catch(() => undefined);
      return p;
    });
  }
  poolSize = threads;
  const sharedData = { ...data, distances: shared(data.distances) };
  const out = jobs.map((job) =>
    new Promise<Int32Array>((resolve, reject) => {
      queue.push({ id: nextId++, job, data: sharedData, resolve, reject });
    })
  );
  dispatch();
  return out;
}
