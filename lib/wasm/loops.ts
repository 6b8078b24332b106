/**
 * The inner loops of this project's JavaScript kernels, as pure functions over typed arrays and
 * numbers that fill a range [lo, hi) of their output. Ranges never share an output element, so
 * splitting a call across threads (lib/wasm/parallel.ts, for the loops in LOOPS) gives the same
 * bits as one call. No imports: the loop worker loads this module on its own.
 */

export type Arrays = Record<string, Float32Array>;
export type Params = Record<string, number>;
export type Loop = (a: Arrays, p: Params, lo: number, hi: number) => void;

/**
 * Max-pool gradient for images [lo, hi): each output channel's gradient goes to the first window
 * position (row-major, the cpu backend's strict '>' order) whose input equals the pooled maximum Y,
 * so most windows stop early. Without Y (p.hasY = 0), or for a NaN maximum, the window is scanned
 * for its first largest value. Arrays: X, DY, DX (zeroed here), Y.
 */
export function maxPoolGradLoop(a: Arrays, p: Params, lo: number, hi: number): void {
  const { X, DY, DX, Y } = a;
  const { h, w, c, oh, ow, sh, sw, fh, fw, top, left, hasY } = p;
  DX.fill(0, lo * h * w * c, hi * h * w * c);
  const pos = new Int32Array(fh * fw);
  for (let bi = lo; bi < hi; bi++) {
    for (let i = 0; i < oh; i++) {
      const h0 = Math.max(0, i * sh - top);
      const h1 = Math.min(h, i * sh - top + fh);
      for (let j = 0; j < ow; j++) {
        const w0 = Math.max(0, j * sw - left);
        const w1 = Math.min(w, j * sw - left + fw);
        let np = 0;
        for (let y = h0; y < h1; y++) {
          for (let z = w0; z < w1; z++) pos[np++] = ((bi * h + y) * w + z) * c;
        }
        const g = ((bi * oh + i) * ow + j) * c;
        for (let ch = 0; ch < c; ch++) {
          let at = -1;
          if (hasY) {
            const m = Y[g + ch];
            for (let q = 0; q < np; q++) {
              if (X[pos[q] + ch] === m) {
                at = pos[q] + ch;
                break;
              }
            }
          }
          if (at < 0) {
            let best = -Infinity;
            for (let q = 0; q < np; q++) {
              const v = X[pos[q] + ch];
              if (v > best) {
                best = v;
                at = pos[q] + ch;
              }
            }
          }
          if (at >= 0) DX[at] += DY[g + ch];
        }
      }
    }
  }
}

/** N^−β, with the common β = 0.75 and 0.5 done by square roots (Math.pow is several times slower). */
function negPow(beta: number): (n: number) => number {
  if (beta === 0.75) return (n) => 1 / (Math.sqrt(n) * Math.sqrt(Math.sqrt(n)));
  if (beta === 0.5) return (n) => 1 / Math.sqrt(n);
  return (n) => Math.pow(n, -beta);
}

/** norm[c] = bias + alpha · (sum of x² over channels c − r … c + r) for the pixel at `base`. */
function windowNorms(
  x: Float32Array,
  base: number,
  depth: number,
  r: number,
  bias: number,
  alpha: number,
  norm: Float64Array,
): void {
  let s = 0;
  for (let c = 0; c < Math.min(r, depth); c++) s += x[base + c] * x[base + c];
  for (let c = 0; c < depth; c++) {
    const add = c + r;
    if (add < depth) s += x[base + add] * x[base + add];
    const drop = c - r - 1;
    if (drop >= 0) s -= x[base + drop] * x[base + drop];
    norm[c] = bias + alpha * s;
  }
}

/** Local response normalisation of pixels [lo, hi) (see lib/wasm/lrn.ts). Arrays: X, Y. */
export function lrnLoop(a: Arrays, p: Params, lo: number, hi: number): void {
  const { X, Y } = a;
  const { depth, r, bias, alpha, beta } = p;
  const pow = negPow(beta);
  const norm = new Float64Array(depth);
  for (let px = lo; px < hi; px++) {
    const base = px * depth;
    windowNorms(X, base, depth, r, bias, alpha, norm);
    for (let c = 0; c < depth; c++) Y[base + c] = X[base + c] * pow(norm[c]);
  }
}

