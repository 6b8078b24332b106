import { deepEqual, equal, notDeepEqual, ok, throws } from "../assert.ts";
import { PkSampler, RandomSampler } from "../../lib/training/sampler.ts";
import { Rng } from "../../lib/rng.ts";

/** Labels for identities of the given sizes, shuffled so identities are not contiguous. */
function labelsOf(sizes: number[], seed = 1): Int32Array {
  const out: number[] = [];
  sizes.forEach((s, c) => {
    for (let i = 0; i < s; i++) out.push(c);
  });
  return new Rng(seed).shuffle(Int32Array.from(out));
}

function counts(xs: ArrayLike<number>): Map<number, number> {
  const m = new Map<number, number>();
  for (const x of Array.from(xs)) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

Deno.test("P×K batches: exact size, distinct images, eligible identities only, ≤ K each, ≥ 2 each", () => {
  const rng0 = new Rng(2);
  const sizes = Array.from({ length: 120 }, () => 1 + rng0.int(12)); // many with 1–2 images (ineligible)
  const labels = labelsOf(sizes);
  const s = new PkSampler(labels, { batchSize: 200, k: 4 });
  const eligible = new Set(sizes.map((n, c) => (n >= 3 ? c : -1)).filter((c) => c >= 0));
  equal(s.identities, eligible.size);
  equal(s.eligibleImages, sizes.filter((n) => n >= 3).reduce((a, b) => a + b, 0));
  const rng = new Rng(9);
  for (let b = 0; b < 30; b++) {
    const idx = s.nextBatch(rng);
    equal(idx.length, 200);
    equal(new Set(idx).size, 200, "no image twice in a batch");
    const perId = counts(Array.from(idx, (i) => labels[i]));
    for (const [c, n] of perId) {
      ok(eligible.has(c), `identity ${c} has only ${sizes[c]} images`);
      ok(n >= 2, `identity ${c} appears once: no positive for it`);
      ok(n <= 4 + 1, `identity ${c} appears ${n} times`); // K, +1 at most when the batch end is adjusted
    }
  }
});

Deno.test("the same RNG state gives the same batches; a restored state continues the sequence", () => {
  const labels = labelsOf(Array.from({ length: 40 }, (_, i) => 3 + (i % 5)));
  const s = new PkSampler(labels, { batchSize: 30, k: 3 });
  const a = new Rng(5);
  const b = new Rng(5);
  for (let i = 0; i < 3; i++) deepEqual(s.nextBatch(a), s.nextBatch(b));
  notDeepEqual(s.nextBatch(new Rng(5)), s.nextBatch(new Rng(6)));
  const saved = JSON.parse(JSON.stringify(a.getState()));
  const next = [s.nextBatch(a), s.nextBatch(a)];
  const restored = Rng.fromState(saved);
  deepEqual([s.nextBatch(restored), s.nextBatch(restored)], next);
});

Deno.test("small sets: the batch is what K images of every identity allow, still with positives", () => {
  const labels = labelsOf([3, 3, 4, 5, 2, 1]);
  const s = new PkSampler(labels, { batchSize: 200, k: 2 });
  equal(s.identities, 4);
  equal(s.effectiveBatchSize, 8);
  const idx = s.nextBatch(new Rng(1));
  equal(idx.length, 8);
  for (const n of counts(Array.from(idx, (i) => labels[i])).values()) equal(n, 2);
  equal(s.batchesPerPass, Math.ceil(15 / 8));
});

Deno.test("odd leftovers never produce a lone image", () => {
  // 3-image identities and K = 3: a batch of 200 cannot be all triples; one identity must give 2.
  const labels = labelsOf(Array.from({ length: 100 }, () => 3));
  const s = new PkSampler(labels, { batchSize: 200, k: 3 });
  const rng = new Rng(4);
  for (let b = 0; b < 10; b++) {
    for (const n of counts(Array.from(s.nextBatch(rng), (i) => labels[i])).values()) ok(n >= 2);
  }
});

Deno.test("bad options and data are refused with a clear message", () => {
  throws(() => new PkSampler(labelsOf([5, 5]), { batchSize: 10, k: 1 }), /k must be/);
  throws(() => new PkSampler(labelsOf([5, 2, 1]), { batchSize: 10, k: 3 }), /at least 2 identities/);
});

Deno.test("random batches: distinct eligible images of anyone, every eligible image drawn alike", () => {
  const sizes = [1, 2, 3, 40, 5, 3, 2, 8]; // identities 0, 1 and 6 are ineligible (< 3 images)
  const labels = labelsOf(sizes);
  const s = new RandomSampler(labels, { batchSize: 10 });
  deepEqual([s.identities, s.eligibleImages, s.effectiveBatchSize, s.batchesPerPass], [5, 59, 10, 6]);
  const rng = new Rng(4);
  const seen = new Map<number, number>();
  const batches = 6000;
  let singletons = 0;
  for (let b = 0; b < batches; b++) {
    const idx = s.nextBatch(rng);
    equal(new Set(idx).size, 10, "no image twice in a batch");
    for (const i of idx) {
      ok(sizes[labels[i]] >= 3, `image ${i} of identity ${labels[i]} is not eligible`);
      seen.set(i, (seen.get(i) ?? 0) + 1);
    }
    // Unlike P×K, nothing keeps a person's image company: some batches hold lone images.
    if ([...counts(Array.from(idx, (i) => labels[i])).values()].some((n) => n === 1)) singletons++;
  }
  equal(seen.size, 59, "every eligible image is drawn");
  // Each image is in a batch with probability 10/59: 6000 · 10/59 ≈ 1017 draws, binomial sd ≈ 29.
  for (const [i, n] of seen) ok(Math.abs(n - (batches * 10) / 59) < 6 * 29, `image ${i} drawn ${n} times`);
  ok(singletons > batches / 2, `${singletons} of ${batches} batches hold an image without a positive`);
  // Reproducible from the RNG alone.
  deepEqual(s.nextBatch(new Rng(3)), s.nextBatch(new Rng(3)));
  // A batch larger than the eligible images is all of them.
  const all = new RandomSampler(labels, { batchSize: 100 }).nextBatch(new Rng(1));
  deepEqual([...all].sort((a, b) => a - b), [...s.images]);
  throws(
    () => new RandomSampler(labelsOf([3, 2]), { batchSize: 10 }),
    /at least 2 identities with ≥ 3 images; found 1/,
  );
  throws(() => new RandomSampler(labels, { batchSize: 1 }), /batchSize must be an integer ≥ 2, got 1/);
});

Deno.test("Rng: uniform in [0,1), unbiased int, reproducible state", () => {
  const r = new Rng(123);
  const hist = new Array(6).fill(0);
  let sum = 0;
  for (let i = 0; i < 60000; i++) {
    const u = r.next();
    ok(u >= 0 && u < 1);
    sum += u;
    hist[r.int(6)]++;
  }
  ok(Math.abs(sum / 60000 - 0.5) < 0.01, `mean ${sum / 60000}`);
  for (const h of hist) ok(Math.abs(h - 10000) < 400, `int(6) histogram ${hist}`);
  const st = r.getState();
  const seq = [r.uint32(), r.uint32()];
  r.setState(st);
  deepEqual([r.uint32(), r.uint32()], seq);
  notDeepEqual(new Rng(1).getState(), new Rng(2).getState());
  throws(() => r.setState([1, 2, 3] as unknown as [number, number, number, number]), /four integers/);
});
