import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  classSizeStats,
  lfwImageList,
  lfwImagePath,
  lfwSummaryLine,
  percentile,
  readLfwIndex,
  subsetByMinImages,
} from "../../lib/data/lfw.ts";
import { assertClose, deepEqual, equal, hasSharedData, ok, SHARED_DATA, throws } from "../assert.ts";

/** An LFW-like tree of empty .jpg files: the index only reads names. */
function emptyTree(people: Record<string, number[]>): string {
  const root = mkdtempSync(join(tmpdir(), "lfw-index-"));
  for (const [name, nums] of Object.entries(people)) {
    const dir = join(root, "lfw-deepfunneled", name);
    mkdirSync(dir, { recursive: true });
    for (const n of nums) writeFileSync(join(dir, `${name}_${String(n).padStart(4, "0")}.jpg`), "");
  }
  return root;
}

const PEOPLE: Record<string, number[]> = {
  Zed_Z: [1],
  Anna_B: [1, 2, 3, 4, 5, 6, 7],
  Carl_C: [2, 1, 3],
  Bob_A: [1, 2],
  Dora_D: [1],
  Eve_E: [1, 2, 3],
};

Deno.test("readLfwIndex lists people in name order with their image numbers", () => {
  const root = emptyTree(PEOPLE);
  try {
    writeFileSync(join(root, "lfw-deepfunneled", ".DS_Store"), "junk"); // hidden files are ignored
    const idx = readLfwIndex(root);
    deepEqual(idx.people.map((p) => p.name), ["Anna_B", "Bob_A", "Carl_C", "Dora_D", "Eve_E", "Zed_Z"]);
    deepEqual(idx.people.find((p) => p.name === "Carl_C")!.numbers, [1, 2, 3]);
    equal(idx.nImages, Object.values(PEOPLE).reduce((s, v) => s + v.length, 0));
    const list = lfwImageList(idx);
    equal(list.length, idx.nImages);
    deepEqual(list[7], { path: "lfw-deepfunneled/Bob_A/Bob_A_0001.jpg", label: 1 });
    equal(lfwImagePath("A_B", 12), "lfw-deepfunneled/A_B/A_B_0012.jpg");
  } finally {
    rmSync(root, { recursive: true });
  }
});

Deno.test("subsetByMinImages keeps exactly the people with enough images", () => {
  const root = emptyTree(PEOPLE);
  try {
    const idx = readLfwIndex(root);
    for (const k of [1, 2, 3, 4, 7, 8]) {
      const sub = subsetByMinImages(idx, k);
      const want = Object.entries(PEOPLE).filter(([, v]) => v.length >= k);
      deepEqual(sub.people.map((p) => p.name), want.map(([n]) => n).sort());
      equal(sub.nImages, want.reduce((s, [, v]) => s + v.length, 0));
    }
    equal(lfwSummaryLine(idx), "LFW: 6 people, 17 images; >=3 images: 3 people, 13 images");
    throws(() => subsetByMinImages(idx, 0), /positive integer/);
  } finally {
    rmSync(root, { recursive: true });
  }
});

Deno.test("readLfwIndex names the offending path for a wrong layout", () => {
  const cases: [string, (root: string) => void, RegExp][] = [
    [
      "missing folder",
      (r) => rmSync(join(r, "lfw-deepfunneled"), { recursive: true }),
      /LFW folder not found/,
    ],
    [
      "stray file",
      (r) => writeFileSync(join(r, "lfw-deepfunneled", "notes.txt"), ""),
      /notes\.txt: expected only person folders/,
    ],
    [
      "misnamed image",
      (r) => writeFileSync(join(r, "lfw-deepfunneled", "Bob_A", "Bob_0003.jpg"), ""),
      /Bob_A\/Bob_0003\.jpg: expected files named Bob_A_NNNN\.jpg/,
    ],
    [
      "empty person",
      (r) => mkdirSync(join(r, "lfw-deepfunneled", "Nobody")),
      /Nobody: person folder holds no images/,
    ],
    [
      "number 0",
      (r) => writeFileSync(join(r, "lfw-deepfunneled", "Bob_A", "Bob_A_0000.jpg"), ""),
      /Bob_A_0000\.jpg: image numbers start at 0001/,
    ],
  ];
  for (const [what, spoil, re] of cases) {
    const root = emptyTree(PEOPLE);
    try {
      spoil(root);
      throws(() => readLfwIndex(root), re, what);
    } finally {
      rmSync(root, { recursive: true });
    }
  }
});