/** Gradient of local response normalisation for pixels [lo, hi). Arrays: X, Y, DY, DX. */
export function lrnGradLoop(a: Arrays, p: Params, lo: number, hi: number): void {
  const { X, Y, DY, DX } = a;
  const { depth, r, bias, alpha, beta } = p;
  const pow = negPow(beta);
  const norm = new Float64Array(depth);
  const g = new Float64Array(depth);
  const k = 2 * alpha * beta;
  for (let px = lo; px < hi; px++) {
    const base = px * depth;
    windowNorms(X, base, depth, r, bias, alpha, norm);
    for (let c = 0; c < depth; c++) g[c] = DY[base + c] * Y[base + c] / norm[c];
    let s = 0;
    for (let c = 0; c < Math.min(r, depth); c++) s += g[c];
    for (let c = 0; c < depth; c++) {
      if (c + r < depth) s += g[c + r];
      if (c - r - 1 >= 0) s -= g[c - r - 1];
      DX[base + c] = DY[base + c] * pow(norm[c]) - k * X[base + c] * s;
    }
  }
}

/**
 * Batch normalisation of pixels [lo, hi), with the wasm build's own arithmetic so that the bits
 * match it: nf = sqrtf(var + eps) in float32, y = offset + ((x − mean)·scale in float32) / nf in
 * float64, rounded to float32 on store. Arrays: X, MEAN, VAR, Y, and OFFSET / SCALE when p.hasOffset
 * / p.hasScale (otherwise 0 / 1); the four parameters have one value per channel.
 */
export function batchNormLoop(a: Arrays, p: Params, lo: number, hi: number): void {
  const { X, MEAN, VAR, OFFSET, SCALE, Y } = a;
  const { depth, eps, hasOffset, hasScale } = p;
  const e = Math.fround(eps);
  const nf = new Float64Array(depth);
  const off = new Float64Array(depth);
  const sc = new Float64Array(depth).fill(1);
  for (let c = 0; c < depth; c++) {
    nf[c] = Math.fround(Math.sqrt(Math.fround(VAR[c] + e)));
    if (hasOffset) off[c] = OFFSET[c];
    if (hasScale) sc[c] = SCALE[c];
  }
  for (let px = lo; px < hi; px++) {
    const base = px * depth;
    for (let c = 0; c < depth; c++) {
      Y[base + c] = off[c] + Math.fround(Math.fround(X[base + c] - MEAN[c]) * sc[c]) / nf[c];
    }
  }
}

/**
 * Rows [lo, hi) of Pᵀ, the transposed im2col patches of images [n0, n1): row (i, j, c), column
 * (n, o, q) holds x[n, o·sh − top + i, q·sw − left + j, c], zero outside x. Reads XT = x as
 * [Cin, N, H, W], so that each output run is a (strided) run along W. Arrays: XT, P.
 */
export function im2colTLoop(a: Arrays, p: Params, lo: number, hi: number): void {
  const { XT, P } = a;
  const { cin, n, h, w, oh, ow, kw, sh, sw, top, left, n0, n1 } = p;
  const m = (n1 - n0) * oh * ow;
  P.fill(0, lo * m, hi * m);
  for (let row = lo; row < hi; row++) {
    const c = row % cin;
    const j = Math.floor(row / cin) % kw;
    const i = Math.floor(row / (cin * kw));
    // output columns q whose input column q·sw − left + j lies inside [0, w)
    const z0 = j - left;
    const qlo = Math.max(0, Math.ceil(-z0 / sw));
    const qhi = Math.min(ow, Math.floor((w - 1 - z0) / sw) + 1);
    let d = row * m;
    for (let b = n0; b < n1; b++) {
      const plane = (c * n + b) * h;
      for (let o = 0; o < oh; o++, d += ow) {
        const y = o * sh - top + i;
        if (y < 0 || y >= h) continue;
        let s = (plane + y) * w + z0 + qlo * sw;
        for (let q = qlo; q < qhi; q++, s += sw) P[d + q] = XT[s];
      }
    }
  }
}

/**
 * Columns [lo, hi) of the sum (times `scale`) over the rows of X [rows, cols], accumulated in
 * float64 row by row. Arrays: X, OUT.
 */
