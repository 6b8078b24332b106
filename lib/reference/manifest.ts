/**
 * The manifest of a shipped training run (`manifest.json` beside its weights): what was trained, how,
 * on which data, for how long, by which code, the command that trains it again, and the sha256 of every
 * shipped file, so that a loader can refuse weights that are not the ones the manifest describes.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { CodeVersion, GitState } from "../code_version.ts";
import type { DataFingerprint, RunWarning } from "../training/checkpoint.ts";
import type { ModelKind, TrainConfig } from "../training/config.ts";

/** The manifest's file name in a shipped folder. */
export const MANIFEST = "manifest.json";

/** The manifest format this code writes and reads. */
export const MANIFEST_FORMAT = "facenet-shipped-run/1";

/** One shipped file: its SHA-256 (hex) and size. */
export interface ShippedFile {
  sha256: string;
  bytes: number;
}

export type { GitState } from "../code_version.ts";

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  network: ModelKind;
  /** Whether the run had finished its planned epochs; false only when shipped with --partial. */
  finished: boolean;
  /** Present when shipped unfinished (--partial): says after how many of the planned epochs. */
  partial?: string;
  /** What the run is, as the training command names it: `reference` (recipe semihard-200), another
   * recipe, or a profile; null when no known command produces its config. */
  recipe: string | null;
  /** The recipe's own name when `recipe` is an alias (`reference` → `semihard-200`). */
  recipeName?: string;
  /** Planned batches the learning-rate schedule is laid out for (recipes), else null. */
  steps: number | null;
  config: TrainConfig;
  epochs: { done: number; planned: number };
  batches: number;
  /** Training images seen (Σ over epochs of images/s × s: every image of every batch). */
  imagesTrained: number;
  /** Seconds spent in training epochs (history), without data loading, checkpoints and snapshots. */
  trainingSeconds: number;
  /** The training set's fingerprint as the run recorded it (training/checkpoint.ts `fingerprint`). */
  data: DataFingerprint;
  /** What computed the last epoch (a run resumed elsewhere records only its last backend). */
  backend: { name: string; device: string | null; microBatch: number | null };
  /** The shipping repository's commit (tracked files outside the shipped folder compared with it),
   * or null when git could not tell (with the reason). */
  git: GitState | null;
  gitError?: string;
  /** The code that trained the run, each commit from the first epoch it trained (the checkpoint's
   * record; a run resumed under newer code has several); null for runs that did not record it. */
  trainedBy: CodeVersion[] | null;
  /** The command that trains the same run again (resumable: rerun it after an interruption). */
  command: string | null;
  /** The run folder's name and when its checkpoint was saved. */
  source: { run: string; savedAt: string };
  shippedAt: string;
  /** Warnings the run gave (e.g. a collapse to the margin). */
  warnings: RunWarning[];
  /** Every shipped file but the manifest (paths relative to the folder, `/`-separated). */
  files: Record<string, ShippedFile>;
}

/** SHA-256 (hex) and size of the file at `path`. */
export async function hashFile(path: string): Promise<ShippedFile> {
  const bytes = await Deno.readFile(path);
  return { sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.byteLength };
}

/** Read and check the manifest of shipped folder `dir`; a missing or malformed one is an error naming it. */
export async function readManifest(dir: string): Promise<Manifest> {
  const path = join(dir, MANIFEST);
  let m: Manifest;
  try {
    m = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`cannot read the manifest ${path}: ${(e as Error).message}`);
  }
  const problem = typeof m !== "object" || m === null
    ? "is not a JSON object"
    : m.format !== MANIFEST_FORMAT
    ? `has format ${JSON.stringify(m.format)}, not ${MANIFEST_FORMAT}`
    : typeof m.files !== "object" || m.files === null || Object.keys(m.files).length === 0
    ? "lists no files"
    : typeof m.config?.model !== "string" || m.config.model !== m.network
    ? "has no training config for its network"
    : undefined;
  if (problem) throw new Error(`manifest ${path} ${problem}`);
  return m;
}

/**
 * Check every file `manifest` lists in `dir` against its size and SHA-256; the first that is missing,
 * or differs, is an error naming it. Returns the manifest.
 */
export async function verifyShipped(dir: string, manifest?: Manifest): Promise<Manifest> {
  const m = manifest ?? await readManifest(dir);
  for (const [rel, want] of Object.entries(m.files)) {
    checkRelative(rel, join(dir, MANIFEST));
    const path = join(dir, ...rel.split("/"));
    let got: ShippedFile;
    try {
      got = await hashFile(path);
    } catch (e) {
      throw new Error(`${path}, listed in ${join(dir, MANIFEST)}, cannot be read: ${(e as Error).message}`);
    }
    if (got.sha256 !== want.sha256 || got.bytes !== want.bytes) {
      throw new Error(
        `${path} is not the file ${join(dir, MANIFEST)} lists (sha256 ${got.sha256.slice(0, 12)}…, ` +
          `${got.bytes} bytes; expected ${
            want.sha256.slice(0, 12)
          }…, ${want.bytes} bytes): it was changed or ` +
          `damaged; restore it (git checkout -- ${path}) or ship the run again (deno task ship)`,
      );
    }
  }
  return m;
}

/** Throw unless `rel` is a plain relative path inside its folder (no `..`, not absolute). */
export function checkRelative(rel: string, where: string): void {
  const parts = rel.split("/");
  if (rel === "" || rel.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new Error(
      `${where} names the file ${JSON.stringify(rel)}, which is not a plain path inside its folder`,
    );
  }
}
