/**
 * oneDNN 2.x through Deno's FFI: opening the library, the few C entry points the kernels call, and
 * the descriptors they are called with. Primitives, their memory objects and their cache are in
 * primitive.ts.
 *
 * Only the 2.x C API is bound (op descriptors → primitive descriptors → primitives); 3.x removed
 * the `*_desc_init` functions, so another major version is refused with a reason rather than
 * called with the wrong layouts. Structs are opaque here: a descriptor is a zeroed byte buffer
 * larger than the 2.6 struct (memory desc 696 bytes, convolution desc 5976) that the library
 * fills in and reads back.
 *
 * Threads: the Debian build uses OpenMP (libgomp; `dnnl_version().cpu_runtime` = 2), whose
 * thread count is the calling thread's `omp_set_num_threads`; it is set to the core count.
 */

/** dnnl_status_t, dnnl_data_type_t, format tags, prop/alg kinds, arg ids (dnnl_types.h, 2.6). */
export const C = {
  success: 0,
  f32: 3,
  tag: { any: 1, a: 2, ab: 3, nhwc: 20, hwio: 30 },
  cpu: 1,
  prop: { forwardTraining: 64, forwardInference: 96, backwardData: 160, backwardWeights: 192 },
  alg: { convDirect: 1, poolMax: 511, eltwiseRelu: 0x1f, lrnAcrossChannels: 0xaff },
  arg: {
    src: 1,
    dst: 17,
    weights: 33,
    bias: 41,
    workspace: 64,
    diffSrc: 129,
    diffDst: 145,
    diffWeights: 161,
    diffBias: 169,
  },
  query: { weightsMd: 131, diffWeightsMd: 132, workspaceMd: 135, implInfo: 8 },
} as const;

const MD_STRUCT_BYTES = 696; // sizeof(dnnl_memory_desc_t) in 2.x
const MD_BYTES = 1024; // buffers a little larger, to be safe
const OP_DESC_BYTES = 8192; // ≥ sizeof(dnnl_convolution_desc_t) = 5976, the largest used

/** Pointer arguments that are JavaScript-owned buffers: descriptors, dims, out-parameters. */
const B = "buffer";

