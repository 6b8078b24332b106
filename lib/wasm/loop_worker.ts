/**
 * The helper thread of lib/wasm/parallel.ts: runs one loop over its half of the range on arrays
 * that view shared memory, then sets the shared `done` flag (1: finished, 2: failed) and wakes the
 * waiting thread.
 */
import { parentPort } from "node:worker_threads";
import { type Arrays, LOOPS, type Params } from "./loops.ts";

interface Job {
  name: string;
  buf: SharedArrayBuffer;
  views: Record<string, [number, number]>;
  params: Params;
  lo: number;
  hi: number;
  done: Int32Array;
}

parentPort?.on("message", (job: Job) => {
  let status = 1;
  try {
    const arrays: Arrays = {};
    for (const [k, [offset, length]] of Object.entries(job.views)) {
      arrays[k] = new Float32Array(job.buf, offset, length);
    }
    LOOPS[job.name](arrays, job.params, job.lo, job.hi);
  } catch (e) {
    console.error(`loop worker: '${job.name}' failed:`, e);
    status = 2;
  }
  Atomics.store(job.done, 0, status);
  Atomics.notify(job.done, 0);
});
