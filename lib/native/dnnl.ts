/**
 * oneDNN 2.x through Deno's FFI: opening the library, the few C entry points the kernels call, and
 * primitives built once per shape and cached.
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
  alg: { convDirect: 1, poolMax: 511 },
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

const SYMBOLS = {
  dnnl_version: { parameters: [], result: "pointer" },
  dnnl_engine_create: { parameters: ["buffer", "i32", "usize"], result: "i32" },
  dnnl_stream_create: { parameters: ["buffer", "pointer", "u32"], result: "i32" },
  dnnl_memory_desc_init_by_tag: { parameters: ["buffer", "i32", "buffer", "i32", "i32"], result: "i32" },
  dnnl_memory_desc_get_size: { parameters: ["buffer"], result: "usize" },
  dnnl_convolution_forward_desc_init: {
    parameters: [
      "buffer",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "pointer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_convolution_backward_data_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_convolution_backward_weights_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "pointer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_pooling_v2_forward_desc_init: {
    parameters: [
      "buffer",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_pooling_v2_backward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_primitive_desc_create: {
    parameters: ["buffer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_desc_query_md: { parameters: ["pointer", "i32", "i32"], result: "pointer" },
  dnnl_primitive_desc_query: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  dnnl_memory_desc_equal: { parameters: ["buffer", "buffer"], result: "i32" },
  dnnl_reorder_primitive_desc_create: {
    parameters: ["buffer", "buffer", "pointer", "buffer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_desc_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_create: { parameters: ["buffer", "pointer"], result: "i32" },
  dnnl_primitive_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_memory_create: { parameters: ["buffer", "buffer", "pointer", "pointer"], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_memory_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_execute: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "i32" },
  dnnl_stream_wait: { parameters: ["pointer"], result: "i32" },
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
type Ptr = Deno.PointerValue;

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
function outPtr(cell: BigUint64Array, what: string): NonNullable<Ptr> {
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
 * Open oneDNN from `path` and make a CPU engine and stream with `threads` threads. Throws with the
 * reason when the library is missing, not oneDNN 2.x, or fails to start.
 */
export function openDnnl(path: string, threads: number): Dnnl {
  let dl: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    dl = Deno.dlopen(path, SYMBOLS);
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
  const cell = new BigUint64Array(1);
  check(dnnl.lib.dnnl_primitive_desc_create(cell, op, null, dnnl.engine, null), "dnnl_primitive_desc_create");
  const pd = outPtr(cell, "dnnl_primitive_desc_create");
  try {
    return fn(pd);
  } finally {
    dnnl.lib.dnnl_primitive_desc_destroy(pd);
  }
}

/** One argument of a primitive: its id, the plain layout of the tensor it reads or writes, and,
 * when the op descriptor left its layout to the library (`any`), the query that says which was chosen. */
export interface ArgSpec {
  id: number;
  /** The plain layout; absent when the layout is whatever `query` says (e.g. a pooling workspace). */
  md?: Uint8Array<ArrayBuffer>;
  /** dnnl_query_t whose memory desc is used as is (no reorder), when `md` is absent. */
  query?: number;
  /** dnnl_query_t of the chosen layout (e.g. weights_md) when the op desc used tag `any`. */
  chosen?: number;
  /** Whether the primitive writes this argument (a chosen layout is then reordered back after it runs). */
  output?: boolean;
}

/** A float32 scratch buffer 64-byte aligned, owned by JavaScript (its address never moves). */
export function alignedBuffer(bytes: number): Uint8Array<ArrayBuffer> {
  const raw = new Uint8Array(Math.max(bytes + 64, 1024)); // large: V8 keeps it off its heap, unmoved
  const addr = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(raw)));
  const skip = (64 - (addr % 64)) % 64;
  return raw.subarray(skip, skip + bytes);
}

