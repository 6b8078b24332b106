import { deepEqual, equal, hasSharedData, ok, SHARED_DATA, throws } from "../assert.ts";
import { lfwImageList, lfwImagePath, readLfwIndex, subsetByMinImages } from "../../lib/data/lfw.ts";
import { loadPairs, type Pair } from "../../lib/data/protocol.ts";
import type { FaceSet } from "../../lib/data/faceset.ts";
import {
  firstPairsPerGroup,
  pairImages,
  pairsOfGroup,
  selectPairs,
  trainingOverlap,
  unseenPairIndices,
} from "../../lib/verify/lfw_pairs.ts";
import { tinyLfw } from "./tiny_lfw.ts";

let line = 1;
const same = (name: string, n1: number, n2: number): Pair => ({
  a: { name, number: n1 },
  b: { name, number: n2 },
  same: true,
  line: ++line,
});
const diff = (n1: string, k1: number, n2: string, k2: number): Pair => ({
  a: { name: n1, number: k1 },
  b: { name: n2, number: k2 },
  same: false,
  line: ++line,
});

Deno.test("pairImages gathers each distinct image once and points pairs at the right rows", () => {
  const all = tinyLfw({ Ann: 3, Bob: 1, Cid: 2 }); // rows: Ann 0–2, Bob 3, Cid 4–5
  const groups = [
    [same("Ann", 1, 3), diff("Ann", 1, "Bob", 1)],
    [same("Cid", 2, 1), diff("Bob", 1, "Cid", 2)],
  ];
  const p = pairImages(groups, all);
  // First appearance order: Ann1, Ann3, Bob1, Cid2, Cid1.
  deepEqual(Array.from(p.faces.pixels), [0, 2, 3, 5, 4]);
  deepEqual(p.faces.paths, [
    lfwImagePath("Ann", 1),
    lfwImagePath("Ann", 3),
    lfwImagePath("Bob", 1),
    lfwImagePath("Cid", 2),
    lfwImagePath("Cid", 1),
  ]);
  deepEqual(Array.from(p.a), [0, 0, 3, 2]);
  deepEqual(Array.from(p.b), [1, 2, 4, 3]);
  deepEqual(p.same, [true, false, true, false]);
  deepEqual(Array.from(p.group), [0, 0, 1, 1]);
  // Every pair's rows hold exactly the images the pair names (brute-force check through the paths).
  const flat = groups.flat();
  flat.forEach((q, i) => {
    equal(p.faces.paths[p.a[i]], lfwImagePath(q.a.name, q.a.number));
    equal(p.faces.paths[p.b[i]], lfwImagePath(q.b.name, q.b.number));
    equal(p.faces.classNames[p.faces.labels[p.a[i]]], q.a.name);
  });
});

Deno.test("pairImages names the file and line of a pair whose image is missing or mislabelled", () => {
  const all = tinyLfw({ Ann: 2, Bob: 1 });
  const missing = same("Ann", 1, 7);
  throws(
    () => pairImages([[missing]], all, "pairs.txt"),
    new RegExp(`pairs\\.txt:${missing.line}: .*Ann_0007`),
  );
  const wrong = { ...diff("Ann", 1, "Bob", 1), same: true };
  throws(() => pairImages([[wrong]], all, "x.txt"), new RegExp(`x\\.txt:${wrong.line}: marked same`));
});

Deno.test("selectPairs keeps the chosen pairs and renumbers their groups densely", () => {
  const all = tinyLfw({ Ann: 3, Bob: 1, Cid: 2 });
  const p = pairImages([[same("Ann", 1, 2)], [diff("Ann", 1, "Bob", 1)], [same("Cid", 1, 2)]], all);
  const s = selectPairs(p, [2, 0]);
  deepEqual(Array.from(s.a), [p.a[2], p.a[0]]);
  deepEqual(Array.from(s.b), [p.b[2], p.b[0]]);
  deepEqual(s.same, [true, true]);
  deepEqual(Array.from(s.group), [0, 1]);
  throws(() => selectPairs(p, [3]), /outside 0…2/);
});

