/**
 * The user's own photos: where they are (`data/own/<Name>/`, see data/own/README.md), which people and
 * group photos they hold, whether there are enough for notebook 05, and where everything derived from
 * them goes: `build/own/` (git-ignored), never the committed `figures/` or `notebooks/`. Only file-system
 * work here (no image or network libraries), so `deno task reproduce` can ask it cheaply.
 */
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { dataRoot, displayPath, figuresRoot, privateRoot } from "../config.ts";

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

/**
 * Whether `dir` holds anything of the user's: a person folder with photos or a group photo. Notebook 05
 * then keeps everything it derives under the git-ignored `build/own/` (lib/config.ts privateRoot), even
 * when it falls back to the default people, so nothing of the user's can reach a tracked file.
 */
export function ownPhotosPresent(dir: string = ownPhotosDir()): boolean {
  return listPeoplePhotos(dir).length > 0 || ownGroupPhotos(dir).length > 0;
}

/**
 * Refuse, before any slow work, a set of people the classifier of notebook 05 cannot be built from:
 * it needs at least 2 people with 2 or more photos (one to train on, one to hold out). The one-line
 * error names the people with a single photo and the folder to add to. People with one photo are
 * otherwise fine: they become strangers to the classifier (knownStrangerSplit).
 */
export function checkPhotoCounts(people: PersonPhotos[], dir: string): void {
  const several = people.filter((p) => p.files.length >= 2);
  if (several.length >= 2) return;
  const single = people.filter((p) => p.files.length === 1).map((p) => p.name);
  const need = 2 - several.length;
  const list = (ns: string[]) =>
    ns.length <= 1 ? ns.join("") : `${ns.slice(0, -1).join(", ")} and ${ns.at(-1)}`;
  const have = [
    several.length ? `only ${several[0].name} has 2 or more` : "nobody has 2 or more",
    ...(single.length ? [`${list(single)} ${single.length === 1 ? "has" : "have"} 1`] : []),
  ].join(", ");
  const fix = single.length === 0
    ? "add a folder of photos of another person"
    : single.length <= need
    ? `add another photo of ${list(single)} (${
      single.map((n) => `${displayPath(join(dir, n))}/`).join(", ")
    })`
    : `add another photo of ${need === 1 ? "one" : "two"} of them`;
  throw new Error(
    `${displayPath(dir)}: notebook 05 needs at least 2 people with 2 or more photos each (one to train the ` +
      `classifier on, one to test it); ${have}: ${fix}`,
  );
}

/** The notebook that reads the user's own photos. */
export const OWN_FACES_NOTEBOOK = "05_own_faces";

/**
 * Where outputs derived from the user's own photos go: executed notebooks and figure folders under
 * `build/own/` (git-ignored; see privateRoot), never `notebooks/` or `figures/`, which are committed.
 */
export function privateOutputs(): { notebooks: string; figures: string } {
  return { notebooks: join(privateRoot(), "notebooks"), figures: join(privateRoot(), "figures") };
}

/**
 * Notebook 05's figure and table folder: `build/own/figures/05_own_faces/` when `ownDir` holds any of
 * the user's photos (ownPhotosPresent), else `figures/05_own_faces/` (or under `$FACENET_FIGURES`). Created unless
 * `create` is false.
 */
export function ownFacesFigureDir(ownDir: string = ownPhotosDir(), create = true): string {
  const root = ownPhotosPresent(ownDir) ? privateOutputs().figures : figuresRoot();
  const dir = join(root, OWN_FACES_NOTEBOOK);
  if (create) mkdirSync(dir, { recursive: true });
  return dir;
}