Deno.test("percentile matches NumPy's linear method on hand-worked samples", () => {
  assertClose(percentile([1, 2, 3, 4], 25), 1.75); // numpy.percentile([1,2,3,4], 25)
  assertClose(percentile([10, 1, 5, 2, 1], 90), 8); // sorted 1,1,2,5,10: h = 3.6 → 5 + 0.6·5
  assertClose(percentile([7], 33), 7);
  assertClose(percentile([3, 1, 2], 0), 1);
  assertClose(percentile([3, 1, 2], 100), 3);
  assertClose(percentile([1, 2, 3, 4], 50), 2.5);
  throws(() => percentile([], 50), /empty/);
  throws(() => percentile([1], 101), /\[0, 100\]/);
});

Deno.test("classSizeStats agrees with brute-force computations on a random index", () => {
  let s = 12345;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const people: Record<string, number[]> = {};
  for (let i = 0; i < 157; i++) {
    const k = 1 + Math.floor(rand() ** 4 * 40); // skewed like LFW
    people[`P_${String(i).padStart(3, "0")}`] = Array.from({ length: k }, (_, j) => j + 1);
  }
  const root = emptyTree(people);
  try {
    const st = classSizeStats(readLfwIndex(root), {
      percentiles: [50, 95],
      topFractions: [0.05, 0.2],
      largest: 3,
    });
    const counts = Object.values(people).map((v) => v.length);
    equal(st.people, 157);
    equal(st.images, counts.reduce((a, b) => a + b, 0));
    assertClose(st.mean, st.images / 157);
    const sorted = [...counts].sort((a, b) => a - b);
    equal(st.median, sorted[78]); // odd count: the middle element
    equal(st.percentiles[50], st.median);
    equal(st.min, Math.min(...counts));
    equal(st.max, Math.max(...counts));
    // top-fraction minimum v: at least ceil(f·n) people have >= v images, fewer have >= v + 1.
    for (const f of [0.05, 0.2]) {
      const need = Math.ceil(f * 157);
      const v = st.topFractionMin[f];
      ok(counts.filter((c) => c >= v).length >= need, `f=${f}`);
      ok(counts.filter((c) => c >= v + 1).length < need, `f=${f}`);
    }
    // largest: no person outside the list has more images than the smallest listed.
    equal(st.largest.length, 3);
    const listed = new Set(st.largest.map((l) => l.name));
    for (const l of st.largest) equal(l.images, people[l.name].length);
    for (const [n, v] of Object.entries(people)) if (!listed.has(n)) ok(v.length <= st.largest[2].images);
    for (let k = 1; k < st.histogram.length; k++) {
      equal(
        st.histogram[k],
        counts.filter((c) => c === k).length,
      );
    }
  } finally {
    rmSync(root, { recursive: true });
  }
});

Deno.test({
  name: "LFW deep-funneled statistics match the course slides (shared data)",
  ignore: !hasSharedData(),
  fn() {
    const idx = readLfwIndex(SHARED_DATA);
    equal(idx.people.length, 5749);
    equal(idx.nImages, 13233);
    const st = classSizeStats(idx);
    equal(st.mean.toFixed(1), "2.3");
    equal(st.median, 1);
    ok(st.topFractionMin[0.05] >= 6, `top 5% have >= ${st.topFractionMin[0.05]}`);
    deepEqual(st.largest[0], { name: "George_W_Bush", images: 530 });
    const sub = subsetByMinImages(idx, 3);
    equal(sub.people.length, 901);
    equal(sub.nImages, 7606);
    equal(lfwSummaryLine(idx), "LFW: 5749 people, 13233 images; >=3 images: 901 people, 7606 images");
  },
});
