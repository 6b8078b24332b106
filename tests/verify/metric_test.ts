import { assertAllClose, assertClose, equal, ok, throws } from "../assert.ts";
import { Rng } from "../../lib/rng.ts";
import { identity, matMul, transpose } from "../../lib/analysis/linalg.ts";
import { applyMetric, classScatter, fitLda, fitWccn } from "../../lib/verify/metric.ts";

/** Labelled points: `classes` Gaussian clusters in `dim` dimensions whose noise is stretched per axis. */
function clusters(classes: number, perClass: number, dim: number, seed: number, stretch: number[]) {
  const r = new Rng(seed);
  const x = new Float64Array(classes * perClass * dim);
  const labels = new Int32Array(classes * perClass);
  for (let c = 0; c < classes; c++) {
    const centre = Array.from({ length: dim }, () => 2 * r.normal());
    for (let k = 0; k < perClass; k++) {
      const i = c * perClass + k;
      labels[i] = c;
      // Correlated noise: axis t mixes in axis t − 1, then stretched.
      let prev = 0;
      for (let t = 0; t < dim; t++) {
        const e = r.normal();
        x[i * dim + t] = centre[t] + stretch[t] * (e + 0.5 * prev);
        prev = e;
      }
    }
  }
  return { x, labels };
}

/** The per-person-averaged within-class covariance, computed directly (a second implementation). */
function directWithin(x: Float64Array, labels: Int32Array, dim: number): Float64Array {
  const ids = [...new Set(labels)];
  const w = new Float64Array(dim * dim);
  for (const c of ids) {
    const rows = [...labels.keys()].filter((i) => labels[i] === c);
    if (rows.length < 2) continue;
    const mu = Array.from(
      { length: dim },
      (_, t) => rows.reduce((s, i) => s + x[i * dim + t], 0) / rows.length,
    );
    for (let a = 0; a < dim; a++) {
      for (let b = 0; b < dim; b++) {
        const cov = rows.reduce((s, i) => s + (x[i * dim + a] - mu[a]) * (x[i * dim + b] - mu[b]), 0) /
          rows.length;
        w[a * dim + b] += cov / ids.filter((k) => labels.filter((l) => l === k).length >= 2).length;
      }
    }
  }
  return w;
}

/** Solve M w = v by Gaussian elimination with partial pivoting (independent of ml-matrix). */
function solve(m: Float64Array, v: Float64Array, d: number): Float64Array {
  const a = Array.from({ length: d }, (_, i) => [...m.subarray(i * d, (i + 1) * d), v[i]]);
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= d; k++) a[r][k] -= f * a[c][k];
    }
  }
  return Float64Array.from({ length: d }, (_, i) => a[i][d] / a[i][i]);
}

Deno.test("classScatter on a hand-worked example (a one-image person counts only in the mean)", () => {
  // Person 0: (0,0), (2,0) → mean (1,0), covariance [1 0; 0 0]. Person 1: (0,1), (0,3) → mean (0,2),
  // covariance [0 0; 0 1]. Person 2: one image at (9,9).
  const x = Float64Array.from([0, 0, 2, 0, 0, 1, 0, 3, 9, 9]);
  const s = classScatter(x, 2, [0, 0, 1, 1, 2]);
  equal(s.classes, 2);
  assertAllClose(s.within, [0.5, 0, 0, 0.5], 1e-12, "W = average of the two covariances");
  // Means (1,0) and (0,2) about their mean (0.5,1): ±(0.5,−1) → B = [0.25 −0.5; −0.5 1].
  assertAllClose(s.between, [0.25, -0.5, -0.5, 1], 1e-12, "B");
  assertAllClose(s.mean, [11 / 5, 13 / 5], 1e-12, "mean of all five images");
  throws(() => classScatter(x, 2, [0, 0, 1, 2, 3]), /at least 2 people with ≥ 2 images, got 1/);
});

