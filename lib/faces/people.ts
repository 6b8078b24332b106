/**
 * Photos of people the networks never saw, turned into training-framed face crops: the user's own
 * (`data/own/<Name>/*.jpg`) or, without those, a default set held out from training.
 */
import { statSync } from "node:fs";
import { join, relative } from "node:path";
import { dataRoot, displayPath } from "../config.ts";
import type { FaceSet } from "../data/faceset.ts";
import { LFW_DIR, lfwImagePath, readLfwIndex } from "../data/lfw.ts";
import { LFW_PREPROCESS } from "../data/preprocess.ts";
import { type CropOptions, type CropWindow, cropWindow, faceWindow } from "./crop.ts";
import { type Box, detectFaces, type DetectOptions, type Face } from "./detector.ts";
import { readImage } from "./image.ts";
import { checkPhotoCounts, listPeoplePhotos, ownPhotosDir, type PersonPhotos } from "./own.ts";

/** Who notebook 05 embeds: the user's people or the default set, and one sentence that says which. */
export interface ChosenPeople {
  /** True when these are the user's photos from `data/own/`. */
  own: boolean;
  people: PersonPhotos[];
  /** Folder the photo paths are shown relative to. */
  base: string;
  description: string;
}

/**
 * The user's people in `ownDir` when there are at least two (checked by checkPhotoCounts), else the
 * default unseen people under `root` (AT&T/ORL when `att_faces/` is there, else LFW people with two
 * images), with `opts.people` of them.
 */
export function chooseUnseenPeople(ownDir: string, root: string, opts: { people: number }): ChosenPeople {
  const own = listPeoplePhotos(ownDir);
  if (own.length >= 2) {
    checkPhotoCounts(own, ownDir);
    const photos = own.reduce((s, p) => s + p.files.length, 0);
    return {
      own: true,
      people: own,
      base: ownDir,
      description: `${own.length} people from your own photos in ${displayPath(ownDir)} (${photos} photos).`,
    };
  }
  let source: UnseenSource = "lfw2";
  try {
    statSync(join(root, "att_faces"));
    source = "att";
  } catch { /* no AT&T faces: LFW people with two images */ }
  const u = defaultUnseenPeople(root, { source, people: opts.people });
  const why = own.length === 1
    ? `Only one person in ${displayPath(ownDir)}: using the default set instead. `
    : `No photos in ${displayPath(ownDir)}: `;
  return { own: false, people: u.people, base: root, description: why + u.description };
}

/** Face crops of several people, one per photo in which a face was found. */
export interface PeopleFaces extends FaceSet {
  /** Where each crop came from in its photo. */
  faces: Face[];
  windows: CropWindow[];
  /** Photos that gave no crop, and why. */
  skipped: { path: string; reason: string }[];
  /** Photos with several faces: the largest was taken. */
  ambiguous: string[];
}

export interface CropPeopleOptions {
  detect?: DetectOptions;
  crop?: CropOptions;
  /** `paths` in the result are relative to this folder (default: the data root). */
  relativeTo?: string;
  /** Called after each photo (for progress display). */
  onPhoto?: (done: number, total: number) => void;
}

const area = (b: Box) => b.width * b.height;

/**
 * Detect → crop every photo: per photo the largest detected face, framed like the training images
 * (landmarks are detected unless `detect.landmarks` is false, for the steadier eye framing). A photo
 * that cannot be read is an error naming it; one without a face is listed in `skipped`.
 */
export async function cropPeople(people: PersonPhotos[], opts: CropPeopleOptions = {}): Promise<PeopleFaces> {
  const detect: DetectOptions = { landmarks: true, ...opts.detect };
  const size = opts.crop?.size ?? (opts.crop?.preprocess ?? LFW_PREPROCESS).size;
  const base = opts.relativeTo ?? dataRoot();
  const crops: Uint8Array[] = [];
  const labels: number[] = [];
  const classNames: string[] = [];
  const paths: string[] = [];
  const faces: Face[] = [];
  const windows: CropWindow[] = [];
  const skipped: PeopleFaces["skipped"] = [];
  const ambiguous: string[] = [];
  const total = people.reduce((s, p) => s + p.files.length, 0);
  let done = 0;
  for (const person of people) {
    let label = -1;
    for (const file of person.files) {
      const img = await readImage(file); // throws naming the file
      const found = await detectFaces(img, detect);
      opts.onPhoto?.(++done, total);
      const rel = relative(base, file);
      if (found.length === 0) {
        skipped.push({ path: rel, reason: "no face found" });
        continue;
      }
      if (found.length > 1) ambiguous.push(rel);
      const face = found.reduce((a, b) => area(b.box) > area(a.box) ? b : a);
      const win = faceWindow(face, opts.crop);
      crops.push(await cropWindow(img, win, size));
      if (label < 0) {
        label = classNames.length;
        classNames.push(person.name);
      }
      labels.push(label);
      paths.push(rel);
      faces.push(face);
      windows.push(win);
    }
  }
  const pixels = new Uint8Array(crops.length * size * size);
  crops.forEach((c, i) => pixels.set(c, i * size * size));
  return {
    pixels,
    n: crops.length,
    height: size,
    width: size,
    labels: Int32Array.from(labels),
    classNames,
    paths,
    faces,
    windows,
    skipped,
    ambiguous,
  };
}