Deno.test("pairsOfGroup takes one group's distances and flags, in order, with the pairs' own distances", () => {
  const all = tinyLfw({ Ann: 3, Bob: 1, Cid: 2 });
  const p = pairImages([
    [same("Ann", 1, 2), diff("Ann", 1, "Bob", 1)],
    [same("Cid", 1, 2), diff("Bob", 1, "Cid", 2), same("Ann", 2, 3)],
    [diff("Ann", 3, "Cid", 1)],
  ], all);
  // Distance of pair i: the sum of its two images' pixels (their LFW rows), so each entry says which pair it is.
  const d = Array.from(p.a, (a, i) => p.faces.pixels[a] + p.faces.pixels[p.b[i]]);
  const g1 = pairsOfGroup(p, Float64Array.from(d), 1);
  deepEqual(g1.distances, [4 + 5, 3 + 5, 1 + 2]);
  deepEqual(g1.same, [true, false, true]);
  deepEqual(pairsOfGroup(p, d, 2), { distances: [2 + 4], same: [false] });
  throws(() => pairsOfGroup(p, d, 3), /no pairs in group 3/);
  throws(() => pairsOfGroup(p, d.slice(1), 0), /5 distances for 6 pairs/);
});

Deno.test("firstPairsPerGroup keeps the first same and different pairs of each group", () => {
  const g = [
    [same("A", 1, 2), same("B", 1, 2), same("C", 1, 2), diff("A", 1, "B", 1), diff("B", 1, "C", 1)],
    [same("D", 1, 2), diff("D", 1, "E", 1), diff("E", 1, "F", 1), diff("F", 1, "G", 1)],
  ];
  const r = firstPairsPerGroup(g, 2);
  deepEqual(r, [[g[0][0], g[0][1], g[0][3], g[0][4]], [g[1][0], g[1][1], g[1][2]]]);
  throws(() => firstPairsPerGroup(g, 0), /positive integer/);
});

Deno.test("trainingOverlap and unseenPairIndices agree with a direct count", () => {
  const pairs = [
    same("A", 1, 2),
    same("Z", 1, 2),
    diff("A", 1, "B", 1),
    diff("A", 1, "Z", 1),
    diff("Y", 1, "Z", 1),
    diff("Y", 2, "Z", 2),
  ];
  const trained = new Set(["A", "B"]);
  deepEqual(trainingOverlap(pairs, trained), [
    { kind: "same", pairs: 2, both: 1, one: 0, neither: 1 },
    { kind: "different", pairs: 4, both: 1, one: 1, neither: 2 },
  ]);
  deepEqual(unseenPairIndices(pairs, trained), [1, 4, 5]);
});

Deno.test({
  name: "pairImages on the real pairs.txt: 6,000 pairs, every image found, counts as documented",
  ignore: !hasSharedData(),
  fn() {
    const index = readLfwIndex(SHARED_DATA);
    const list = lfwImageList(index);
    const all: FaceSet = {
      pixels: new Uint8Array(list.length),
      n: list.length,
      height: 1,
      width: 1,
      labels: Int32Array.from(list, (x) => x.label),
      classNames: index.people.map((p) => p.name),
      paths: list.map((x) => x.path),
    };
    const { folds } = loadPairs(SHARED_DATA);
    const p = pairImages(folds, all);
    equal(p.a.length, 6000);
    equal(p.same.filter((s) => s).length, 3000);
    // Distinct images = the set of paths the pairs name.
    const names = new Set(
      folds.flat().flatMap((q) => [lfwImagePath(q.a.name, q.a.number), lfwImagePath(q.b.name, q.b.number)]),
    );
    equal(p.faces.n, names.size);
    ok(p.faces.n > 7000 && p.faces.n < 8000, `${p.faces.n} distinct pair images`);
    for (let f = 0; f < 10; f++) equal(p.group.filter((g) => g === f).length, 600);
    // Some pair people are training identities (≥ 3 images), some are not.
    const trained = new Set(subsetByMinImages(index, 3).people.map((q) => q.name));
    const o = trainingOverlap(folds.flat(), trained);
    equal(o[0].pairs + o[1].pairs, 6000);
    ok(o[0].both > 0 && o[1].neither > 0);
    // A same pair needs two images of its person, so a same pair is never "one".
    equal(o[0].one, 0);
  },
});
