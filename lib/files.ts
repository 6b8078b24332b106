/**
 * Writing files so that a crash never leaves a half-written one: every file the project produces
 * (checkpoint state, caches, figures, CSV tables, embeddings) is written to `<path>.tmp` and renamed
 * into place, and whole folders (saved models, checkpoints) are written as `<dir>.tmp` and swapped in.
 *
 * Downloads (`data/download.ts`) keep their own `.part`/`.restoring` names: those are streamed over
 * many writes and a `.part` is resumed on the next run, so they are not one-shot writes.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type pl from "nodejs-polars";

/** Write `data` to `path` atomically (`path.tmp`, then rename). */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Write a DataFrame as CSV atomically, creating its folder; returns the path. */
export function writeCsv(df: pl.DataFrame, path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  df.writeCSV(tmp);
  renameSync(tmp, path);
  return path;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Replace folder `dir` by the fully written folder `tmp`: the old copy is moved aside to `<dir>.old`
 * and removed only after the new one is in place. {@link recoverDir} undoes an interrupted swap.
 */
export async function commitDir(tmp: string, dir: string): Promise<void> {
  const old = `${dir}.old`;
  if (await exists(old)) await Deno.remove(old, { recursive: true });
  if (await exists(dir)) await Deno.rename(dir, old);
  await Deno.rename(tmp, dir);
  if (await exists(old)) await Deno.remove(old, { recursive: true });
}

/** After a crash: drop a half-written `<dir>.tmp`, and bring back `<dir>.old` if `dir` itself is missing. */
export async function recoverDir(dir: string): Promise<void> {
  const tmp = `${dir}.tmp`;
  const old = `${dir}.old`;
  if (await exists(tmp)) await Deno.remove(tmp, { recursive: true });
  if (!(await exists(dir)) && (await exists(old))) await Deno.rename(old, dir);
  else if (await exists(old)) await Deno.remove(old, { recursive: true });
}

/** A fresh, empty `<dir>.tmp` to write into before {@link commitDir}. */
export async function freshTmpDir(dir: string): Promise<string> {
  const tmp = `${dir}.tmp`;
  if (await exists(tmp)) await Deno.remove(tmp, { recursive: true });
  await Deno.mkdir(tmp, { recursive: true });
  return tmp;
}
