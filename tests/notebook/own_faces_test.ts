import pl from "nodejs-polars";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { deepEqual, equal, match, ok, throws } from "../assert.ts";
import { REPO_ROOT } from "../../lib/config.ts";
import type { Face, GroupPhoto } from "../../lib/faces/mod.ts";
import {
  assignGroupFaces,
  betterNetwork,
  examplePairRows,
  examplePairs,
  faceThumbnail,
  gatherRows,
  heldOutPredictions,
  holdOutSplit,
  knownStrangerSplit,
  personThumbnails,
  separationTable,
  stackCrops,
} from "../../lib/notebook/own_faces.ts";
import { fitClassifier } from "../../lib/classify/fit.ts";

Deno.test("gatherRows copies the chosen rows in order", () => {
  const x = Float32Array.from({ length: 12 }, (_, i) => i); // 4 rows of 3
  deepEqual(Array.from(gatherRows(x, 3, [2, 0, 2])), [6, 7, 8, 0, 1, 2, 6, 7, 8]);
  throws(() => gatherRows(x, 3, [4]), /outside 0…3/);
  throws(() => gatherRows(x, 5, [0]), /rows of 5/);
});

Deno.test("holdOutSplit holds out the last images of each identity and keeps one to train on", () => {
  const labels = [0, 1, 0, 0, 2, 1, 0, 2, 3];
  const { train, test } = holdOutSplit(labels, 2);
  // Identity 0: rows 0 2 3 6 → test 3 6; identity 1: rows 1 5 → test 5; 2: rows 4 7 → test 7; 3: row 8 only.
  deepEqual(test, [3, 5, 6, 7]);
  deepEqual(train, [0, 1, 2, 4, 8]);
  // Together they are every row exactly once.
  deepEqual([...train, ...test].sort((a, b) => a - b), labels.map((_, i) => i));
  deepEqual(holdOutSplit(labels, 0), { train: labels.map((_, i) => i), test: [] });
  throws(() => holdOutSplit(labels, -1), /non-negative/);
});

Deno.test("examplePairs gives same pairs within and different pairs across identities", () => {
  const labels = [5, 5, 5, 7, 7, 9, 9, 9, 9, 11];
  const pairs = examplePairs(labels, 4, 3);
  const s = pairs.filter((p) => p.same), d = pairs.filter((p) => !p.same);
  equal(s.length, 4);
  equal(d.length, 4);
  for (const p of s) ok(p.i !== p.j && labels[p.i] === labels[p.j], JSON.stringify(p));
  for (const p of d) ok(labels[p.i] !== labels[p.j], JSON.stringify(p));
  // Same pairs cycle over the identities with ≥ 2 images, starting from each one's first image.
  deepEqual(s.map((p) => labels[p.i]), [5, 7, 9, 5]);
  deepEqual(s.map((p) => p.i), [0, 3, 5, 0]);
  // Seeded: the same seed gives the same pairs.
  deepEqual(examplePairs(labels, 4, 3), pairs);
});

Deno.test("examplePairRows: people, photos and both distance conventions per network", () => {
  // Three 2-d embeddings per network: image 0 at (1,0), 1 at (0,1), 2 at (−1,0).
  const a = Float32Array.from([1, 0, 0, 1, -1, 0]);
  const b = Float32Array.from([1, 0, 1, 0, 0, 1]);
  const faces = { labels: Int32Array.from([0, 0, 1]), paths: ["x/Ann_1.png", "x/Ann_2.png", "y/Bob_1.png"] };
  const rows = examplePairRows(
    [{ i: 0, j: 1, same: true }, { i: 0, j: 2, same: false }],
    faces,
    ["Ann", "Bob"],
    { A: a, B: b },
    2,
  );
  deepEqual(rows[0], {
    "person A": "Ann",
    "photo A": "Ann_1.png",
    "person B": "Ann",
    "photo B": "Ann_2.png",
    same: "yes",
    "d² A": 2,
    "d A": Math.SQRT2,
    "d² B": 0,
    "d B": 0,
  });
  equal(rows[1].same, "no");
  equal(rows[1]["person B"], "Bob");
  equal(rows[1]["d² A"], 4, "opposite unit vectors");
  equal(rows[1]["d A"], 2);
  equal(rows[1]["d² B"], 2);
});

