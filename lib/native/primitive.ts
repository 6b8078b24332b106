/**
 * oneDNN primitives as the kernels use them: one memory object per argument whose data pointer is
 * set per call, a reorder for arguments whose layout the library chose, and a cache of primitives
 * built once per shape (building one takes milliseconds).
 */
import { C, check, type Dnnl, outPtr, primitiveDesc, type Ptr, queryMemDesc } from "./dnnl.ts";

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

  /**
   * `op`: a filled op descriptor; `hint`: the forward primitive desc for a backward one; `attr`:
   * primitive attributes (post-ops), or null.
   */
  constructor(
    readonly dnnl: Dnnl,
    op: Uint8Array<ArrayBuffer>,
    specs: ArgSpec[],
    hint: Ptr = null,
    attr: Ptr = null,
  ) {
    const { lib, engine } = dnnl;
    const cell = new BigUint64Array(1);
    const pd = primitiveDesc(dnnl, op, hint, attr);
    const mds = new Map<number, Uint8Array<ArrayBuffer>>();
    try {
      check(lib.dnnl_primitive_desc_query(pd, C.query.implInfo, 0, cell), "query impl");
      const s = Deno.UnsafePointer.create(cell[0]);
      this.impl = s ? new Deno.UnsafePointerView(s).getCString() : "?";
      for (const spec of specs) {
        let md: Uint8Array<ArrayBuffer>;
        if (spec.md === undefined) {
          if (spec.query === undefined) {
            throw new Error(`oneDNN: argument ${spec.id} has neither md nor query`);
          }
          md = queryMemDesc(dnnl, pd, spec.query);
        } else md = spec.md;
        if (spec.md !== undefined && spec.chosen !== undefined) {
          const chosen = queryMemDesc(dnnl, pd, spec.chosen);
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
