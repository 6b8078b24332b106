/**
 * Parsers for LFW's protocol files (the official evaluation splits):
 * - `pairs.txt`: View 2, header `10\t300`, then 10 folds of 300 same-person lines
 *   (`name\tn1\tn2`) followed by 300 different-person lines (`name1\tn1\tname2\tn2`);
 * - `pairsDevTrain.txt` / `pairsDevTest.txt`: View 1, header `N`, N same then N different lines;
 * - `peopleDevTrain.txt` / `peopleDevTest.txt`: header `N`, then N lines `name\tcount`;
 * - `lfw-names.txt`: `name\tcount` for every person, no header.
 * Every error names the file and the 1-based line number.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dataRoot } from "../config.ts";
import { LFW_DIR, lfwImagePath, type LfwIndex, REPAIR_HINT } from "./lfw.ts";

/** Folder under the data root that holds the protocol files. */
export const PROTOCOL_DIR = "lfw-protocol";

export interface ImageRef {
  name: string;
  /** 1-based image number (`Name_0003.jpg` → 3). */
  number: number;
}

export interface Pair {
  a: ImageRef;
  b: ImageRef;
  same: boolean;
  /** 1-based line of the file this pair was read from (for error messages further on). */
  line: number;
}

export interface PersonCount {
  name: string;
  images: number;
  line: number;
}

function lines(text: string): string[] {
  const ls = text.split(/\r?\n/);
  if (ls.length > 0 && ls[ls.length - 1] === "") ls.pop(); // final newline
  return ls;
}

function fail(file: string, line: number, msg: string): never {
  throw new Error(`${file}:${line}: ${msg}`);
}

function fields(s: string): string[] {
  const f = s.trim().split(/\s+/);
  return f.length === 1 && f[0] === "" ? [] : f;
}

function posInt(file: string, line: number, s: string, what: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1) {
    fail(file, line, `${what} must be a positive integer, got ${JSON.stringify(s)}`);
  }
  return Number(s);
}

function parsePairLine(file: string, line: number, s: string, same: boolean): Pair {
  const f = fields(s);
  if (same) {
    if (f.length !== 3) {
      fail(file, line, `expected a same-person pair "name n1 n2", got ${JSON.stringify(s)}`);
    }
    return {
      a: { name: f[0], number: posInt(file, line, f[1], "image number") },
      b: { name: f[0], number: posInt(file, line, f[2], "image number") },
      same: true,
      line,
    };
  }
  if (f.length !== 4) {
    fail(file, line, `expected a different-person pair "name1 n1 name2 n2", got ${JSON.stringify(s)}`);
  }
  if (f[0] === f[2]) fail(file, line, `different-person pair names the same person ${f[0]}`);
  return {
    a: { name: f[0], number: posInt(file, line, f[1], "image number") },
    b: { name: f[2], number: posInt(file, line, f[3], "image number") },
    same: false,
    line,
  };
}

/** `pairs.txt` (View 2): folds[k] holds fold k's `perFold` same pairs, then its `perFold` different pairs. */
export function parsePairs(text: string, file = "pairs.txt"): { folds: Pair[][]; perFold: number } {
  const ls = lines(text);
  if (ls.length === 0) fail(file, 1, "empty file");
  const h = fields(ls[0]);
  if (h.length !== 2) {
    fail(
      file,
      1,
      `expected header "folds<TAB>pairs-per-fold" (e.g. "10\\t300"), got ${JSON.stringify(ls[0])}`,
    );
  }
  const nFolds = posInt(file, 1, h[0], "number of folds");
  const perFold = posInt(file, 1, h[1], "pairs per fold");
  const expected = 1 + nFolds * 2 * perFold;
  if (ls.length !== expected) {
    fail(
      file,
      Math.min(ls.length, expected) + (ls.length < expected ? 0 : 1),
      `header says ${nFolds} folds × (${perFold} same + ${perFold} different) = ${expected - 1} pairs, ` +
        `but the file has ${ls.length - 1} pair lines`,
    );
  }
  const folds: Pair[][] = [];
  let i = 1;
  for (let k = 0; k < nFolds; k++) {
    const fold: Pair[] = [];
    for (let j = 0; j < 2 * perFold; j++, i++) fold.push(parsePairLine(file, i + 1, ls[i], j < perFold));
    folds.push(fold);
  }
  return { folds, perFold };
}

/** `pairsDevTrain.txt` / `pairsDevTest.txt` (View 1): N same pairs, then N different pairs. */
export function parseDevPairs(text: string, file = "pairsDev.txt"): Pair[] {
  const ls = lines(text);
  if (ls.length === 0) fail(file, 1, "empty file");
  const h = fields(ls[0]);
  if (h.length !== 1) {
    fail(file, 1, `expected a header with the number of pairs of each kind, got ${JSON.stringify(ls[0])}`);
  }
  const n = posInt(file, 1, h[0], "pair count");
  if (ls.length !== 1 + 2 * n) {
    fail(
      file,
      Math.min(ls.length, 1 + 2 * n) + (ls.length < 1 + 2 * n ? 0 : 1),
      `header says ${n} same + ${n} different pairs, but the file has ${ls.length - 1} pair lines`,
    );
  }
  const out: Pair[] = [];
  for (let i = 1; i < ls.length; i++) out.push(parsePairLine(file, i + 1, ls[i], i <= n));
  return out;
}