Deno.test("assignGroupFaces keeps the largest face per tile and reports strays and misses", () => {
  const group: GroupPhoto = {
    image: { data: new Uint8Array(3 * 400 * 100), width: 400, height: 100 },
    members: [
      { name: "Ann", tile: { x: 0, y: 0, width: 100, height: 100 } },
      { name: "Bob", tile: { x: 150, y: 0, width: 100, height: 100 } },
      { name: "Cid", tile: { x: 300, y: 0, width: 100, height: 100 } },
    ],
  };
  const face = (x: number, w: number): Face => ({ box: { x, y: 10, width: w, height: w }, score: 0.9 });
  const small = face(10, 20), big = face(30, 50), bob = face(160, 40), between = face(115, 20);
  const r = assignGroupFaces(group, [small, bob, big, between]);
  deepEqual(r.assigned, [{ name: "Ann", face: big }, { name: "Bob", face: bob }]);
  deepEqual(r.stray, [between]);
  deepEqual(r.missed, ["Cid"]);
});

Deno.test("separationTable: hand-worked distances for two people in the plane", () => {
  // Person 0 at (1,0) twice; person 1 at (0,1) and (0.6,0.8). Squared distances:
  // ++: 0 (person 0), |(0,1)−(0.6,0.8)|² = 0.36 + 0.04 = 0.4 (person 1);
  // +−: (1,0)–(0,1) = 2 twice, (1,0)–(0.6,0.8) = 0.16 + 0.64 = 0.8 twice.
  const good = new Float32Array([1, 0, 1, 0, 0, 1, 0.6, 0.8]);
  // A network that maps everyone to the same point separates nobody.
  const bad = new Float32Array([1, 0, 1, 0, 1, 0, 1, 0]);
  const rows = separationTable({ good, bad }, 2, [0, 0, 1, 1]);
  equal(rows.length, 2);
  equal(rows[0].network, "good");
  ok(Math.abs(rows[0]["mean d² same"] - 0.2) < 1e-6, `mean same ${rows[0]["mean d² same"]}`);
  ok(Math.abs(rows[0]["mean d² different"] - 1.4) < 1e-6, `mean different ${rows[0]["mean d² different"]}`);
  equal(rows[0]["balanced accuracy"], 1);
  ok(rows[0].threshold >= 0.4 && rows[0].threshold < 0.8, `threshold ${rows[0].threshold}`);
  equal(rows[1]["mean d² same"], 0);
  equal(rows[1]["mean d² different"], 0);
  equal(rows[1]["balanced accuracy"], 0.5);
  equal(betterNetwork(rows).network, "good");
});

Deno.test("betterNetwork picks the higher balanced accuracy and says so on a tie", () => {
  const row = (network: string, acc: number) => ({
    network,
    "mean d² same": 0,
    "mean d² different": 1,
    threshold: 0.5,
    "balanced accuracy": acc,
  });
  deepEqual(betterNetwork([row("zf", 0.8), row("inception", 0.9)]), {
    network: "inception",
    tie: false,
    message: "better on these people: inception",
  });
  deepEqual(betterNetwork([row("zf", 0.9), row("inception", 0.9)]), {
    network: "zf",
    tie: true,
    message: "both networks separate these people equally well; using zf",
  });
  throws(() => betterNetwork([]), /no networks/);
});

Deno.test("knownStrangerSplit: hand-worked splits, the stranger and the classifier kind", () => {
  // people 0, 1, 2 known (4, 5, 4 photos), person 3 the stranger; each known one has ≥ 4 → 3 held out
  const labels = [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 0, 1, 2, 1];
  const s = knownStrangerSplit(labels, 4);
  deepEqual(s.known, [0, 1, 2]);
  equal(s.heldOut, 3);
  // person 0: photos 0 4 8 11 → train 0; person 1: 1 5 9 12 14 → train 1 5; person 2: 2 6 10 13 → train 2
  deepEqual(s.train, [0, 1, 2, 5]);
  deepEqual(s.test, [4, 6, 8, 9, 10, 11, 12, 13, 14]);
  deepEqual(s.stranger, [3, 7]);
  deepEqual([s.single, s.notes], [[], []]);
  deepEqual(s.spec, { kind: "knn", k: 1 }); // one training photo each: nearest neighbour

  // eight photos each of three people: 5 train each → SVM; two people: nobody is a stranger
  const many = Array.from({ length: 24 }, (_, i) => i % 3);
  const m = knownStrangerSplit(many, 3);
  deepEqual(m.known, [0, 1]);
  equal(m.train.length, 10);
  equal(m.stranger.length, 8);
  deepEqual(m.spec, { kind: "svm", kernel: "rbf", C: 10, gamma: "scale" });
  const two = knownStrangerSplit([0, 1, 0, 1, 1], 2);
  deepEqual(two.known, [0, 1]);
  equal(two.heldOut, 1); // person 0 has only 2 photos
  deepEqual([two.train, two.test, two.stranger], [[0, 1, 3], [2, 4], []]);
  // every photo lands in exactly one of the three lists
  for (const t of [s, m, two]) {
    const all = [...t.train, ...t.test, ...t.stranger].sort((a, b) => a - b);
    deepEqual(all, Array.from({ length: all.length }, (_, i) => i));
  }
  throws(() => knownStrangerSplit([0, 0], 1), /at least 2 people/);
  throws(() => knownStrangerSplit([0, 5], 3), /label 5 outside 0…2/);
  throws(() => knownStrangerSplit([0, 0, 2], 3), /person 1 has no photos/);
});