const SYMBOLS = {
  dnnl_version: { parameters: [], result: "pointer" },
  dnnl_engine_create: { parameters: [B, "i32", "usize"], result: "i32" },
  dnnl_stream_create: { parameters: [B, "pointer", "u32"], result: "i32" },
  dnnl_memory_desc_init_by_tag: { parameters: [B, "i32", B, "i32", "i32"], result: "i32" },
  dnnl_memory_desc_get_size: { parameters: [B], result: "usize" },
  dnnl_convolution_forward_desc_init: {
    parameters: [B, "i32", "i32", B, B, "pointer", B, B, B, B],
    result: "i32",
  },
  dnnl_convolution_backward_data_desc_init: { parameters: [B, "i32", B, B, B, B, B, B], result: "i32" },
  dnnl_convolution_backward_weights_desc_init: {
    parameters: [B, "i32", B, B, "pointer", B, B, B, B],
    result: "i32",
  },
  dnnl_pooling_v2_forward_desc_init: { parameters: [B, "i32", "i32", B, B, B, B, B, B, B], result: "i32" },
  dnnl_pooling_v2_backward_desc_init: { parameters: [B, "i32", B, B, B, B, B, B, B], result: "i32" },
  dnnl_lrn_forward_desc_init: { parameters: [B, "i32", "i32", B, "i64", "f32", "f32", "f32"], result: "i32" },
  dnnl_lrn_backward_desc_init: { parameters: [B, "i32", B, B, "i64", "f32", "f32", "f32"], result: "i32" },
  dnnl_primitive_desc_create: { parameters: [B, B, "pointer", "pointer", "pointer"], result: "i32" },
  dnnl_primitive_desc_query_md: { parameters: ["pointer", "i32", "i32"], result: "pointer" },
  dnnl_primitive_desc_query: { parameters: ["pointer", "i32", "i32", B], result: "i32" },
  dnnl_memory_desc_equal: { parameters: [B, B], result: "i32" },
  dnnl_reorder_primitive_desc_create: {
    parameters: [B, B, "pointer", B, "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_desc_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_create: { parameters: [B, "pointer"], result: "i32" },
  dnnl_primitive_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_memory_create: { parameters: [B, B, "pointer", "pointer"], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_memory_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_execute: { parameters: ["pointer", "pointer", "i32", B], result: "i32" },
  dnnl_stream_wait: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_attr_create: { parameters: [B], result: "i32" },
  dnnl_primitive_attr_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_attr_set_post_ops: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_post_ops_create: { parameters: [B], result: "i32" },
  dnnl_post_ops_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_post_ops_append_eltwise: { parameters: ["pointer", "f32", "i32", "f32", "f32"], result: "i32" },
  dnnl_sgemm: {
    parameters: [
      "u8",
      "u8",
      "i64",
      "i64",
      "i64",
      "f32",
      "pointer",
      "i64",
      "pointer",
      "i64",
      "f32",
      "pointer",
      "i64",
    ],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
export type Ptr = Deno.PointerValue;

/** The opened library: version, threads, and the engine/stream every primitive runs on. */
export interface Dnnl {
  lib: Lib;
  version: string;
  threads: number;
  engine: Ptr;
  stream: Ptr;
  /** The path or name it was opened from. */
  path: string;
}

/** Library name per OS (only the Linux one verified here: Debian's libdnnl2 2.6.3). */
export function defaultLibraryPath(): string {
  switch (Deno.build.os) {
    case "darwin":
      return "libdnnl.2.dylib";
    case "windows":
      return "dnnl.dll";
    default:
      return "libdnnl.so.2";
  }
}

export function check(status: number, what: string): void {
  if (status !== C.success) throw new Error(`oneDNN: ${what} failed (dnnl_status_t ${status})`);
}

/** Read the pointer an out-parameter (a 1-element BigUint64Array) received. */
export function outPtr(cell: BigUint64Array, what: string): NonNullable<Ptr> {
  const p = Deno.UnsafePointer.create(cell[0]);
  if (!p) throw new Error(`oneDNN: ${what} returned a null handle`);
  return p;
}

/** OpenMP's thread count for this (the calling) thread; the value in effect afterwards. */
function setOmpThreads(n: number): number {
  const names = Deno.build.os === "darwin" ? ["libomp.dylib"] : ["libgomp.so.1", "libomp.so"];
  for (const name of names) {
    try {
      const omp = Deno.dlopen(name, {
        omp_set_num_threads: { parameters: ["i32"], result: "void" },
        omp_get_max_threads: { parameters: [], result: "i32" },
      });
      omp.symbols.omp_set_num_threads(n);
      return omp.symbols.omp_get_max_threads(); // kept open: libdnnl holds it anyway
    } catch {
      // try the next runtime
    }
  }
  return n;
}

/**
 * Keep `path` (and so the OpenMP runtime it links) loaded until the process ends. Deno closes a
 * library opened with `Deno.dlopen` when the isolate that opened it ends (a test module, a worker);
 * oneDNN's OpenMP threads live on, spinning or sleeping inside libgomp, and once it was unmapped the
 * next one to run crashed the whole process: `deno task test` died with SIGSEGV after the native
 * kernels' test module, 1 run in 5 under load (the core showed the crashing thread at an unmapped
 * address and neither libdnnl nor libgomp loaded). glibc's `RTLD_NODELETE` makes a dlclose leave the
 * library mapped, so the handle taken here pins it. Linux only (the one platform verified).
 */
function pinLibrary(path: string): void {
  if (Deno.build.os !== "linux") return;
  const RTLD_NOW = 0x2, RTLD_NODELETE = 0x1000; // <dlfcn.h> on glibc
  const libc = Deno.dlopen("libc.so.6", { dlopen: { parameters: ["buffer", "i32"], result: "pointer" } });
  try {
    const name = new TextEncoder().encode(`${path}\0`);
    if (libc.symbols.dlopen(name, RTLD_NOW | RTLD_NODELETE) === null) {
      throw new Error(`cannot keep ${path} loaded (dlopen with RTLD_NODELETE failed)`);
    }
  } finally {
    libc.close(); // libc itself is never unloaded
  }
}

/**
 * Open oneDNN from `path` and make a CPU engine and stream with `threads` threads. Throws with the
 * reason when the library is missing, not oneDNN 2.x, or fails to start.
 */
export function openDnnl(path: string, threads: number): Dnnl {
  let dl: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    dl = Deno.dlopen(path, SYMBOLS);
    pinLibrary(path);
  } catch (e) {
    throw new Error(`cannot open ${path}: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
  }
  try {
    const lib = dl.symbols;
    const vp = lib.dnnl_version();
    if (!vp) throw new Error(`${path}: dnnl_version() returned null`);
    const v = new Deno.UnsafePointerView(vp);
    const [major, minor, patch] = [v.getInt32(0), v.getInt32(4), v.getInt32(8)];
    const runtime = v.getUint32(24); // after three ints and the hash pointer
    if (major !== 2) throw new Error(`${path} is oneDNN ${major}.${minor}.${patch}; this binding needs 2.x`);
    // 1 sequential, 2 OpenMP, 4 TBB, 8 threadpool (dnnl_config.h)
    const used = runtime === 1 ? 1 : runtime === 2 ? setOmpThreads(threads) : threads;
    const cell = new BigUint64Array(1);
    check(lib.dnnl_engine_create(cell, C.cpu, 0n), "dnnl_engine_create");
    const engine = outPtr(cell, "dnnl_engine_create");
    check(lib.dnnl_stream_create(cell, engine, 1), "dnnl_stream_create");
    const stream = outPtr(cell, "dnnl_stream_create");
    return { lib, version: `${major}.${minor}.${patch}`, threads: used, engine, stream, path };
  } catch (e) {
    dl.close();
    throw e;
  }
}

/** dnnl_dims_t (int64[12]) from numbers. */
export function dims(values: readonly number[]): BigInt64Array {
  const d = new BigInt64Array(12);
  values.forEach((v, i) => d[i] = BigInt(v));
  return d;
}

/** A plain float32 memory descriptor with logical dims `d` stored in order `tag`. */
export function memDesc(dnnl: Dnnl, d: readonly number[], tag: number): Uint8Array<ArrayBuffer> {
  const md = new Uint8Array(MD_BYTES);
  check(dnnl.lib.dnnl_memory_desc_init_by_tag(md, d.length, dims(d), C.f32, tag), `memory desc ${d}`);
  return md;
}

export function opDesc(): Uint8Array<ArrayBuffer> {
  return new Uint8Array(OP_DESC_BYTES);
}

/** Run `fn` with a primitive descriptor for `op` (e.g. the forward hint of a backward primitive), then free it. */
export function withPrimitiveDesc<T>(dnnl: Dnnl, op: Uint8Array<ArrayBuffer>, fn: (pd: Ptr) => T): T {
  const pd = primitiveDesc(dnnl, op, null);
  try {
    return fn(pd);
  } finally {
    dnnl.lib.dnnl_primitive_desc_destroy(pd);
  }
}

/**
 * A primitive descriptor for `op` (`hint`: the forward one of a backward op; `attr`: primitive
 * attributes such as post-ops, or null); the caller destroys it.
 */
export function primitiveDesc(
  dnnl: Dnnl,
  op: Uint8Array<ArrayBuffer>,
  hint: Ptr,
  attr: Ptr = null,
): NonNullable<Ptr> {
  const cell = new BigUint64Array(1);
  check(dnnl.lib.dnnl_primitive_desc_create(cell, op, attr, dnnl.engine, hint), "dnnl_primitive_desc_create");
  return outPtr(cell, "dnnl_primitive_desc_create");
}

/** A copy of the memory descriptor a primitive descriptor answers to `query` (e.g. the chosen weights layout). */
export function queryMemDesc(dnnl: Dnnl, pd: Ptr, query: number): Uint8Array<ArrayBuffer> {
  const q = dnnl.lib.dnnl_primitive_desc_query_md(pd, query, 0);
  if (!q) throw new Error(`oneDNN: no memory desc for query ${query}`);
  const md = new Uint8Array(MD_BYTES);
  md.set(new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(q, MD_STRUCT_BYTES)));
  return md;
}

/**
 * Run `fn` with primitive attributes holding one post-op, an elementwise `alg` (e.g. ReLU) applied
 * to the primitive's output as it is written, then free them (a primitive desc keeps its own copy).
 */
export function withEltwiseAttr<T>(dnnl: Dnnl, alg: number, fn: (attr: Ptr) => T): T {
  const { lib } = dnnl;
  const cell = new BigUint64Array(1);
  check(lib.dnnl_post_ops_create(cell), "dnnl_post_ops_create");
  const ops = outPtr(cell, "dnnl_post_ops_create");
  try {
    check(lib.dnnl_post_ops_append_eltwise(ops, 1, alg, 0, 0), "dnnl_post_ops_append_eltwise");
    check(lib.dnnl_primitive_attr_create(cell), "dnnl_primitive_attr_create");
    const attr = outPtr(cell, "dnnl_primitive_attr_create");
    try {
      check(lib.dnnl_primitive_attr_set_post_ops(attr, ops), "dnnl_primitive_attr_set_post_ops");
      return fn(attr);
    } finally {
      lib.dnnl_primitive_attr_destroy(attr);
    }
  } finally {
    lib.dnnl_post_ops_destroy(ops);
  }
}
