import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readLfwIndex } from "../../lib/data/lfw.ts";
import {
  checkCountsInIndex,
  checkPairsInIndex,
  loadDevPairs,
  loadDevPeople,
  loadNames,
  loadPairs,
  parseDevPairs,
  parseDevPeople,
  parseNames,
  parsePairs,
} from "../../lib/data/protocol.ts";
import { deepEqual, equal, hasSharedData, ok, SHARED_DATA, throws } from "../assert.ts";

// 2 folds × (2 same + 2 different), written by hand.
const PAIRS = [
  "2\t2",
  "Abel_A\t1\t2",
  "Abel_A\t2\t3",
  "Abel_A\t1\tBea_B\t4",
  "Cy_C\t1\tBea_B\t1",
  "Bea_B\t1\t3",
  "Cy_C\t2\t1",
  "Abel_A\t3\tCy_C\t2",
  "Bea_B\t2\tAbel_A\t1",
].join("\n") + "\n";

Deno.test("parsePairs reads folds of same then different pairs", () => {
  const { folds, perFold } = parsePairs(PAIRS, "p.txt");
  equal(perFold, 2);
  equal(folds.length, 2);
  deepEqual(folds.map((f) => f.map((p) => p.same)), [[true, true, false, false], [true, true, false, false]]);
  deepEqual(folds[0][1], {
    a: { name: "Abel_A", number: 2 },
    b: { name: "Abel_A", number: 3 },
    same: true,
    line: 3,
  });
  deepEqual(folds[1][3], {
    a: { name: "Bea_B", number: 2 },
    b: { name: "Abel_A", number: 1 },
    same: false,
    line: 9,
  });
  // CRLF line ends and no final newline parse the same.
  deepEqual(parsePairs(PAIRS.trimEnd().replaceAll("\n", "\r\n"), "p.txt").folds, folds);
});

Deno.test("parsePairs names file and line for malformed input", () => {
  const spoil = (lineNo: number, text: string) => {
    const ls = PAIRS.split("\n");
    ls[lineNo - 1] = text;
    return ls.join("\n");
  };
  throws(() => parsePairs("", "p.txt"), /^Error: p\.txt:1: empty file/);
  throws(() => parsePairs(spoil(1, "10"), "p.txt"), /p\.txt:1: expected header/);
  throws(
    () => parsePairs(spoil(1, "2\tx"), "p.txt"),
    /p\.txt:1: pairs per fold must be a positive integer, got "x"/,
  );
  throws(() => parsePairs(spoil(3, "Abel_A\t2"), "p.txt"), /p\.txt:3: expected a same-person pair/);
  throws(
    () => parsePairs(spoil(4, "Abel_A\t1\tBea_B"), "p.txt"),
    /p\.txt:4: expected a different-person pair/,
  );
  throws(
    () => parsePairs(spoil(5, "Cy_C\t1\tCy_C\t2"), "p.txt"),
    /p\.txt:5: different-person pair names the same person Cy_C/,
  );
  throws(
    () => parsePairs(spoil(6, "Bea_B\t0\t3"), "p.txt"),
    /p\.txt:6: image number must be a positive integer, got "0"/,
  );
  throws(() => parsePairs(spoil(7, "Cy_C\t2\t1.5"), "p.txt"), /p\.txt:7: image number/);
  // A same-person line where a different one belongs (fold boundary is off).
  throws(() => parsePairs(spoil(8, "Cy_C\t1\t2"), "p.txt"), /p\.txt:8: expected a different-person pair/);
  // Too few and too many lines for the header.
  throws(
    () => parsePairs(PAIRS.split("\n").slice(0, 8).join("\n"), "p.txt"),
    /p\.txt:8: header says 2 folds .* 8 pairs, but the file has 7/,
  );
  throws(() => parsePairs(PAIRS + "Abel_A\t1\t2\n", "p.txt"), /p\.txt:10: .*has 9 pair lines/);
});