/** A reorder between a tensor's plain layout and the layout a primitive chose, into/out of a scratch buffer. */
class Reorder {
  readonly prim: NonNullable<Ptr>;
  readonly from: NonNullable<Ptr>;
  readonly to: NonNullable<Ptr>;
  readonly scratch: Uint8Array<ArrayBuffer>;
  private readonly args = new BigUint64Array(4);
  constructor(
    readonly dnnl: Dnnl,
    plain: Uint8Array<ArrayBuffer>,
    chosen: Uint8Array<ArrayBuffer>,
    readonly toPlain: boolean,
  ) {
    const { lib, engine } = dnnl;
    const [src, dst] = toPlain ? [chosen, plain] : [plain, chosen];
    const cell = new BigUint64Array(1);
    check(lib.dnnl_reorder_primitive_desc_create(cell, src, engine, dst, engine, null), "reorder desc");
    const pd = outPtr(cell, "reorder desc");
    try {
      check(lib.dnnl_primitive_create(cell, pd), "reorder primitive");
      this.prim = outPtr(cell, "reorder primitive");
    } finally {
      lib.dnnl_primitive_desc_destroy(pd);
    }
    this.scratch = alignedBuffer(Number(lib.dnnl_memory_desc_get_size(chosen)));
    check(lib.dnnl_memory_create(cell, src, engine, null), "dnnl_memory_create");
    this.from = outPtr(cell, "dnnl_memory_create");
    check(lib.dnnl_memory_create(cell, dst, engine, null), "dnnl_memory_create");
    this.to = outPtr(cell, "dnnl_memory_create");
    this.args.set([BigInt(C.arg.src), BigInt(Deno.UnsafePointer.value(this.from))], 0);
    this.args.set([BigInt(C.arg.dst), BigInt(Deno.UnsafePointer.value(this.to))], 2);
  }

  /** Reorder between the user's array and the scratch buffer (direction fixed at construction). */
  run(user: ArrayBufferView): void {
    const { lib, stream } = this.dnnl;
    const [src, dst] = this.toPlain ? [this.scratch, user] : [user, this.scratch];
    check(lib.dnnl_memory_set_data_handle(this.from, Deno.UnsafePointer.of(src)), "set_data_handle");
    check(lib.dnnl_memory_set_data_handle(this.to, Deno.UnsafePointer.of(dst)), "set_data_handle");
    check(lib.dnnl_primitive_execute(this.prim, stream, 2, this.args), "reorder execute");
  }

  destroy(): void {
    const { lib } = this.dnnl;
    lib.dnnl_memory_destroy(this.from);
    lib.dnnl_memory_destroy(this.to);
    lib.dnnl_primitive_destroy(this.prim);
  }
}

/**
 * A primitive with one memory object per argument, whose data pointers are set per call. Arguments
 * whose layout the library chose (blocked filters: the direct AVX-512 kernels need them; with
 * plain `hwio` filters oneDNN 2.6 falls back to im2col+GEMM, 2–4× slower) go through a reorder
 * into or out of a scratch buffer this primitive owns.
 */
export class Primitive {
  private readonly mems = new Map<number, NonNullable<Ptr>>();
  private readonly reorders = new Map<number, Reorder>();
  private readonly sizes = new Map<number, number>();
  private readonly args: BigUint64Array<ArrayBuffer>;
  private readonly argIds: number[];
  readonly prim: NonNullable<Ptr>;
  /** The implementation oneDNN picked (e.g. `brgconv:avx512_core`). */
  readonly impl: string;

