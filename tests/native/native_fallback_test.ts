/**
 * The native kernels are optional: with oneDNN off, missing or broken, the wasm backend runs as
 * before and says why in its line; with it, the results agree. Each case is a fresh process
 * (tests/native/native_child.ts), since a process sets its backend up once.
 */
import { assert, assertAllClose, equal, match } from "../assert.ts";
import { defaultLibraryPath } from "../../lib/native/mod.ts";

const CHILD = new URL("./native_child.ts", import.meta.url).pathname;

interface ChildResult {
  name: string;
  summary: string;
  native: { active: boolean; reason?: string; kernels?: string[] };
  threads: number;
  y: number[];
  dx: number[];
  dw: number[];
  m: number[];
}

async function child(env: Record<string, string>): Promise<ChildResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD],
    env: { FACENET_BACKEND: "", FACENET_NATIVE: "", FACENET_DNNL_LIB: "", ...env },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert(out.success, `child (${JSON.stringify(env)}) failed (code ${out.code}): ${stderr}`);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "");
}

function libraryOpens(): boolean {
  try {
    Deno.dlopen(defaultLibraryPath(), { dnnl_version: { parameters: [], result: "pointer" } }).close();
    return true;
  } catch {
    return false;
  }
}

const off = await child({ FACENET_NATIVE: "0" });

Deno.test("FACENET_NATIVE=0: plain wasm, with the reason in the backend line", () => {
  equal(off.name, "wasm");
  equal(off.native.active, false);
  match(off.summary, /FACENET_NATIVE=0/);
});

Deno.test("a missing or broken oneDNN falls back to plain wasm with a one-line reason, same results", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const garbage = `${dir}/libdnnl.so.2`;
    await Deno.writeTextFile(garbage, "not a shared library\n");
    const cases: [string, RegExp][] = [
      [`${dir}/missing/libdnnl.so.2`, /no oneDNN: cannot open .*missing/],
      [garbage, /no oneDNN: cannot open .*libdnnl\.so\.2/],
      // a real shared library without oneDNN's symbols
      ["libm.so.6", /no oneDNN: cannot open libm\.so\.6/],
    ];
    for (const [lib, reason] of cases) {
      const r = await child({ FACENET_DNNL_LIB: lib });
      equal(r.name, "wasm", lib);
      equal(r.native.active, false, lib);
      match(r.native.reason ?? "", reason);
      assert(!r.summary.includes("\n"), "the reason is one line");
      // The same kernels as with FACENET_NATIVE=0: the same bits.
      for (const k of ["y", "dx", "dw", "m"] as const) assertAllClose(r[k], off[k], 0, `${lib} ${k}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "with oneDNN (threaded wasm, shared memory): named in the backend line, same results as without",
  ignore: !libraryOpens(),
  fn: async () => {
    const on = await child({});
    match(on.name, /^wasm \+ oneDNN 2\.\d+\.\d+ \(\d+ threads?\)$/);
    equal(on.native.active, true);
    assert(on.native.kernels?.includes("Conv2DBackpropFilter"));
    for (const k of ["y", "dx", "dw", "m"] as const) {
      assertAllClose(on[k], off[k], 1e-4, k);
      assert(on[k].some((v) => Math.abs(v) > 0.1), `${k} is not all zero`);
    }
  },
});
