/**
 * The AT&T (ORL) faces: 40 people × 10 grayscale 92×112 PGM images in `att_faces/s1 … s40/1.pgm …
 * 10.pgm`. The project uses them as people never seen in training. They are not downloaded by
 * setup (no official checksum exists); see data/README.md for how to add them.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { dataRoot } from "../config.ts";
import {
  type BuildOptions,
  type LoadedFaces,
  loadOrBuildFaces,
  type PreprocessSettings,
} from "./preprocess.ts";

export const ATT_DIR = "att_faces";

/** ORL faces are already tightly framed: keep the central 92×92 square (crop 1) and resize to 96×96. */
export const ATT_PREPROCESS: Readonly<PreprocessSettings> = { size: 96, crop: 1 };

export interface AttIndex {
  root: string;
  /** Subject folders in numeric order (`s1`, `s2`, …, `s40`), each with its image numbers ascending. */
  people: { name: string; numbers: number[] }[];
  nImages: number;
}

/** Read `<root>/att_faces/sN/M.pgm`; anything else there (except README and hidden files) is an error naming it. */
export function readAttIndex(root: string = dataRoot()): AttIndex {
  const top = join(root, ATT_DIR);
  try {
    if (!statSync(top).isDirectory()) throw new Error();
  } catch {
    throw new Error(`AT&T faces folder not found: ${top} (see data/README.md)`);
  }
  const people: AttIndex["people"] = [];
  for (const d of readdirSync(top, { withFileTypes: true })) {
    if (d.name.startsWith(".") || (d.isFile() && /^readme/i.test(d.name))) continue;
    const m = /^s(\d+)$/.exec(d.name);
    if (!m || !d.isDirectory()) {
      throw new Error(`${join(top, d.name)}: expected only subject folders s1, s2, …`);
    }
    const numbers: number[] = [];
    for (const f of readdirSync(join(top, d.name))) {
      if (f.startsWith(".")) continue;
      const fm = /^(\d+)\.pgm$/.exec(f);
      if (!fm) throw new Error(`${join(top, d.name, f)}: expected images named N.pgm`);
      numbers.push(Number(fm[1]));
    }
    if (numbers.length === 0) throw new Error(`${join(top, d.name)}: subject folder holds no images`);
    people.push({ name: d.name, numbers: numbers.sort((a, b) => a - b) });
  }
  people.sort((a, b) => Number(a.name.slice(1)) - Number(b.name.slice(1)));
  return { root, people, nImages: people.reduce((s, p) => s + p.numbers.length, 0) };
}

/** The AT&T faces as a FaceSet (class names `s1` … `s40`), cached like LFW. */
export async function loadAttFaces(
  opts: BuildOptions & { root?: string; settings?: PreprocessSettings } = {},
): Promise<LoadedFaces> {
  const index = readAttIndex(opts.root ?? dataRoot());
  const items = index.people.flatMap((p, label) =>
    p.numbers.map((n) => ({ path: `${ATT_DIR}/${p.name}/${n}.pgm`, label }))
  );
  return await loadOrBuildFaces({
    name: "att-faces",
    root: index.root,
    items,
    classNames: index.people.map((p) => p.name),
    settings: opts.settings ?? { ...ATT_PREPROCESS },
  }, opts);
}