  /** `op`: a filled op descriptor; `hint`: the forward primitive desc for a backward one. */
  constructor(readonly dnnl: Dnnl, op: Uint8Array<ArrayBuffer>, specs: ArgSpec[], hint: Ptr = null) {
    const { lib, engine } = dnnl;
    const cell = new BigUint64Array(1);
    check(lib.dnnl_primitive_desc_create(cell, op, null, engine, hint), "dnnl_primitive_desc_create");
    const pd = outPtr(cell, "dnnl_primitive_desc_create");
    const mds = new Map<number, Uint8Array<ArrayBuffer>>();
    try {
      check(lib.dnnl_primitive_desc_query(pd, C.query.implInfo, 0, cell), "query impl");
      const s = Deno.UnsafePointer.create(cell[0]);
      this.impl = s ? new Deno.UnsafePointerView(s).getCString() : "?";
      for (const spec of specs) {
        let md: Uint8Array<ArrayBuffer>;
        if (spec.md === undefined) {
          const q = spec.query === undefined ? null : lib.dnnl_primitive_desc_query_md(pd, spec.query, 0);
          if (!q) throw new Error(`oneDNN: no memory desc for query ${spec.query}`);
          md = new Uint8Array(MD_BYTES);
          md.set(new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(q, MD_STRUCT_BYTES)));
        } else md = spec.md;
        if (spec.md !== undefined && spec.chosen !== undefined) {
          const q = lib.dnnl_primitive_desc_query_md(pd, spec.chosen, 0);
          if (!q) throw new Error(`oneDNN: no memory desc for query ${spec.chosen}`);
          const chosen = new Uint8Array(MD_BYTES);
          chosen.set(new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(q, MD_STRUCT_BYTES)));
          if (!lib.dnnl_memory_desc_equal(chosen, spec.md)) {
            this.reorders.set(spec.id, new Reorder(dnnl, spec.md, chosen, spec.output === true));
            md = chosen;
          }
        }
        mds.set(spec.id, md);
        this.sizes.set(spec.id, Number(lib.dnnl_memory_desc_get_size(md)));
      }
      check(lib.dnnl_primitive_create(cell, pd), "dnnl_primitive_create");
      this.prim = outPtr(cell, "dnnl_primitive_create");
    } finally {
      lib.dnnl_primitive_desc_destroy(pd);
    }
    for (const [id, md] of mds) {
      check(lib.dnnl_memory_create(cell, md, engine, null), "dnnl_memory_create");
      this.mems.set(id, outPtr(cell, "dnnl_memory_create"));
    }
    this.argIds = [...mds.keys()];
    this.args = new BigUint64Array(2 * this.argIds.length);
    this.argIds.forEach((id, i) => {
      // dnnl_exec_arg_t {int arg; dnnl_memory_t memory;}: the int in the low half of the first word
      this.args[2 * i] = BigInt(id);
      this.args[2 * i + 1] = BigInt(Deno.UnsafePointer.value(this.mems.get(id)!));
    });
  }

  /** Run with `data`: arg id → the float32 array (in any memory, shared wasm memory included) it uses. */
  execute(data: Map<number, ArrayBufferView>): void {
    const { lib, stream } = this.dnnl;
    for (const id of this.argIds) {
      const view = data.get(id);
      if (!view) throw new Error(`oneDNN primitive: no data for argument ${id}`);
      const r = this.reorders.get(id);
      if (r && !r.toPlain) r.run(view);
      const target = r ? r.scratch : view;
      check(
        lib.dnnl_memory_set_data_handle(this.mems.get(id)!, Deno.UnsafePointer.of(target)),
        "set_data_handle",
      );
    }
    check(
      lib.dnnl_primitive_execute(this.prim, stream, this.argIds.length, this.args),
      "dnnl_primitive_execute",
    );
    for (const [id, r] of this.reorders) if (r.toPlain) r.run(data.get(id)!);
    check(lib.dnnl_stream_wait(stream), "dnnl_stream_wait");
  }

  /** Bytes argument `id` occupies in the layout the primitive uses. */
  bytes(id: number): number {
    return this.sizes.get(id) ?? 0;
  }

  destroy(): void {
    for (const m of this.mems.values()) this.dnnl.lib.dnnl_memory_destroy(m);
    for (const r of this.reorders.values()) r.destroy();
    this.mems.clear();
    this.reorders.clear();
    this.dnnl.lib.dnnl_primitive_destroy(this.prim);
  }
}

/** Primitives by key, built on first use. */
export class PrimitiveCache {
  private readonly map = new Map<string, Primitive>();
  get(key: string, make: () => Primitive): Primitive {
    let p = this.map.get(key);
    if (!p) {
      p = make();
      this.map.set(key, p);
    }
    return p;
  }
  get size(): number {
    return this.map.size;
  }
  clear(): void {
    for (const p of this.map.values()) p.destroy();
    this.map.clear();
  }
}