Deno.test("parseDevPairs and parseDevPeople read View 1 files and reject malformed ones", () => {
  const dev = "2\nA_A\t1\t2\nB_B\t3\t1\nA_A\t1\tB_B\t2\nC_C\t4\tA_A\t2\n";
  const pairs = parseDevPairs(dev, "d.txt");
  deepEqual(pairs.map((p) => [p.same, p.a.name, p.a.number, p.b.name, p.b.number, p.line]), [
    [true, "A_A", 1, "A_A", 2, 2],
    [true, "B_B", 3, "B_B", 1, 3],
    [false, "A_A", 1, "B_B", 2, 4],
    [false, "C_C", 4, "A_A", 2, 5],
  ]);
  throws(
    () => parseDevPairs(dev.replace("B_B\t3\t1", "B_B\t3\tC_C\t1"), "d.txt"),
    /d\.txt:3: expected a same-person pair/,
  );
  throws(
    () => parseDevPairs("3\n" + dev.slice(2), "d.txt"),
    /d\.txt:5: header says 3 same \+ 3 different pairs, but the file has 4/,
  );
  throws(() => parseDevPairs("2\t2\n", "d.txt"), /d\.txt:1: expected a header/);

  const people = "3\nA_A\t2\nB_B\t1\nC_C\t5\n";
  deepEqual(parseDevPeople(people, "pp.txt"), [
    { name: "A_A", images: 2, line: 2 },
    { name: "B_B", images: 1, line: 3 },
    { name: "C_C", images: 5, line: 4 },
  ]);
  throws(
    () => parseDevPeople(people.replace("B_B\t1", "B_B"), "pp.txt"),
    /pp\.txt:3: expected "name count", got "B_B"/,
  );
  throws(
    () => parseDevPeople(people.replace("C_C", "A_A"), "pp.txt"),
    /pp\.txt:4: A_A is listed again \(first on line 2\)/,
  );
  throws(
    () => parseDevPeople("4" + people.slice(1), "pp.txt"),
    /pp\.txt:4: header says 4 people, but the file has 3/,
  );
  deepEqual(parseNames("A_A\t2\nB_B\t1\n", "n.txt").map((p) => p.name), ["A_A", "B_B"]);
  throws(() => parseNames("A_A\t2\nB_B\tx\n", "n.txt"), /n\.txt:2: image count must be a positive integer/);
});

Deno.test("checkPairsInIndex / checkCountsInIndex name the line whose image or count is wrong", () => {
  const root = mkdtempSync(join(tmpdir(), "lfw-proto-"));
  try {
    for (const [name, k] of [["A_A", 2], ["B_B", 1]] as const) {
      Deno.mkdirSync(join(root, "lfw-deepfunneled", name), { recursive: true });
      for (let i = 1; i <= k; i++) {
        Deno.writeTextFileSync(join(root, "lfw-deepfunneled", name, `${name}_000${i}.jpg`), "");
      }
    }
    const idx = readLfwIndex(root);
    checkPairsInIndex(parseDevPairs("1\nA_A\t1\t2\nA_A\t2\tB_B\t1\n", "d.txt"), idx, "d.txt");
    throws(
      () => checkPairsInIndex(parseDevPairs("1\nA_A\t1\t2\nA_A\t2\tB_B\t2\n", "d.txt"), idx, "d.txt"),
      /d\.txt:3: refers to lfw-deepfunneled\/B_B\/B_B_0002\.jpg, which is not in/,
    );
    checkCountsInIndex(parseNames("A_A\t2\nB_B\t1\n", "n.txt"), idx, "n.txt");
    throws(
      () => checkCountsInIndex(parseNames("A_A\t2\nB_B\t3\n", "n.txt"), idx, "n.txt"),
      /n\.txt:2: B_B has 3 images here but 1/,
    );
    throws(
      () => checkCountsInIndex(parseNames("C_C\t1\n", "n.txt"), idx, "n.txt"),
      /n\.txt:1: C_C has no folder/,
    );
    throws(() => loadPairs(root), /lfw-protocol\/pairs\.txt: file not found/);
  } finally {
    rmSync(root, { recursive: true });
  }
});

Deno.test({
  name: "official protocol files parse with their documented sizes (shared data)",
  ignore: !hasSharedData(),
  fn() {
    const { folds, perFold } = loadPairs(SHARED_DATA);
    equal(folds.length, 10);
    equal(perFold, 300);
    for (const f of folds) {
      equal(f.filter((p) => p.same).length, 300);
      equal(f.filter((p) => !p.same).length, 300);
    }
    const tr = loadDevPairs("train", SHARED_DATA);
    const te = loadDevPairs("test", SHARED_DATA);
    equal(tr.length, 2200);
    equal(te.length, 1000);
    equal(tr.filter((p) => p.same).length, 1100);
    const ptr = loadDevPeople("train", SHARED_DATA);
    const pte = loadDevPeople("test", SHARED_DATA);
    equal(ptr.length, 4038);
    equal(pte.length, 1711);
    equal(ptr.reduce((s, p) => s + p.images, 0), 9525);
    equal(pte.reduce((s, p) => s + p.images, 0), 3708);
    // View 1 splits people: nobody is in both.
    const inTrain = new Set(ptr.map((p) => p.name));
    ok(pte.every((p) => !inTrain.has(p.name)));
    equal(loadNames(SHARED_DATA).length, 5749);
    const idx = readLfwIndex(SHARED_DATA);
    checkPairsInIndex(folds.flat(), idx, "pairs.txt");
  },
});
