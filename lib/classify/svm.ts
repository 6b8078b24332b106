/**
 * Typed loader for libsvm-js (libsvm 3.x compiled to WebAssembly). The package decides between its
 * browser and Node loaders by looking for `globalThis.self`, which Deno defines; hiding `self` for the
 * duration of the import makes it take the Node path (file-system `locateFile`), which works in Deno.
 *
 * Its emscripten glue also tries `WebAssembly.instantiateStreaming(fetch(path))` first, whatever the
 * environment. On the main thread the bare path is an invalid URL and it falls back to reading the
 * file, but in a Web Worker (the SVM fold workers) the path resolves against the worker's `file:` URL
 * and V8 compiles the module by streaming. Terminating a worker during a streaming compile aborts
 * the whole process (V8 15.0 in Deno 2.9.6: `Fatal error in :0: Check failed:
 * (validate_functions_job_handle_) == nullptr`, the background validation job of the lazily compiled
 * functions is still registered when the isolate tears the compile job down): 3 out of 3 runs of 100
 * terminations crashed. Hiding `instantiateStreaming` too makes the glue compile from the bytes
 * (`WebAssembly.instantiate`), which a termination interrupts safely (0 crashes in 10 × 100).
 */

/** Kernel functions libsvm computes itself from feature vectors (see `trainSvmPrecomputed` for the rest). */
export type SvmKernel = "linear" | "poly" | "rbf" | "sigmoid";

export interface SvmOptions {
  kernel?: SvmKernel;
  /** Cost C (default 1). */
  cost?: number;
  /** Kernel width γ; required for rbf/poly/sigmoid (libsvm-js would silently use 1/n_features). */
  gamma?: number;
  degree?: number;
  coef0?: number;
  /** Stopping tolerance (libsvm default 1e-3). */
  tolerance?: number;
  /** Kernel cache in MB (libsvm default 100). */
  cacheSize?: number;
  shrinking?: boolean;
  /** Train Platt-scaling models so that `predictProbability` works (libsvm runs an internal 5-fold CV per
   * pair of classes, which makes training several times slower). */
  probability?: boolean;
}

/** A trained C-SVC. Lives in WebAssembly memory that the garbage collector does not see: call `free()`. */
export interface SvmModel {
  /** Class labels in libsvm's internal order (the order of `predictProbability` columns). */
  readonly labels: number[];
  predict(x: ArrayLike<number>): number;
  /** Probabilities per class, ordered as `labels`; needs `probability: true` at training. */
  predictProbability(x: ArrayLike<number>): Float64Array;
  free(): void;
}

interface LibsvmEstimate {
  label: number;
  probability: number;
}
interface LibsvmInstance {
  train(samples: number[][], labels: number[]): void;
  predictOne(sample: number[]): number;
  predictOneProbability(sample: number[]): { prediction: number; estimates: LibsvmEstimate[] };
  getLabels(): number[];
  free(): void;
}
interface LibsvmClass {
  new (options: Record<string, string | number | boolean>): LibsvmInstance;
  SVM_TYPES: Record<string, string>;
  KERNEL_TYPES: Record<string, string>;
}

let loaded: Promise<LibsvmClass> | undefined;

async function load(): Promise<LibsvmClass> {
  const g = globalThis as { self?: unknown };
  const saved = g.self;
  const wasm = WebAssembly as { instantiateStreaming?: unknown };
  const streaming = Object.getOwnPropertyDescriptor(WebAssembly, "instantiateStreaming");
  delete g.self;
  // Never a streaming compile (see the module comment); the glue reads this when the import evaluates.
  delete wasm.instantiateStreaming;
  try {
    const mod = await import("libsvm-js");
    return (await mod.default) as LibsvmClass;
  } finally {
    g.self = saved;
    if (streaming) Object.defineProperty(WebAssembly, "instantiateStreaming", streaming);
  }
}

/** The libsvm-js class, loaded once. */
function libsvm(): Promise<LibsvmClass> {
  loaded ??= load();
  return loaded;
}

const KERNELS: Record<SvmKernel, string> = {
  linear: "LINEAR",
  poly: "POLYNOMIAL",
  rbf: "RBF",
  sigmoid: "SIGMOID",
};

/**
 * Train a C-SVC (libsvm's one-vs-one multiclass) on rows `x` with integer labels `y`.
 * The caller must `free()` the returned model.
 */
export async function trainSvm(
  x: ArrayLike<number>[],
  y: ArrayLike<number>,
  options: SvmOptions = {},
): Promise<SvmModel> {
  if (x.length === 0) throw new RangeError("trainSvm: no training rows");
  if (x.length !== y.length) throw new RangeError(`trainSvm: ${x.length} rows but ${y.length} labels`);
  const kernel = options.kernel ?? "rbf";
  if (kernel !== "linear" && !(options.gamma !== undefined && options.gamma > 0)) {
    throw new RangeError(`trainSvm: kernel ${kernel} needs gamma > 0, got ${options.gamma}`);
  }
  const SVM = await libsvm();
  const opts: Record<string, string | number | boolean> = {
    type: SVM.SVM_TYPES.C_SVC,
    kernel: SVM.KERNEL_TYPES[KERNELS[kernel]],
    cost: options.cost ?? 1,
    quiet: true,
    probabilityEstimates: options.probability ?? false,
  };
  // libsvm-js treats gamma 0/undefined as "1/n_features", so a linear kernel still gets a harmless value.
  opts.gamma = options.gamma ?? 1 / x[0].length;
  if (options.degree !== undefined) opts.degree = options.degree;
  if (options.coef0 !== undefined) opts.coef0 = options.coef0;
  if (options.tolerance !== undefined) opts.tolerance = options.tolerance;
  if (options.cacheSize !== undefined) opts.cacheSize = options.cacheSize;
  if (options.shrinking !== undefined) opts.shrinking = options.shrinking;
  const svm = new SVM(opts);
  const rows = x.map((r) => Array.from(r));
  svm.train(rows, Array.from(y));
  const labels = svm.getLabels();
  const probability = options.probability ?? false;
  let freed = false;
  const alive = () => {
    if (freed) throw new Error("SvmModel used after free()");
  };
  return {
    labels,
    predict(v) {
      alive();
      return svm.predictOne(Array.from(v));
    },
    predictProbability(v) {
      alive();
      if (!probability) throw new Error("predictProbability needs a model trained with probability: true");
      const r = svm.predictOneProbability(Array.from(v));
      return Float64Array.from(r.estimates, (e) => e.probability);
    },
    free() {
      if (!freed) svm.free();
      freed = true;
    },
  };
}

