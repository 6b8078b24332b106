/**
 * Writing files so that a crash never leaves a half-written one: every file the project produces
 * (checkpoint state, caches, figures, CSV tables) is written to `<path>.tmp` and renamed into place.
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
