/**
 * Where things live and which run profile is active, and the one reader of the environment: every
 * path the project reads or writes is derived here, so a user can redirect data with one variable.
 */
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (the folder holding deno.json). */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Every environment variable the project reads, and what it does. Read them through {@link env}. */
export const ENV_VARS = {
  FACENET_DATA: "data root (default `data/`); a relative path is taken from the current directory",
  FACENET_CACHE: "preprocessing caches and other regenerable files (default `data/cache/`)",
  FACENET_MODELS: "training runs and their checkpoints (default `models/`)",
  FACENET_FIGURES: "figures and tables the notebooks write (default `figures/`)",
  FACENET_PROFILE: "run profile: smoke, quick (default) or full (lib/profiles.ts)",
  FACENET_BACKEND:
    "TensorFlow.js backend: auto (default), node-gpu, webgpu, node, wasm or cpu (lib/backend.ts)",
  FACENET_NATIVE: "0 turns the oneDNN kernels off (lib/native/); default 1: used when libdnnl.so.2 opens",
  FACENET_DNNL_LIB: "path of the oneDNN library to open instead of libdnnl.so.2 (lib/native/)",
  FACENET_WASM_THREADS: "threads of the wasm backend (default: every logical core, at most 8)",
  FACENET_LFW_URL: "base URL of the LFW downloads (tests point it at a local server)",
  FACENET_SLOW_TESTS: "1 runs the slow tests too (LFW-sized cross-validation)",
  FACENET_RETRAIN:
    "1: the notebooks train the profile's networks (02, 03) and use those (04–06) even where reference " +
    "weights exist (weights/reference/, or a finished reference run in FACENET_MODELS); default 0: " +
    "they use the reference weights where the profile says so (lib/profiles.ts, `referenceNetworks`)",
} as const;
export type EnvVar = keyof typeof ENV_VARS;

/** The value of a project environment variable; unset, empty, or no `--allow-env` all read as undefined. */
export function env(name: EnvVar): string | undefined {
  try {
    const v = Deno.env.get(name);
    return v === undefined || v === "" ? undefined : v;
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
}

/** Folder `$name` (a relative path is taken from the current directory), else `fallback` under the repository. */
function rootFrom(name: EnvVar, ...fallback: string[]): string {
  const v = env(name);
  if (v === undefined) return join(REPO_ROOT, ...fallback);
  return isAbsolute(v) ? v : resolve(Deno.cwd(), v);
}

/** Data root: `$FACENET_DATA` (relative paths are taken from the current directory), else `data/`. */
export function dataRoot(): string {
  return rootFrom("FACENET_DATA", "data");
}

/** Folder for derived, regenerable files (preprocessing caches, embeddings): `$FACENET_CACHE` or `data/cache`.
 * Kept separate from the data root because the data root may be read-only (CI's shared copy). */
export function cacheRoot(): string {
  return rootFrom("FACENET_CACHE", "data", "cache");
}

/** Where training runs keep checkpoints: `$FACENET_MODELS` or `models/`. */
export function modelsRoot(): string {
  return rootFrom("FACENET_MODELS", "models");
}

/**
 * Where the reference networks' weights are shipped in the repository (`weights/reference/<network>/`,
 * each with its manifest.json; lib/reference/). Fixed: they are part of the repository, not of a run.
 */
export function referenceWeightsRoot(): string {
  return join(REPO_ROOT, "weights", "reference");
}

/** Whether `$FACENET_RETRAIN` asks the notebooks to train their networks rather than use reference weights. */
export function retrainRequested(): boolean {
  const v = env("FACENET_RETRAIN") ?? "0";
  if (v !== "0" && v !== "1") throw new Error(`FACENET_RETRAIN=${JSON.stringify(v)} must be 0 or 1`);
  return v === "1";
}

/** Where notebooks write figures and tables: `$FACENET_FIGURES` or `figures/`. */
export function figuresRoot(): string {
  return rootFrom("FACENET_FIGURES", "figures");
}

/**
 * Where everything derived from the user's own photos goes (notebook 05's figures, tables and executed
 * copy): `build/own/`, git-ignored. Fixed, with no variable to move it, so that crops and names of the
 * people in `data/own/` can never land in a tracked folder such as `figures/`.
 */
export function privateRoot(): string {
  return join(REPO_ROOT, "build", "own");
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

/** The roots an environment variable can move out of the repository, as `displayPath` names them. */
const MOVABLE_ROOTS: readonly EnvVar[] = [
  "FACENET_DATA",
  "FACENET_CACHE",
  "FACENET_MODELS",
  "FACENET_FIGURES",
];

/**
 * A path for messages and notebook outputs that reads the same on every machine, so a committed
 * notebook shows no machine's folders: relative to the repository root when inside it (`figures/02_…`,
 * `data/own`); under a root that a variable moved elsewhere, named by that variable (`$FACENET_DATA/own`,
 * the deepest such root when several hold it); anywhere else, absolute. Relative input is taken from
 * the current directory.
 */
export function displayPath(p: string): string {
  const abs = resolve(p);
  const inside = (root: string): string | undefined => {
    const rel = relative(root, abs);
    return rel === "" || (rel.split(sep)[0] !== ".." && !isAbsolute(rel)) ? rel : undefined;
  };
  const inRepo = inside(REPO_ROOT);
  if (inRepo !== undefined) return inRepo === "" ? "." : inRepo;
  let best: { root: string; name: EnvVar; rel: string } | undefined;
  for (const name of MOVABLE_ROOTS) {
    if (env(name) === undefined) continue;
    const root = rootFrom(name);
    const rel = inside(root);
    if (rel !== undefined && (best === undefined || root.length > best.root.length)) {
      best = { root, name, rel };
    }
  }
  if (best === undefined) return abs;
  return best.rel === "" ? `$${best.name}` : `$${best.name}${sep}${best.rel}`;
}