/** Most training samples a precomputed kernel fits for (n² · 16 bytes under libsvm-js's 2 GiB memory). */
export const MAX_PRECOMPUTED = 10_000;

/** Options for a C-SVC on a precomputed kernel. */
export interface PrecomputedSvmOptions {
  cost?: number;
  tolerance?: number;
  probability?: boolean;
}

/** A C-SVC trained on a precomputed kernel; it is queried with kernel rows against the training set. */
export interface PrecomputedSvmModel {
  readonly labels: number[];
  /** Number of training samples, i.e. the length of the kernel rows `predict` takes. */
  readonly n: number;
  /** `k[j]` = K(x, training sample j) for j = 0 … n−1. */
  predict(k: ArrayLike<number>): number;
  /** Probabilities per class, ordered as `labels`; needs `probability: true` at training. */
  predictProbability(k: ArrayLike<number>): Float64Array;
  free(): void;
}

/**
 * Train a C-SVC (one-vs-one) on a precomputed kernel over `n` samples. `row(i, out)` fills
 * `out[j] = K(i, j)` for j = 0 … n−1; rows are produced one at a time, so the n × n matrix never has to
 * exist in JavaScript memory (libsvm keeps its own copy: 16 bytes per entry in WebAssembly memory).
 *
 * Why this exists: libsvm solves one binary problem per pair of classes (405,450 for 901 classes) and
 * recomputes every kernel value it needs inside each problem, so a sample of a class takes part in
 * 900 problems and its 128-d dot products are evaluated again each time (≈ 1.2·10⁸ kernel evaluations
 * for one fold of 7,606 × 128 data, against 2.3·10⁷ distinct ones). With a precomputed kernel each
 * evaluation is a table look-up and training gets about 5 × faster.
 */
export async function trainSvmPrecomputed(
  n: number,
  row: (i: number, out: Float64Array) => void,
  y: ArrayLike<number>,
  options: PrecomputedSvmOptions = {},
): Promise<PrecomputedSvmModel> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`trainSvmPrecomputed: n must be ≥ 1, got ${n}`);
  if (y.length !== n) throw new RangeError(`trainSvmPrecomputed: ${n} samples but ${y.length} labels`);
  // libsvm keeps n × (n + 1) 16-byte nodes in 32-bit WebAssembly memory, which ends at 2 GiB.
  if (n > MAX_PRECOMPUTED) {
    throw new RangeError(
      `trainSvmPrecomputed: ${n} samples need ${
        (16 * n * n / 2 ** 30).toFixed(1)
      } GiB of kernel in WebAssembly ` +
        `memory (limit 2 GiB, i.e. about ${MAX_PRECOMPUTED} samples); train on fewer or use trainSvm`,
    );
  }
  const SVM = await libsvm();
  const svm = new SVM({
    type: SVM.SVM_TYPES.C_SVC,
    kernel: SVM.KERNEL_TYPES.PRECOMPUTED,
    cost: options.cost ?? 1,
    quiet: true,
    probabilityEstimates: options.probability ?? false,
    ...(options.tolerance !== undefined ? { tolerance: options.tolerance } : {}),
  });
  // libsvm's precomputed format: node 0 holds the 1-based sample serial, node j holds K(i, j−1).
  // libsvm-js copies each row into WebAssembly memory as soon as it reads it, so one buffer serves all.
  const buf = new Float64Array(n + 1);
  const kernelRow = buf.subarray(1);
  const rows = new Proxy([] as number[][], {
    get(target, prop) {
      if (prop === "length") return n;
      if (typeof prop === "string" && /^\d+$/.test(prop)) {
        const i = Number(prop);
        buf[0] = i + 1;
        row(i, kernelRow);
        return buf;
      }
      return Reflect.get(target, prop);
    },
  });
  svm.train(rows, Array.from(y));
  const labels = svm.getLabels();
  const probability = options.probability ?? false;
  const query = new Float64Array(n + 1);
  let freed = false;
  const toQuery = (k: ArrayLike<number>) => {
    if (freed) throw new Error("PrecomputedSvmModel used after free()");
    if (k.length !== n) {
      throw new RangeError(`kernel row has ${k.length} entries, the model was trained on ${n}`);
    }
    query.set(k, 1);
    return query as unknown as number[];
  };
  return {
    labels,
    n,
    predict(k) {
      return svm.predictOne(toQuery(k));
    },
    predictProbability(k) {
      if (!probability) throw new Error("predictProbability needs a model trained with probability: true");
      const r = svm.predictOneProbability(toQuery(k));
      return Float64Array.from(r.estimates, (e) => e.probability);
    },
    free() {
      if (!freed) svm.free();
      freed = true;
    },
  };
}
