/**
 * Plumbing for kernels written on top of the wasm backend: calling its own kernels directly
 * (no tape, no engine bookkeeping) and reading/writing tensors in its heap from JavaScript.
 */
import * as tf from "@tensorflow/tfjs-core";

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use (it exports no such type). */
export interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  incRef(dataId: tf.DataId): void;
}

export type Attrs = Record<string, unknown>;
export type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};

/** The original kernel registered for `name` on wasm, captured before this project replaces any. */
const originals = new Map<string, tf.KernelFunc>();

export function original(name: string): tf.KernelFunc {
  let k = originals.get(name);
  if (!k) {
    const cfg = tf.getKernel(name, "wasm");
    if (!cfg) throw new Error(`wasm backend has no ${name} kernel`);
    k = cfg.kernelFunc;
    originals.set(name, k);
  }
  return k;
}

/** Replace (or add) the wasm kernel for `name`, keeping the original reachable via `original(name)`. */
export function replaceKernel(name: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(name, "wasm")) {
    original(name);
    tf.unregisterKernel(name, "wasm");
  }
  tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc });
}

/** The attributes of Conv2D and its gradients that fix a convolution's geometry. */
export interface ConvGeometryAttrs {
  strides: number | [number, number];
  pad: unknown;
  dimRoundingMode: unknown;
}

/** TensorFlow.js's geometry of a Conv2D on NHWC `xShape` with HWIO `filterShape`, dilation 1. */
export function conv2DInfoNhwc(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  a: ConvGeometryAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    a.strides,
    1,
    a.pad as "same",
    a.dimRoundingMode as "floor" | undefined,
    false,
    "channelsLast",
  );
}

let innerTimes: Map<string, number> | undefined;

/**
 * Time the kernels that composite kernels run inside themselves (tf.profile sees only the outer
 * kernel): `traceInnerKernels(true)` starts collecting, `traceInnerKernels(false)` returns
 * milliseconds per "Outer>Inner" and stops.
 */
export function traceInnerKernels(on: boolean): Map<string, number> {
  const t = innerTimes ?? new Map<string, number>();
  innerTimes = on ? new Map() : undefined;
  return t;
}

/**
 * A scope for one composite kernel: `run` calls wasm kernels and remembers their outputs;
 * `finish(result)` frees every intermediate except `result`.
 */
export class Scope {
  private tmp: tf.TensorInfo[] = [];
  constructor(readonly backend: WasmBackend, readonly owner = "") {}

  /** Run a kernel: this project's version if it replaced one, otherwise the backend's own. */
  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: Attrs = {}): tf.TensorInfo {
    const cfg = tf.getKernel(name, "wasm");
    if (!cfg) throw new Error(`wasm backend has no ${name} kernel`);
    const t0 = innerTimes ? performance.now() : 0;
    const out = cfg.kernelFunc({ inputs, backend: this.backend, attrs: attrs as tf.NamedAttrMap });
    if (innerTimes) {
      const key = `${this.owner}>${name}`;
      innerTimes.set(key, (innerTimes.get(key) ?? 0) + performance.now() - t0);
    }
    return this.keep(out as tf.TensorInfo);
  }

  /** Track an output allocated by hand (backend.makeOutput) for disposal. */
  keep(t: tf.TensorInfo): tf.TensorInfo {
    this.tmp.push(t);
    return t;
  }

  /** Free intermediates now rather than at `finish` (e.g. per chunk of a loop). */
  release(...ts: tf.TensorInfo[]): void {
    for (const t of ts) this.backend.disposeData(t.dataId);
    this.tmp = this.tmp.filter((t) => !ts.includes(t));
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run("Reshape", { x }, { shape });
  }

  finish(result: tf.TensorInfo): tf.TensorInfo {
    for (const t of this.tmp) if (t !== result) this.backend.disposeData(t.dataId);
    this.tmp = [];
    return result;
  }
}

/** Float32 view of a tensor in the wasm heap. Re-take after any allocation: the heap may move. */
export function f32(backend: WasmBackend, t: tf.TensorInfo): Float32Array {
  if (t.dtype !== "float32") throw new Error(`expected a float32 tensor, got ${t.dtype}`);
  return backend.typedArrayFromHeap(t) as Float32Array;
}

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A kernel's named input, or a clear error naming the kernel when it is missing. */
export function input(inputs: tf.NamedTensorInfoMap, name: string, kernel: string): tf.TensorInfo {
  const t = inputs[name];
  if (!t) throw new Error(`${kernel}: missing input '${name}'`);
  return t;
}
