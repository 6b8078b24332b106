import * as tfl from "@tensorflow/tfjs-layers";
import { deepEqual, equal, notEqual, ok, rejects } from "../assert.ts";
import { setupBackend } from "../../lib/backend.ts";
import type { FaceSet } from "../../lib/data/faceset.ts";
import {
  cachedEmbeddings,
  evaluationFaces,
  facesFingerprint,
  lossAtSlideEpochs,
  scaledEpochs,
} from "../../lib/notebook/pipeline.ts";
import { PROFILE_SETTINGS } from "../../lib/profiles.ts";

const SMOKE_IDENTITIES = PROFILE_SETTINGS.smoke.evaluationIdentities!;

function faces(classes: number, perClass: number, side = 4): FaceSet {
  const n = classes * perClass;
  const pixels = new Uint8Array(n * side * side);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 256;
  return {
    pixels,
    n,
    height: side,
    width: side,
    labels: Int32Array.from({ length: n }, (_, i) => Math.floor(i / perClass)),
    classNames: Array.from({ length: classes }, (_, c) => `P${c}`),
    paths: Array.from({ length: n }, (_, i) => `p/${i}.jpg`),
  };
}

Deno.test("evaluationFaces keeps everything except in smoke, where it keeps whole identities", () => {
  const f = faces(60, 3);
  equal(evaluationFaces(f, "quick"), f);
  const s = evaluationFaces(f, "smoke");
  equal(s.classNames.length, SMOKE_IDENTITIES);
  equal(s.n, SMOKE_IDENTITIES * 3);
  // Whole identities: every kept name still has all 3 of its images.
  for (let c = 0; c < s.classNames.length; c++) equal(s.labels.filter((l) => l === c).length, 3);
  deepEqual(evaluationFaces(f, "smoke").paths, s.paths, "seeded: the same sample every time");
});

Deno.test("facesFingerprint changes when an image or a label changes", () => {
  const f = faces(3, 2);
  const a = facesFingerprint(f);
  equal(facesFingerprint(faces(3, 2)), a);
  notEqual(facesFingerprint({ ...f, paths: f.paths.map((p, i) => (i === 4 ? "x.jpg" : p)) }), a);
  notEqual(facesFingerprint({ ...f, classNames: ["P0", "P1", "Q"] }), a);
});

Deno.test("scaledEpochs maps the slides' epochs proportionally, never below 1", () => {
  deepEqual(scaledEpochs([1, 10, 25, 50, 100, 230], 230, 10), [1, 1, 1, 2, 4, 10]);
  deepEqual(scaledEpochs([1, 50, 100, 200, 300, 421], 421, 421), [1, 50, 100, 200, 300, 421]);
});

Deno.test("lossAtSlideEpochs picks the history rows of the mapped epochs", () => {
  const history = [1, 2, 3, 4].map((e) => ({
    epoch: e,
    loss: 1 / e,
    lr: 0.05,
    activeFraction: 0.5,
    seconds: 1,
    imagesPerSecond: 1,
  }));
  const rows = lossAtSlideEpochs("zf", history, [1, 115, 230, 500], 4);
  deepEqual(rows.map((r) => r.epoch), [1, 2, 4, 4]);
  deepEqual(rows.map((r) => r.loss), [1, 0.5, 0.25, 0.25]);
});

Deno.test("cachedEmbeddings computes once, then reloads identical values; a new epoch or flip-averaging recomputes", async () => {
  await setupBackend({ quiet: true });
  const model = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [4, 4, 1] }),
      tfl.layers.dense({ units: 3, kernelInitializer: "ones" }),
    ],
  });
  const dir = Deno.makeTempDirSync();
  const f = faces(2, 3);
  const a = await cachedEmbeddings({ model, runDir: dir, epochsDone: 5 }, f, "train");
  equal(a.fromCache, false);
  equal(a.dim, 3);
  // Independent reference: with all-ones weights each output is the sum of the scaled pixels.
  for (let i = 0; i < f.n; i++) {
    let s = 0;
    for (let p = 0; p < 16; p++) s += f.pixels[i * 16 + p] / 127.5 - 1;
    ok(Math.abs(a.embeddings[i * 3] - s) < 1e-3, `image ${i}: ${a.embeddings[i * 3]} vs ${s}`);
  }
  const b = await cachedEmbeddings({ model, runDir: dir, epochsDone: 5 }, f, "train");
  equal(b.fromCache, true);
  deepEqual([...b.embeddings], [...a.embeddings]);
  const c = await cachedEmbeddings({ model, runDir: dir, epochsDone: 6 }, f, "train");
  equal(c.fromCache, false);
  await rejects(() => cachedEmbeddings({ model, runDir: dir, epochsDone: 6 }, f, "../x"), /plain file name/);
  // Flip-averaged under the same name is another embedding: recomputed, not the plain one reloaded. With
  // all-ones weights an image and its mirror give the same sums, so the average, normalised, is (1,1,1)/√3
  // times the sign of the sum.
  const d = await cachedEmbeddings({ model, runDir: dir, epochsDone: 6 }, f, "train", { flip: true });
  equal(d.fromCache, false);
  for (let i = 0; i < f.n * 3; i++) {
    const sum = c.embeddings[i - (i % 3)];
    ok(
      Math.abs(d.embeddings[i] - Math.sign(sum) / Math.sqrt(3)) < 1e-5,
      `flip-averaged ${i}: ${d.embeddings[i]}`,
    );
  }
  equal(
    (await cachedEmbeddings({ model, runDir: dir, epochsDone: 6 }, f, "train", { flip: true })).fromCache,
    true,
  );
  equal((await cachedEmbeddings({ model, runDir: dir, epochsDone: 6 }, f, "train")).fromCache, false);
  model.dispose();
  Deno.removeSync(dir, { recursive: true });
});