Deno.test("knownStrangerSplit: a person with one photo is a stranger, named in a note, never a known class without a held-out photo", () => {
  const names = ["Alice", "Carol", "Dave"];
  // Alice 0 3 5, Carol 1 (one photo), Dave 2 4 6: three photos each → 1 held out each, the last one.
  const s = knownStrangerSplit([0, 1, 2, 0, 2, 0, 2], 3, names);
  deepEqual(s.known, [0, 2], "Carol is not one of the classifier's people; Dave, the last, stays known");
  deepEqual(s.single, [1]);
  equal(s.heldOut, 1);
  deepEqual([s.train, s.test, s.stranger], [[0, 2, 3, 4], [5, 6], [1]]);
  for (const c of s.known) {
    ok(s.test.some((i) => [0, 1, 2, 0, 2, 0, 2][i] === c), `held-out photo of ${names[c]}`);
  }
  equal(s.notes.length, 1);
  match(s.notes[0], /^Carol: only 1 photo with a face, so not in the held-out test/);
  deepEqual(s.spec, { kind: "knn", k: 1 });

  // The single-photo person comes first: everyone else stays known (no extra stranger is taken).
  const first = knownStrangerSplit([0, 1, 1, 2, 2, 3, 3], 4);
  deepEqual(first.known, [1, 2, 3]);
  deepEqual([first.train, first.test, first.stranger], [[1, 3, 5], [2, 4, 6], [0]]);
  match(first.notes[0], /^person 0: only 1 photo/);
  // The last person has the single photo: the stranger as before, now also listed as single.
  const last = knownStrangerSplit([0, 1, 2, 3, 0, 1, 2], 4);
  deepEqual([last.known, last.single, last.stranger], [[0, 1, 2], [3], [3]]);

  // Fewer than 2 people with 2 photos: no classifier can be built, and the message says who has 1.
  throws(
    () => knownStrangerSplit([0, 1, 0], 2, ["Alice", "Bob"]),
    /needs at least 2 people with 2 or more photos .*; Bob has 1 and only Alice has more$/,
  );
  throws(() => knownStrangerSplit([0, 1, 2, 2], 3, ["A", "B", "C"]), /A has 1, B has 1 and only C has more$/);
});

Deno.test("the committed notebook 05 and its tracked tables show only the default unseen people", () => {
  // quick/full run notebooks in place; with the user's photos, notebook 05 must go to build/own/
  // instead (scripts/notebook_runner.ts notebookTargets). This catches a copy that got committed anyway.
  const nb = JSON.parse(Deno.readTextFileSync(join(REPO_ROOT, "notebooks", "05_own_faces.ipynb"))) as {
    cells: { cell_type: string; outputs?: { text?: string[]; data?: Record<string, string | string[]> }[] }[];
  };
  const texts = nb.cells.flatMap((c) => c.outputs ?? []).flatMap((o) => [
    ...(o.text ? [o.text.join("")] : []),
    ...Object.entries(o.data ?? {}).filter(([k]) => k.startsWith("text/")).map(([, v]) =>
      [v].flat().join("")
    ),
  ]);
  const defaults = Array.from({ length: 6 }, (_, i) => `ORL s${i + 1}`); // cell "the people": 6 AT&T/ORL subjects
  ok(
    texts.some((t) => /^No photos in .*own: 6 people from the AT&T\/ORL face database/.test(t)),
    "run without own photos",
  );
  ok(!texts.some((t) => /your own photos|Your photos in/.test(t)), "no output speaks of the user's photos");
  const table = texts.find((t) => t.startsWith("**Unseen people**"));
  ok(table, "the table of people is there");
  const people = table.split("\n").slice(4).map((l) => l.split("|")[1].trim());
  deepEqual(people, defaults);

  const dir = join(REPO_ROOT, "figures", "05_own_faces");
  const nameColumns = ["row", "column", "person", "predicted", "person A", "person B", "true name"];
  let checked = 0;
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".csv"))) {
    const df = pl.readCSV(Deno.readTextFileSync(join(dir, f)));
    for (const col of df.columns.filter((c) => nameColumns.includes(c))) {
      for (const v of df.getColumn(col).toArray()) {
        ok(defaults.includes(String(v)), `${f}, column ${col}: ${v} is not a default unseen person`);
        checked++;
      }
    }
    if (df.columns.includes("photo")) {
      for (const v of df.getColumn("photo").toArray()) match(String(v), /^att_faces\/s[1-6]\/\d+\.pgm$/);
    }
  }
  ok(checked > 50, `names checked in the tables: ${checked}`);
});

