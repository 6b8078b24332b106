/**
 * Exact t-SNE (van der Maaten & Hinton 2008) to 2-D, seeded. O(n²) memory and time per iteration, meant
 * for the small sets the slides show (a few identities, up to ~2,000 points). Written here because the
 * npm ports (tsne-js, @keckelt/tsne: ports of karpathy's tsnejs) draw from Math.random, so they cannot be
 * seeded, and are untyped.
 *
 * Standard schedule: perplexity-calibrated Gaussian affinities (binary search on each precision),
 * symmetrised; early exaggeration 12 for the first 250 iterations; momentum 0.5 then 0.8; learning
 * rate max(n / 12 / 4, 50) (the "auto" rule of scikit-learn / openTSNE); per-coordinate gains.
 */
import { rowCount, squaredDistanceMatrix, type Vectors } from "./vectors.ts";
import { Rng } from "../rng.ts";

export interface TsneOptions {
  /** Effective number of neighbours (default 30, lowered to (n − 1) / 3 for small n). */
  perplexity?: number;
  /** Gradient steps (default 1000). */
  iterations?: number;
  learningRate?: number;
  seed?: number;
}

export interface TsneResult {
  /** n × 2 row-major. */
  y: Float32Array;
  /** KL(P ‖ Q) at the end. */
  kl: number;
  perplexity: number;
}

/**
 * Conditional affinities p_{j|i} from squared distances (n × n), each row's Gaussian precision found by
 * binary search so that the row's perplexity 2^H equals `perplexity`. Returns the n × n row-stochastic
 * matrix (zero diagonal).
 */
export function conditionalAffinities(
  d2: Float32Array | Float64Array,
  n: number,
  perplexity: number,
): Float64Array {
  if (d2.length !== n * n) throw new RangeError(`distance matrix has ${d2.length} entries, expected ${n}²`);
  if (!(perplexity > 0 && perplexity < n)) {
    throw new RangeError(`perplexity must be in (0, ${n}), got ${perplexity}`);
  }
  const P = new Float64Array(n * n);
  const target = Math.log(perplexity); // entropy in nats
  for (let i = 0; i < n; i++) {
    let beta = 1, lo = 0, hi = Infinity;
    const row = P.subarray(i * n, (i + 1) * n);
    // Distances shifted by the row minimum keep exp() from underflowing for far-apart data.
    let dmin = Infinity;
    for (let j = 0; j < n; j++) if (j !== i && d2[i * n + j] < dmin) dmin = d2[i * n + j];
    for (let it = 0; it < 100; it++) {
      let sum = 0, dsum = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) {
          row[j] = 0;
          continue;
        }
        const dd = d2[i * n + j] - dmin;
        const v = Math.exp(-beta * dd);
        row[j] = v;
        sum += v;
        dsum += v * dd;
      }
      // H = log(sum) + beta · E[d]
      const H = Math.log(sum) + beta * dsum / sum;
      for (let j = 0; j < n; j++) row[j] /= sum;
      if (Math.abs(H - target) < 1e-6) break;
      if (H > target) {
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = (beta + lo) / 2;
      }
    }
  }
  return P;
}

/** t-SNE of the rows of `x` to 2-D. */
export function tsne2d(x: Vectors, dim: number, opts: TsneOptions = {}): TsneResult {
  const n = rowCount(x, dim);
  if (n < 4) throw new RangeError(`t-SNE needs at least 4 points, got ${n}`);
  if (n > 5000) {
    throw new RangeError(`exact t-SNE of ${n} points would take too long: use umap2d or fewer points`);
  }
  const perplexity = Math.min(opts.perplexity ?? 30, (n - 1) / 3);
  const iterations = opts.iterations ?? 1000;
  const eta = opts.learningRate ?? Math.max(n / 12 / 4, 50);
  const rng = new Rng(opts.seed ?? 0);
  const d2 = squaredDistanceMatrix(x, dim);
  const Pc = conditionalAffinities(d2, n, perplexity);
  const P = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) P[i * n + j] = Math.max((Pc[i * n + j] + Pc[j * n + i]) / (2 * n), 1e-12);
  }
  const y = new Float64Array(2 * n);
  for (let i = 0; i < 2 * n; i++) y[i] = 1e-2 * rng.normal(); // scikit-learn's 1e-4 variance
  const update = new Float64Array(2 * n);
  const gains = new Float64Array(2 * n).fill(1);
  const grad = new Float64Array(2 * n);
  const num = new Float64Array(n * n);
  const exaggerationEnd = Math.min(250, iterations);
  let kl = 0;
  for (let it = 0; it < iterations; it++) {
    const exaggeration = it < exaggerationEnd ? 12 : 1;
    const momentum = it < exaggerationEnd ? 0.5 : 0.8;
    // Student-t kernel (1 + |yi − yj|²)⁻¹ and its sum Z.
    let Z = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
        const v = 1 / (1 + dx * dx + dy * dy);
        num[i * n + j] = num[j * n + i] = v;
        Z += 2 * v;
      }
    }
    grad.fill(0);
    const last = it === iterations - 1;
    kl = 0;
    for (let i = 0; i < n; i++) {
      let gx = 0, gy = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const q = num[i * n + j];
        const m = (exaggeration * P[i * n + j] - q / Z) * q;
        gx += m * (y[2 * i] - y[2 * j]);
        gy += m * (y[2 * i + 1] - y[2 * j + 1]);
        if (last) kl += P[i * n + j] * Math.log(P[i * n + j] / Math.max(q / Z, 1e-300));
      }
      grad[2 * i] = 4 * gx;
      grad[2 * i + 1] = 4 * gy;
    }
    for (let k = 0; k < 2 * n; k++) {
      // Gains grow where the gradient keeps its direction against the last update and shrink otherwise.
      gains[k] = Math.sign(grad[k]) !== Math.sign(update[k])
        ? gains[k] + 0.2
        : Math.max(gains[k] * 0.8, 0.01);
      update[k] = momentum * update[k] - eta * gains[k] * grad[k];
      y[k] += update[k];
    }
    // Keep the map centred.
    let mx = 0, my = 0;
    for (let i = 0; i < n; i++) mx += y[2 * i], my += y[2 * i + 1];
    for (let i = 0; i < n; i++) y[2 * i] -= mx / n, y[2 * i + 1] -= my / n;
  }
  return { y: Float32Array.from(y), kl, perplexity };
}
