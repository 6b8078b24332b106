/** The fixed held-out check (lib/training/heldout.ts) and the pilots' CSV table (pilot.ts). */
import { assertClose, deepEqual, equal, ok, throws } from "../assert.ts";
import { Rng } from "../../lib/rng.ts";
import type { FaceSet } from "../../lib/data/faceset.ts";
import {
  appendPilotRow,
  heldOutImageIndices,
  heldOutLabels,
  heldOutMetrics,
  heldOutNames,
  PILOT_COLUMNS,
  PILOT_HELD_OUT,
  type PilotRow,
  rankAuc,
  trainingIdentities,
  withoutHeldOutImages,
} from "../../lib/training/mod.ts";

function bruteAuc(same: number[], diff: number[]): number {
  let s = 0;
  for (const a of same) for (const b of diff) s += a < b ? 1 : a === b ? 0.5 : 0;
  return s / (same.length * diff.length);
}

Deno.test("rankAuc equals the brute-force pair count, ties included", () => {
  const rng = new Rng(1);
  for (let trial = 0; trial < 30; trial++) {
    const same = Array.from({ length: 1 + rng.int(40) }, () => rng.int(12)); // small integers: many ties
    const diff = Array.from({ length: 1 + rng.int(40) }, () => rng.int(12) + 2);
    equal(rankAuc(same, diff), bruteAuc(same, diff), `trial ${trial}`);
  }
  equal(rankAuc([0, 1], [2, 3]), 1);
  equal(rankAuc([2, 3], [0, 1]), 0);
  equal(rankAuc([1], [1]), 0.5);
  throws(() => rankAuc([], [1]), /both kinds of pairs/);
});

Deno.test("heldOutMetrics: AUC, means and 1-NN leave-one-out against a direct count", () => {
  // 1-D embeddings: identity 0 near 0, identity 1 near 10, and one image of identity 1 at 0.5.
  const emb = [0, 0.2, 1, 10, 10.3, 0.5];
  const labels = [0, 0, 0, 1, 1, 1];
  const m = heldOutMetrics(emb, labels, 1);
  const same: number[] = [], diff: number[] = [];
  for (let i = 0; i < 6; i++) {
    for (let j = i + 1; j < 6; j++) (labels[i] === labels[j] ? same : diff).push((emb[i] - emb[j]) ** 2);
  }
  equal(m.auc, bruteAuc(same, diff));
  assertClose(m.meanSame, same.reduce((a, b) => a + b) / same.length, 1e-12);
  assertClose(m.meanDiff, diff.reduce((a, b) => a + b) / diff.length, 1e-12);
  // Nearest other image: 0→0.2 ✓, 0.2→0 ✓, 1→0.5 ✗, 10→10.3 ✓, 10.3→10 ✓, 0.5→0.2 ✗.
  equal(m.nnAccuracy, 4 / 6);
  deepEqual([m.identities, m.images], [2, 6]);
});

function fakeFaces(counts: number[], order: number[]): Pick<FaceSet, "labels" | "classNames"> {
  const classNames = order.map((i) => `person_${String(i).padStart(3, "0")}`);
  const labels: number[] = [];
  order.forEach((i, c) => {
    for (let k = 0; k < counts[i]; k++) labels.push(c);
  });
  return { labels: Int32Array.from(labels), classNames };
}

Deno.test("held-out identities: seeded, by name (label order does not matter), eligible ones only, excluded from training", () => {
  const counts = Array.from({ length: 120 }, (_, i) => (i % 4 === 0 ? 2 : 3 + (i % 5)));
  const eligible = counts.filter((c) => c >= 3).length; // 90
  const a = fakeFaces(counts, counts.map((_, i) => i));
  const shuffled = new Rng(4).shuffle(Int32Array.from(counts.keys()));
  const b = fakeFaces(counts, Array.from(shuffled));
  const names = heldOutNames(a, PILOT_HELD_OUT);
  equal(names.length, Math.round(0.1 * eligible));
  deepEqual(heldOutNames(b, PILOT_HELD_OUT), names);
  ok(names.every((n) => counts[Number(n.slice(7))] >= 3));
  ok(
    JSON.stringify(heldOutNames(a, { ...PILOT_HELD_OUT, seed: 1 })) !== JSON.stringify(names),
    "seed matters",
  );
  // trainingIdentities leaves them out.
  const px = 4;
  const faces: FaceSet = {
    ...b,
    pixels: new Uint8Array(b.labels.length * px),
    n: b.labels.length,
    height: 2,
    width: 2,
    paths: Array.from(b.labels, (_, i) => `x/${i}.jpg`),
  };
  const train = trainingIdentities(faces, 3, null, 42, heldOutLabels(faces, PILOT_HELD_OUT));
  equal(train.classNames.length, eligible - names.length);
  ok(train.classNames.every((n) => !names.includes(n)));
  throws(() => heldOutNames(a, { fraction: 1.5, seed: 1 }), /fraction must be in \(0, 1\)/);
});

