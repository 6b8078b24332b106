import { assert, deepEqual, equal, throws } from "../assert.ts";
import { runLoop, setLoopThreads } from "../../lib/wasm/parallel.ts";
import { im2colTLoop, sumLeadingLoop } from "../../lib/wasm/loops.ts";

/** Float32 views of one SharedArrayBuffer, like tensors in the threaded wasm heap. */
function sharedArrays(sizes: Record<string, number>): Record<string, Float32Array> {
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  const buf = new SharedArrayBuffer(4 * total);
  const out: Record<string, Float32Array> = {};
  let off = 0;
  for (const [k, n] of Object.entries(sizes)) {
    out[k] = new Float32Array(buf, 4 * off, n);
    off += n;
  }
  return out;
}

function fill(a: Float32Array, seed: number, levels?: number): void {
  for (let i = 0; i < a.length; i++) {
    const v = Math.sin(i * 0.731 + seed) * 2;
    a[i] = levels ? Math.round(v * levels) / levels : v;
  }
}

Deno.test("im2colT matches a brute-force im2col, bit for bit", () => {
  const [cin, n, h, w, k, s, top, left] = [3, 8, 33, 31, 3, 2, 1, 1];
  const oh = Math.ceil(h / s), ow = Math.ceil(w / s);
  const rows = k * k * cin, m = n * oh * ow;
  // in two calls over halves of the rows, as a split would make them
  for (const split of [0, 13]) {
    const a = sharedArrays({ XT: cin * n * h * w, P: rows * m });
    fill(a.XT, 1);
    a.P.fill(7); // stale values must be overwritten, zeros included
    const params = { cin, n, h, w, oh, ow, kw: k, sh: s, sw: s, top, left, n0: 0, n1: n };
    im2colTLoop(a, params, 0, split);
    im2colTLoop(a, params, split, rows);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        for (let c = 0; c < cin; c++) {
          for (let b = 0; b < n; b++) {
            for (let o = 0; o < oh; o++) {
              for (let q = 0; q < ow; q++) {
                const y = o * s - top + i, z = q * s - left + j;
                const want = y >= 0 && y < h && z >= 0 && z < w ? a.XT[((c * n + b) * h + y) * w + z] : 0;
                const got = a.P[((i * k + j) * cin + c) * m + (b * oh + o) * ow + q];
                if (got !== want) throw new Error(`P[${i},${j},${c}][${b},${o},${q}] = ${got}, want ${want}`);
              }
            }
          }
        }
      }
    }
  }
});

Deno.test("max-pool and LRN loops give the same bits on one and on two threads", () => {
  const run = (threads: 1 | 2) => {
    setLoopThreads(threads);
    const [n, h, w, c] = [8, 30, 30, 40];
    const pool = sharedArrays({ X: n * h * w * c, DY: n * 15 * 15 * c, DX: n * h * w * c });
    fill(pool.X, 2, 2); // ties
    fill(pool.DY, 3);
    const p = { h, w, c, oh: 15, ow: 15, sh: 2, sw: 2, fh: 3, fw: 3, top: 0, left: 0, hasY: 0 };
    const usedPool = runLoop("maxPoolGrad", { ...pool, Y: pool.X }, p, n, pool.DY.length);
    const lrn = sharedArrays({ X: n * h * w * c, Y: n * h * w * c, DY: n * h * w * c, DX: n * h * w * c });
    fill(lrn.X, 4);
    fill(lrn.DY, 5);
    const lp = { depth: c, r: 2, bias: 1, alpha: 0.3, beta: 0.75 };
    const usedLrn = runLoop("lrn", { X: lrn.X, Y: lrn.Y }, lp, n * h * w, lrn.X.length);
    runLoop("lrnGrad", lrn, lp, n * h * w, lrn.X.length);
    return { usedPool, usedLrn, dx: Array.from(pool.DX), y: Array.from(lrn.Y), dlrn: Array.from(lrn.DX) };
  };
  const two = run(2);
  const one = run(1);
  setLoopThreads(2);
  equal(two.usedPool, 2);
  equal(two.usedLrn, 2);
  equal(one.usedPool, 1);
  deepEqual(two.dx, one.dx);
  deepEqual(two.y, one.y);
  deepEqual(two.dlrn, one.dlrn);
  assert(one.dx.some((v) => v !== 0), "max-pool gradient is not all zero");
});

Deno.test("runLoop keeps small jobs and unshared memory on this thread, and names unknown loops", () => {
  const small = sharedArrays({ X: 4 * 8, Y: 4 * 8 });
  equal(runLoop("lrn", small, { depth: 8, r: 2, bias: 1, alpha: 1e-4, beta: 0.75 }, 4, 32), 1);
  const plain = { X: new Float32Array(1 << 16), Y: new Float32Array(1 << 16) };
  equal(runLoop("lrn", plain, { depth: 16, r: 2, bias: 1, alpha: 1e-4, beta: 0.75 }, 1 << 12, 1 << 16), 1);
  throws(() => runLoop("nope", plain, {}, 1, 1), /no loop named 'nope'/);
  // plain copies stay on one thread (see LOOPS): not offered to the helper
  throws(() => runLoop("transpose", plain, {}, 1, 1), /no loop named 'transpose'/);
});

Deno.test("leading-axis column sums match a plain double loop, over any column range", () => {
  const [rows, cols] = [1500, 70];
  const a = sharedArrays({ X: rows * cols, OUT: cols });
  fill(a.X, 8);
  sumLeadingLoop(a, { rows, cols, scale: 1 / rows }, 0, 31);
  sumLeadingLoop(a, { rows, cols, scale: 1 / rows }, 31, cols);
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += a.X[i * cols + j];
    equal(a.OUT[j], Math.fround(s * (1 / rows)), `column ${j}`);
  }
});
