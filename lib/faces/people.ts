/**
 * Photos of people the networks never saw, turned into training-framed face crops: the user's own
 * (`data/own/<Name>/*.jpg`) or, without those, a default set held out from training.
 */
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { dataRoot } from "../config.ts";
import type { FaceSet } from "../data/faceset.ts";
import { LFW_DIR, lfwImagePath, readLfwIndex } from "../data/lfw.ts";
import { LFW_PREPROCESS } from "../data/preprocess.ts";
import { type CropOptions, type CropWindow, cropWindow, faceWindow } from "./crop.ts";
import { type Box, detectFaces, type DetectOptions, type Face } from "./detector.ts";
import { readImage } from "./image.ts";

/** One person's photos (absolute paths). */
export interface PersonPhotos {
  name: string;
  files: string[];
}

/** File endings read as photos; anything else in a person's folder is ignored (and reported). */
export const PHOTO_EXTENSIONS = [".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".pgm"] as const;

const isPhoto = (f: string) => PHOTO_EXTENSIONS.some((e) => f.toLowerCase().endsWith(e));
const byName = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0;

/** The default place for the user's photos: `<data root>/own`. */
export function ownPhotosDir(): string {
  return join(dataRoot(), "own");
}

/**
 * `<dir>/<Name>/*.{jpg,jpeg,png,webp,tif,tiff,pgm}` as people (sorted by name) with their photos
 * (sorted). A missing `dir` or one without person folders gives `[]`; hidden files and folders whose
 * name starts with `_` (such as `_group`) are skipped; person folders without photos are left out.
 */
export function listPeoplePhotos(dir: string): PersonPhotos[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return [];
    throw new Error(`cannot list ${dir}: ${e instanceof Error ? e.message : e}`);
  }
  const people: PersonPhotos[] = [];
  const isPerson = (d: { name: string; isDirectory(): boolean }) =>
    d.isDirectory() && !d.name.startsWith(".") && !d.name.startsWith("_");
  for (const d of entries.filter(isPerson).sort((a, b) => byName(a.name, b.name))) {
    const files = readdirSync(join(dir, d.name))
      .filter((f) => !f.startsWith(".") && isPhoto(f))
      .sort(byName)
      .map((f) => join(dir, d.name, f));
    if (files.length > 0) people.push({ name: d.name, files });
  }
  return people;
}

/** The user's group photos: `<dir>/_group/*` (sorted; `[]` when there are none). */
export function ownGroupPhotos(dir: string = ownPhotosDir()): string[] {
  try {
    return readdirSync(join(dir, "_group")).filter((f) => !f.startsWith(".") && isPhoto(f)).sort(byName)
      .map((f) => join(dir, "_group", f));
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return [];
    throw e;
  }
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