/** The user's photos in `dir` (default `data/own`) as face crops; paths are relative to `dir`. */
export async function loadOwnFaces(
  dir: string = ownPhotosDir(),
  opts: CropPeopleOptions = {},
): Promise<PeopleFaces> {
  const people = listPeoplePhotos(dir);
  if (people.length === 0) {
    throw new Error(`no photos in ${dir}: expected ${dir}/<Name>/*.jpg (see data/own/README.md)`);
  }
  return await cropPeople(people, { relativeTo: dir, ...opts });
}

export type UnseenSource = "att" | "lfw2";

export interface UnseenPeople {
  source: UnseenSource;
  people: PersonPhotos[];
  /** One sentence for the notebook: which people these are and why the networks never saw them. */
  description: string;
}

export interface UnseenOptions {
  /** `att` (default): AT&T/ORL faces, 10 photos each; `lfw2`: LFW people with exactly 2 images. */
  source?: UnseenSource;
  /** How many people (default 5). */
  people?: number;
  /** Photos per person (default all: 10 for att, 2 for lfw2). */
  perPerson?: number;
}

/**
 * People never seen in training. Training uses LFW people with ≥ 3 images, so both sources are
 * unseen: the AT&T/ORL faces (`att_faces/s1…s40`, 40 people × 10 grayscale 92×112 photos, a
 * different database; the first `people` subjects are taken) or LFW people with exactly 2 images
 * (spread evenly over the alphabet). Files are absolute paths under `root`.
 */
export function defaultUnseenPeople(root: string = dataRoot(), opts: UnseenOptions = {}): UnseenPeople {
  const source = opts.source ?? "att";
  const want = opts.people ?? 5;
  if (!Number.isInteger(want) || want < 1) {
    throw new RangeError(`people must be a positive integer, got ${want}`);
  }
  if (source === "att") {
    const per = opts.perPerson ?? 10;
    if (!Number.isInteger(per) || per < 1 || per > 10) {
      throw new RangeError(`att has 1…10 photos per person, got ${per}`);
    }
    if (want > 40) throw new RangeError(`att has 40 people, asked for ${want}`);
    const people: PersonPhotos[] = [];
    for (let s = 1; s <= want; s++) {
      const dir = join(root, "att_faces", `s${s}`);
      const files = Array.from({ length: per }, (_, i) => join(dir, `${i + 1}.pgm`));
      for (const f of files) {
        try {
          statSync(f);
        } catch {
          throw new Error(`AT&T/ORL face missing: ${f} (expected att_faces/s1…s40/1…10.pgm under ${root})`);
        }
      }
      people.push({ name: `ORL s${s}`, files });
    }
    return {
      source,
      people,
      description:
        `${want} people from the AT&T/ORL face database (subjects s1–s${want}, ${per} photos each, ` +
        `grayscale 92×112): a different database, never seen in training.`,
    };
  }
  const per = opts.perPerson ?? 2;
  if (per !== 1 && per !== 2) throw new RangeError(`lfw2 people have 2 photos, asked for ${per}`);
  const pairs = readLfwIndex(root).people.filter((p) => p.numbers.length === 2);
  if (pairs.length < want) throw new RangeError(`only ${pairs.length} LFW people have exactly 2 images`);
  const step = pairs.length / want;
  const people = Array.from({ length: want }, (_, i) => pairs[Math.floor(i * step)]).map((p) => ({
    name: p.name,
    files: p.numbers.slice(0, per).map((n) => join(root, lfwImagePath(p.name, n))),
  }));
  return {
    source,
    people,
    description: `${want} LFW people with exactly 2 images (${LFW_DIR}): training uses only people with ` +
      `at least 3, so these were never seen.`,
  };
}