Deno.test("heldOutPredictions: a 1-NN on points in the plane, one of them misclassified", async () => {
  // person 0 near (0, 0), person 1 near (10, 0); photo 3 (person 1) sits next to person 0
  const x = Float32Array.from([0, 0, 10, 0, 1, 0, 2, 0, 9, 0]);
  const labels = [0, 1, 0, 1, 1];
  const paths = ["a0", "b0", "a1", "b1", "b2"];
  const clf = await fitClassifier({ kind: "knn", k: 1 }, gatherRows(x, 2, [0, 1]), 2, [0, 1]);
  const r = heldOutPredictions(clf, x, 2, [2, 3, 4], { labels, paths }, ["Ann", "Bob"]);
  deepEqual(r.rows.map((p) => [p.photo, p.person, p.predicted, p.confidence, p["p(true person)"]]), [
    ["a1", "Ann", "Ann", 1, 1],
    ["b1", "Bob", "Ann", 1, 0],
    ["b2", "Bob", "Bob", 1, 1],
  ]);
  equal(r.accuracy, 2 / 3);
  ok(Number.isNaN(heldOutPredictions(clf, x, 2, [], { labels, paths }, ["Ann", "Bob"]).accuracy));
});

// A block of 2×3 images whose every pixel is 10 × the image's row plus its position: a pixel says where it came from.
function tinyBlock(labels: number[], classNames: string[]) {
  const px = 6;
  return {
    pixels: Uint8Array.from({ length: labels.length * px }, (_, t) => 10 * Math.floor(t / px) + (t % px)),
    n: labels.length,
    height: 2,
    width: 3,
    labels: Int32Array.from(labels),
    classNames,
    paths: labels.map((l, i) => `people/${classNames[l]}/photo_${i}.jpg`),
  };
}

Deno.test("faceThumbnail gives image i's pixels and size", () => {
  const b = tinyBlock([0, 1, 0], ["Ann", "Bob"]);
  const t = faceThumbnail(b, 2, "x");
  deepEqual(Array.from(t.pixels), [20, 21, 22, 23, 24, 25]);
  deepEqual([t.width, t.height, t.label], [3, 2, "x"]);
  throws(() => faceThumbnail(b, 3), /image 3 outside 0…2/);
});

Deno.test("personThumbnails: one row per person, the first captioned with the name, short rows padded with the first crop", () => {
  // Ann: images 0, 2, 3; Bob: image 1; Cid has no crop and is left out.
  const b = tinyBlock([0, 1, 0, 0], ["Ann", "Bob", "Cid"]);
  const all = personThumbnails(b);
  equal(all.columns, 3);
  deepEqual(all.thumbnails.map((t) => t.label), [
    "Ann: photo_0.jpg",
    "photo_2.jpg",
    "photo_3.jpg",
    "Bob: photo_1.jpg",
    "photo_1.jpg",
    "photo_1.jpg",
  ]);
  deepEqual(all.thumbnails.map((t) => t.pixels[0] / 10), [0, 2, 3, 1, 1, 1]);
  const two = personThumbnails(b, 2);
  equal(two.columns, 2);
  deepEqual(two.thumbnails.map((t) => t.pixels[0] / 10), [0, 2, 1, 1]);
  throws(() => personThumbnails(b, 0), /perRow must be a positive integer/);
});

Deno.test("stackCrops lays the crops out one after another and rejects a crop of the wrong size", () => {
  const crops = [Uint8Array.from([1, 2, 3, 4]), Uint8Array.from([5, 6, 7, 8]), Uint8Array.from([9, 9, 9, 9])];
  const block = stackCrops(crops, 2);
  deepEqual([block.n, block.height, block.width], [3, 2, 2]);
  deepEqual(Array.from(block.pixels), [1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9]);
  // Each image of the block is the crop it came from.
  crops.forEach((c, k) => deepEqual(faceThumbnail(block, k).pixels, c));
  equal(stackCrops([], 96).n, 0);
  throws(() => stackCrops([new Uint8Array(96 * 96), new Uint8Array(5)]), /crop 1 has 5 pixels, not 96×96/);
});