Deno.test("appendPilotRow writes the header once, appends rows, refuses a file with another header", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facenet_pilots_" });
  try {
    const file = `${dir}/sub/pilots.csv`;
    const row = Object.fromEntries(PILOT_COLUMNS.map((c) => [c, 1])) as unknown as PilotRow;
    appendPilotRow(file, { ...row, recipe: "a,b", heldout_auc: 0.123456789 });
    appendPilotRow(file, row);
    const lines = Deno.readTextFileSync(file).trimEnd().split("\n");
    equal(lines.length, 3);
    equal(lines[0], PILOT_COLUMNS.join(","));
    ok(lines[1].startsWith('"a,b",1,'), lines[1]);
    ok(lines[1].includes(",0.12346,"), lines[1]);
    Deno.writeTextFileSync(`${dir}/other.csv`, "x,y\n1,2\n");
    throws(
      () => appendPilotRow(`${dir}/other.csv`, row),
      /other\.csv: its header is not the pilots' table header/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A face set with `sizes[c]` images of class c (1×1 pixels), paths in a shuffled order. */
function sizedFaces(sizes: number[], seed = 4): FaceSet {
  const rows: { label: number; path: string }[] = [];
  sizes.forEach((k, c) => {
    for (let i = 0; i < k; i++) rows.push({ label: c, path: `p${c}/img_${String(i).padStart(4, "0")}.jpg` });
  });
  const rng = new Rng(seed);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  return {
    pixels: new Uint8Array(rows.length),
    n: rows.length,
    height: 1,
    width: 1,
    labels: Int32Array.from(rows.map((r) => r.label)),
    classNames: sizes.map((_, c) => `person${c}`),
    paths: rows.map((r) => r.path),
  };
}

Deno.test("heldOutImageIndices: one image of each person with ≥ minImages, independent of row order", () => {
  const sizes = [2, 3, 4, 5, 9, 4, 1];
  const a = sizedFaces(sizes, 4), b = sizedFaces(sizes, 99);
  const spec = { minImages: 4, seed: 2017 };
  const ia = heldOutImageIndices(a, spec), ib = heldOutImageIndices(b, spec);
  // one per person with ≥ 4 images (persons 2, 3, 4, 5), none of the others
  deepEqual(ia.map((i) => a.labels[i]).sort(), [2, 3, 4, 5]);
  // the same images (by path) whatever the row order
  deepEqual(ia.map((i) => a.paths[i]).sort(), ib.map((i) => b.paths[i]).sort());
  ok(ia.every((v, k) => k === 0 || ia[k - 1] < v), "ascending");
  // the draw uses the seed: over several seeds, person 4 (9 images) does not always lose the same image
  const drawn = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((s) => {
    const i = heldOutImageIndices(a, { minImages: 4, seed: s }).find((r) => a.labels[r] === 4)!;
    return a.paths[i];
  }));
  ok(drawn.size > 1, `seeds drew ${drawn.size} distinct images`);
  throws(() => heldOutImageIndices(a, { minImages: 1, seed: 0 }), /minImages must be an integer ≥ 2/);
});

Deno.test("withoutHeldOutImages removes exactly the held-out images", () => {
  const f = sizedFaces([4, 6, 3]);
  const spec = { minImages: 4, seed: 1 };
  const held = new Set(heldOutImageIndices(f, spec).map((i) => f.paths[i]));
  const rest = withoutHeldOutImages(f, spec);
  equal(rest.n, f.n - 2);
  ok(rest.paths.every((p) => !held.has(p)));
  equal(new Set(rest.paths).size + held.size, f.n);
});