Deno.test("WCCN whitens the within-class covariance to the identity (ridge 0), and with a ridge inverts W + r", () => {
  const dim = 5;
  const { x, labels } = clusters(12, 9, dim, 4, [3, 1, 0.2, 0.5, 2]);
  const w = directWithin(x, labels, dim);
  const m = fitWccn(x, dim, labels, { ridge: 0 });
  equal(m.outDim, dim);
  const a = m.matrix;
  assertAllClose(
    matMul(matMul(a, w, dim, dim, dim), transpose(a, dim, dim), dim, dim, dim),
    identity(dim),
    1e-8,
    "A W Aᵀ",
  );
  // Ridge r = 1e-3 · trace(W)/d: A² (W + r I) = I.
  const r = fitWccn(x, dim, labels);
  let tr = 0;
  for (let i = 0; i < dim; i++) tr += w[i * dim + i];
  const wr = Float64Array.from(w);
  for (let i = 0; i < dim; i++) wr[i * dim + i] += 1e-3 * tr / dim;
  assertAllClose(
    matMul(matMul(r.matrix, r.matrix, dim, dim, dim), wr, dim, dim, dim),
    identity(dim),
    1e-8,
    "A² (W + r)",
  );
  // Applied: unit rows, the mean subtracted first.
  const y = applyMetric(m, x, dim);
  for (let i = 0; i < labels.length; i++) {
    let s = 0;
    for (let t = 0; t < dim; t++) s += y[i * dim + t] ** 2;
    assertClose(s, 1, 1e-5, `row ${i} norm²`);
  }
  throws(() => applyMetric(m, x, 4), /fitted on 5-d embeddings, got 4-d/);
});

Deno.test("LDA on two classes finds Fisher's direction W⁻¹(μ₁ − μ₀) and separates them by sign", () => {
  const dim = 6;
  const { x, labels } = clusters(2, 200, dim, 9, [2, 0.3, 1, 1, 0.5, 3]);
  const m = fitLda(x, dim, labels, { dims: 1, ridge: 0 });
  equal(m.outDim, 1);
  const mu = [0, 1].map((c) => {
    const rows = [...labels.keys()].filter((i) => labels[i] === c);
    return Float64Array.from(
      { length: dim },
      (_, t) => rows.reduce((s, i) => s + x[i * dim + t], 0) / rows.length,
    );
  });
  const fisher = solve(directWithin(x, labels, dim), mu[1].map((v, t) => v - mu[0][t]), dim);
  let dot = 0, na = 0, nf = 0;
  for (let t = 0; t < dim; t++) {
    dot += m.matrix[t] * fisher[t];
    na += m.matrix[t] ** 2;
    nf += fisher[t] ** 2;
  }
  assertClose(Math.abs(dot) / Math.sqrt(na * nf), 1, 1e-9, "|cos(LDA row, Fisher direction)|");
  // In 1-D, L2-normalising leaves the sign: it names the class for (almost) every point.
  const y = applyMetric(m, x, dim);
  const sign0 = Math.sign(y[0]);
  let right = 0;
  for (let i = 0; i < labels.length; i++) if ((Math.sign(y[i]) === sign0) === (labels[i] === 0)) right++;
  ok(right / labels.length > 0.97, `sign separates ${right} of ${labels.length}`);
  throws(() => fitLda(x, dim, labels, { dims: 7 }), /LDA dims must be an integer in 1…6, got 7/);
});

Deno.test("LDA with all dimensions gives WCCN's distances (a rotation of the same whitening)", () => {
  const dim = 4;
  const { x, labels } = clusters(10, 6, dim, 21, [1, 2, 0.5, 1.5]);
  const yw = applyMetric(fitWccn(x, dim, labels), x, dim);
  const yl = applyMetric(fitLda(x, dim, labels, { dims: dim }), x, dim);
  const d = (y: Float32Array, i: number, j: number) => {
    let s = 0;
    for (let t = 0; t < dim; t++) s += (y[i * dim + t] - y[j * dim + t]) ** 2;
    return s;
  };
  for (const [i, j] of [[0, 1], [0, 30], [5, 59], [17, 42]]) {
    assertClose(d(yl, i, j), d(yw, i, j), 1e-5, `d(${i},${j})`);
  }
});
