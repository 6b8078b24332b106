import { assert, assertAllClose, deepEqual, equal } from "../assert.ts";
import { wasmThreadsAvailable } from "../../lib/wasm/mod.ts";

const CHILD = new URL("./threads_child.ts", import.meta.url).pathname;

interface ChildResult {
  threads: number;
  y: number[];
  dx: number[];
  dw: number[];
  dpool: number[];
  lrn: number[];
  dlrn: number[];
  drelu: number[];
  splitLoops: number;
}

/** Run the child with a thread count; it must finish (and exit) within the timeout. */
async function child(threads: number): Promise<ChildResult> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, String(threads)],
    // the project's JavaScript loops, not oneDNN's LRN and max-pool gradient (tests/native/)
    env: { FACENET_NATIVE: "0" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  });
  const out = await cmd.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert(
    out.success,
    `child with ${threads} thread(s) failed (code ${out.code}, signal ${out.signal}): ${stderr}`,
  );
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  return JSON.parse(line);
}

Deno.test({
  name: "threaded wasm starts under Deno, uses 2 threads, agrees with 1 thread, and exits by itself",
  ignore: !wasmThreadsAvailable(),
  fn: async () => {
    const [one, two] = await Promise.all([child(1), child(2)]);
    equal(one.threads, 1);
    equal(two.threads, 2);
    assert(two.y.length === 4 * 13 * 13 * 64);
    assertAllClose(two.y, one.y, 1e-5, "conv output");
    assertAllClose(two.dx, one.dx, 1e-5, "input gradient");
    assertAllClose(two.dw, one.dw, 1e-5, "filter gradient");
    // The JavaScript loops split across two threads give the very same bits as one thread.
    equal(one.splitLoops, 0, "no split loops with 1 thread");
    assert(two.splitLoops >= 4, `loops split across two threads: ${two.splitLoops}`);
    deepEqual(two.dpool, one.dpool, "max-pool gradient");
    deepEqual(two.lrn, one.lrn, "LRN");
    deepEqual(two.dlrn, one.dlrn, "LRN gradient");
    deepEqual(two.drelu, one.drelu, "ReLU gradient");
    assert([one.dpool, one.dlrn, one.drelu].every((g) => g.some((v) => v !== 0)), "non-trivial gradients");
  },
});