export function sumLeadingLoop(a: Arrays, p: Params, lo: number, hi: number): void {
  const { X, OUT } = a;
  const { rows, cols, scale } = p;
  const acc = new Float64Array(hi - lo);
  for (let i = 0; i < rows; i++) {
    const base = i * cols + lo;
    for (let j = 0; j < hi - lo; j++) acc[j] += X[base + j];
  }
  for (let j = lo; j < hi; j++) OUT[j] = acc[j - lo] * scale;
}

/**
 * ReLU's gradient in one pass: DX[i] = X[i] > 0 ? DY[i] : 0 (tfjs's step(x) is 0 at 0, as here).
 * Without a branch, on the floats' bits: x > 0 exactly when its bit pattern b (as int32) has
 * (−b & ~b) negative (b > 0; ±0 and negative floats give a clear sign bit), so that, shifted,
 * masks dy's bits. A branch on the sign mispredicts half the time on activations: 5.8 ns per
 * element against 1.3 here (128×48×48×64 random values). NaN with a clear sign bit passes dy.
 * Arrays: X, DY, DX.
 */
export function reluGradLoop(a: Arrays, _p: Params, lo: number, hi: number): void {
  const bits = (f: Float32Array) => new Int32Array(f.buffer, f.byteOffset, f.length);
  const [X, DY, DX] = [bits(a.X), bits(a.DY), bits(a.DX)];
  for (let i = lo; i < hi; i++) {
    const b = X[i];
    DX[i] = DY[i] & ((-b & ~b) >> 31);
  }
}

/** Tile of the transpose's two innermost output axes (both reads and writes stay in cache). */
const T = 32;

/** Work units of transposeLoop: (a, b, tile of c) over the rank-4 output [o0, o1, o2, o3]. */
export function transposeRange(p: Params): number {
  return p.o0 * p.o1 * Math.ceil(p.o2 / T);
}

/**
 * A rank-4 transpose, work units [lo, hi) (see transposeRange): OUT[a, b, c, d] = X[a·s0 + b·s1 +
 * c·s2 + d·s3]. Arrays: X, OUT (Int32Arrays too, when called directly rather than through a worker).
 */
export function transposeLoop(a: Arrays, p: Params, lo: number, hi: number): void {
  const { X, OUT } = a;
  const { o1, o2, o3, s0, s1, s2, s3 } = p;
  const tiles = Math.ceil(o2 / T);
  for (let u = lo; u < hi; u++) {
    const ct = u % tiles;
    const ab = (u - ct) / tiles;
    const bb = ab % o1;
    const aa = (ab - bb) / o1;
    const c0 = ct * T;
    const c1 = Math.min(c0 + T, o2);
    const ib = aa * s0 + bb * s1;
    const ob = (aa * o1 + bb) * o2 * o3;
    if (s3 === 1) {
      // innermost axis stays innermost: contiguous row copies
      for (let c = c0; c < c1; c++) {
        const base = ib + c * s2;
        OUT.set(X.subarray(base, base + o3), ob + c * o3);
      }
      continue;
    }
    for (let d0 = 0; d0 < o3; d0 += T) {
      const d1 = Math.min(d0 + T, o3);
      for (let c = c0; c < c1; c++) {
        let ii = ib + c * s2 + d0 * s3;
        let oi = ob + c * o3 + d0;
        for (let d = d0; d < d1; d++) {
          OUT[oi++] = X[ii];
          ii += s3;
        }
      }
    }
  }
}

/**
 * The loops worth a second thread (lib/wasm/parallel.ts): scans with some arithmetic per element.
 * Measured in one process alternating one and two threads, Inception at batch 32: MaxPoolGrad
 * 161 → 95 ms per step, LRN 41 → 32, LRNGrad 45 → 24. The plain copies and sums (transpose,
 * im2colT, sumLeading) are bound by memory traffic and ran no faster, or slower, on two threads
 * (leading-axis sums 18 → 35 ms, the stem's dy transpose 6.0 → 8.8 ms), so they stay on one.
 * ReLU's gradient (a masked copy on the floats' bits) did gain: 10.2 → 5.7 ms at 50×48×48×64.
 */
export const LOOPS: Record<string, Loop> = {
  maxPoolGrad: maxPoolGradLoop,
  lrn: lrnLoop,
  lrnGrad: lrnGradLoop,
  batchNorm: batchNormLoop,
  reluGrad: reluGradLoop,
};