function parseCountLine(file: string, line: number, s: string): PersonCount {
  const f = fields(s);
  if (f.length !== 2) fail(file, line, `expected "name count", got ${JSON.stringify(s)}`);
  return { name: f[0], images: posInt(file, line, f[1], "image count"), line };
}

function noDuplicates(file: string, people: PersonCount[]): void {
  const seen = new Map<string, number>();
  for (const p of people) {
    const prev = seen.get(p.name);
    if (prev !== undefined) fail(file, p.line, `${p.name} is listed again (first on line ${prev})`);
    seen.set(p.name, p.line);
  }
}

/** `peopleDevTrain.txt` / `peopleDevTest.txt`: header N, then N lines `name\tcount`. */
export function parseDevPeople(text: string, file = "peopleDev.txt"): PersonCount[] {
  const ls = lines(text);
  if (ls.length === 0) fail(file, 1, "empty file");
  const h = fields(ls[0]);
  if (h.length !== 1) {
    fail(file, 1, `expected a header with the number of people, got ${JSON.stringify(ls[0])}`);
  }
  const n = posInt(file, 1, h[0], "people count");
  if (ls.length !== 1 + n) {
    fail(
      file,
      Math.min(ls.length, 1 + n) + (ls.length < 1 + n ? 0 : 1),
      `header says ${n} people, but the file has ${ls.length - 1} lines after it`,
    );
  }
  const out = ls.slice(1).map((s, i) => parseCountLine(file, i + 2, s));
  noDuplicates(file, out);
  return out;
}

/** `lfw-names.txt`: `name\tcount` for every person, no header. */
export function parseNames(text: string, file = "lfw-names.txt"): PersonCount[] {
  const out = lines(text).map((s, i) => parseCountLine(file, i + 1, s));
  noDuplicates(file, out);
  return out;
}

function read(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    const why = (e as { code?: string }).code === "ENOENT" ? "file not found" : String(e);
    throw new Error(`${file}: ${why} (run \`deno task setup\` or set FACENET_DATA)`);
  }
}

/** Path of a protocol file under the data root. */
export function protocolPath(file: string, root: string = dataRoot()): string {
  return join(root, PROTOCOL_DIR, file);
}

export function loadPairs(root: string = dataRoot()): { folds: Pair[][]; perFold: number } {
  const f = protocolPath("pairs.txt", root);
  return parsePairs(read(f), f);
}

export function loadDevPairs(split: "train" | "test", root: string = dataRoot()): Pair[] {
  const f = protocolPath(split === "train" ? "pairsDevTrain.txt" : "pairsDevTest.txt", root);
  return parseDevPairs(read(f), f);
}

export function loadDevPeople(split: "train" | "test", root: string = dataRoot()): PersonCount[] {
  const f = protocolPath(split === "train" ? "peopleDevTrain.txt" : "peopleDevTest.txt", root);
  return parseDevPeople(read(f), f);
}

export function loadNames(root: string = dataRoot()): PersonCount[] {
  const f = protocolPath("lfw-names.txt", root);
  return parseNames(read(f), f);
}

/** Check that every image a pair list refers to is in the index; the error names file, line and image. */
export function checkPairsInIndex(pairs: Pair[], index: LfwIndex, file: string): void {
  const have = new Set<string>();
  for (const p of index.people) for (const n of p.numbers) have.add(lfwImagePath(p.name, n));
  for (const p of pairs) {
    for (const r of [p.a, p.b]) {
      const path = lfwImagePath(r.name, r.number);
      if (!have.has(path)) fail(file, p.line, `refers to ${path}, which is not in ${index.root}`);
    }
  }
}

/**
 * Check that per-person counts (lfw-names.txt, peopleDev*.txt) agree with the image folders. LFW
 * numbers each person's images 1…count, so a disagreement names the missing or extra image.
 */
export function checkCountsInIndex(counts: PersonCount[], index: LfwIndex, file: string): void {
  const have = new Map(index.people.map((p) => [p.name, p.numbers]));
  for (const c of counts) {
    const numbers = have.get(c.name);
    if (numbers === undefined) {
      fail(file, c.line, `${c.name} has no folder in ${join(index.root, LFW_DIR)}; ${REPAIR_HINT}`);
    }
    const present = new Set(numbers);
    const missing: number[] = [];
    for (let k = 1; k <= c.images; k++) if (!present.has(k)) missing.push(k);
    const extra = numbers.filter((k) => k > c.images);
    if (missing.length > 0) {
      const more = missing.length > 1 ? ` (and ${missing.length - 1} more)` : "";
      fail(
        file,
        c.line,
        `${c.name} has ${c.images} images here but ${numbers.length} in the image folder: ` +
          `${join(index.root, lfwImagePath(c.name, missing[0]))} is missing${more}; ${REPAIR_HINT}`,
      );
    }
    if (extra.length > 0) {
      fail(
        file,
        c.line,
        `${c.name} has ${c.images} images here but ${numbers.length} in the image folder: ` +
          `${
            join(index.root, lfwImagePath(c.name, extra[0]))
          } is not an LFW image; move it out of the data root`,
      );
    }
  }
}
