/**
 * Where things live and which run profile is active. Every path the project reads or writes is
 * derived here, so a user can redirect data with one environment variable.
 */
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (the folder holding deno.json). */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function env(name: string): string | undefined {
  try {
    const v = Deno.env.get(name);
    return v === undefined || v === "" ? undefined : v;
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
}

/** Data root: `$FACENET_DATA` (relative paths are taken from the current directory), else `data/`. */
export function dataRoot(): string {
  const v = env("FACENET_DATA");
  if (v === undefined) return join(REPO_ROOT, "data");
  return isAbsolute(v) ? v : resolve(Deno.cwd(), v);
}

/** Folder for derived, regenerable files (preprocessing caches, embeddings): `$FACENET_CACHE` or `data/cache`.
 * Kept separate from the data root because the data root may be read-only (CI's shared copy). */
export function cacheRoot(): string {
  const v = env("FACENET_CACHE");
  if (v === undefined) return join(REPO_ROOT, "data", "cache");
  return isAbsolute(v) ? v : resolve(Deno.cwd(), v);
}

/** Where training runs keep checkpoints: `$FACENET_MODELS` or `models/`. */
export function modelsRoot(): string {
  const v = env("FACENET_MODELS");
  if (v === undefined) return join(REPO_ROOT, "models");
  return isAbsolute(v) ? v : resolve(Deno.cwd(), v);
}

/** Where notebooks write figures and tables: `$FACENET_FIGURES` or `figures/`. */
export function figuresRoot(): string {
  const v = env("FACENET_FIGURES");
  if (v === undefined) return join(REPO_ROOT, "figures");
  return isAbsolute(v) ? v : resolve(Deno.cwd(), v);
}

export const PROFILES = ["smoke", "quick", "full"] as const;
export type Profile = typeof PROFILES[number];

/** Run profile from `$FACENET_PROFILE` (default `quick`); an unknown value is an error, not a silent default. */
export function profile(): Profile {
  const v = env("FACENET_PROFILE") ?? "quick";
  if (!(PROFILES as readonly string[]).includes(v)) {
    throw new Error(`FACENET_PROFILE=${JSON.stringify(v)} is not one of ${PROFILES.join(", ")}`);
  }
  return v as Profile;
}

/** A path for messages and notebook outputs: relative to the working directory when it is at most two
 * levels up (so committed notebooks do not show one machine's absolute paths), else absolute. */
export function displayPath(p: string): string {
  const abs = resolve(p);
  const rel = relative(Deno.cwd(), abs);
  if (rel === "") return ".";
  const ups = rel.split(sep).filter((part) => part === "..").length;
  return isAbsolute(rel) || ups > 2 ? abs : rel;
}
