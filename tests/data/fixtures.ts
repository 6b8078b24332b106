/**
 * Tiny LFW-like data trees for the data tests: real JPEGs written with sharp into a temp folder,
 * plus protocol files consistent with them. Not a test file itself.
 */
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";

/** A deterministic 250×250 RGB image: a distinct flat colour per (person, image) plus a gradient. */
export function syntheticRgb(seed: number, w = 250, h = 250): Uint8Array {
  const px = new Uint8Array(w * h * 3);
  const r0 = (seed * 37) % 200, g0 = (seed * 91) % 200, b0 = (seed * 53) % 200;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      px[o] = r0 + (x % 50);
      px[o + 1] = g0 + (y % 50);
      px[o + 2] = b0;
    }
  }
  return px;
}

/** Write `<root>/lfw-deepfunneled/<Name>/<Name>_NNNN.jpg` for each person (counts given). */
export async function makeLfwTree(root: string, people: Record<string, number>): Promise<void> {
  let seed = 1;
  for (const [name, count] of Object.entries(people)) {
    const dir = join(root, "lfw-deepfunneled", name);
    mkdirSync(dir, { recursive: true });
    for (let i = 1; i <= count; i++) {
      await sharp(syntheticRgb(seed++), { raw: { width: 250, height: 250, channels: 3 } })
        .jpeg({ quality: 90 })
        .toFile(join(dir, `${name}_${String(i).padStart(4, "0")}.jpg`));
    }
  }
}

/**
 * Protocol files for a tree made by makeLfwTree: lfw-names.txt, a pairs.txt with 2 folds × 1 pair
 * of each kind, dev pairs with 1 of each kind, and dev people lists splitting the people in two.
 * Needs at least two people with two or more images.
 */
export function makeProtocol(root: string, people: Record<string, number>): void {
  const dir = join(root, "lfw-protocol");
  mkdirSync(dir, { recursive: true });
  const names = Object.keys(people).sort();
  const multi = names.filter((n) => people[n] >= 2);
  if (multi.length < 2) throw new Error("fixture needs two people with >= 2 images");
  writeFileSync(join(dir, "lfw-names.txt"), names.map((n) => `${n}\t${people[n]}\n`).join(""));
  const same = (n: string) => `${n}\t1\t2\n`;
  const diff = (a: string, b: string) => `${a}\t1\t${b}\t1\n`;
  writeFileSync(
    join(dir, "pairs.txt"),
    "2\t1\n" + same(multi[0]) + diff(names[0], names[1]) + same(multi[1]) +
      diff(names[1], names[2] ?? names[0]),
  );
  for (const f of ["pairsDevTrain.txt", "pairsDevTest.txt"]) {
    writeFileSync(join(dir, f), "1\n" + same(multi[0]) + diff(names[0], names[1]));
  }
  const half = Math.ceil(names.length / 2);
  const list = (ns: string[]) => `${ns.length}\n` + ns.map((n) => `${n}\t${people[n]}\n`).join("");
  writeFileSync(join(dir, "peopleDevTrain.txt"), list(names.slice(0, half)));
  writeFileSync(join(dir, "peopleDevTest.txt"), list(names.slice(half)));
}

/** Scramble a file's bytes from a third of the way in, keeping its size and its mtime. */
export function scramble(file: string): void {
  const st = statSync(file);
  const b = readFileSync(file);
  for (let i = Math.floor(b.length / 3); i < b.length - 2; i++) b[i] = (b[i] * 7 + 3) & 255;
  writeFileSync(file, b);
  utimesSync(file, st.atime, st.mtime);
}
