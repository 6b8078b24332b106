/**
 * Whether a data root is whole: the LFW images and protocol files agree (`verifyLfw`), every image
 * decodes (`verifyImages`, remembering what it checked in the cache folder so that the data root
 * may be read-only), and single bad images restored from the archive (`repairImages`, setup's
 * `--repair`).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { cacheRoot } from "../config.ts";
import { writeAtomic } from "../files.ts";
import { downloadFile, extractTgzEntries, md5File } from "./download.ts";
import { checkImageFile } from "./imagecheck.ts";
import { LFW_DIR, lfwImagePath, type LfwIndex, readLfwIndex, REPAIR_HINT } from "./lfw.ts";
import { progressBar } from "./progress.ts";
import {
  checkCountsInIndex,
  checkPairsInIndex,
  parseDevPairs,
  parseDevPeople,
  parseNames,
  parsePairs,
  type PersonCount,
  PROTOCOL_DIR,
} from "./protocol.ts";
import type { DataSource, EnsureOptions } from "./sources.ts";

/**
 * Check that the LFW images and the protocol files agree: `lfw-names.txt` lists exactly the person
 * folders with their image counts, the dev people lists match the folders, and every image a pairs
 * file refers to exists. Returns the index; any disagreement is an error naming file and line.
 */
export function verifyLfw(root: string): LfwIndex {
  const index = readLfwIndex(root);
  const p = (f: string) => join(root, PROTOCOL_DIR, f);
  const text = (f: string) => readFileSync(p(f), "utf8");
  const names = parseNames(text("lfw-names.txt"), p("lfw-names.txt"));
  checkCountsInIndex(names, index, p("lfw-names.txt"));
  if (names.length !== index.people.length) {
    const listed = new Set(names.map((n) => n.name));
    const extra = index.people.find((x) => !listed.has(x.name));
    throw new Error(
      `${join(root, LFW_DIR)}: ${index.people.length} person folders but ${p("lfw-names.txt")} lists ` +
        `${names.length}` +
        (extra ? ` (${extra.name} is not listed; move that folder out of the data root)` : ""),
    );
  }
  for (const f of ["peopleDevTrain.txt", "peopleDevTest.txt"]) {
    checkCountsInIndex(parseDevPeople(text(f), p(f)), index, p(f));
  }
  checkPairsInIndex(parsePairs(text("pairs.txt"), p("pairs.txt")).folds.flat(), index, p("pairs.txt"));
  for (const f of ["pairsDevTrain.txt", "pairsDevTest.txt"]) {
    checkPairsInIndex(parseDevPairs(text(f), p(f)), index, p(f));
  }
  return index;
}

/** The image paths (relative to the data root) that `lfw-names.txt` promises: Name_0001 … Name_<count>. */
export function imagesOfNames(names: PersonCount[]): string[] {
  const out: string[] = [];
  for (const p of names) for (let k = 1; k <= p.images; k++) out.push(lfwImagePath(p.name, k));
  return out;
}

export interface BadImage {
  /** Path relative to the data root. */
  path: string;
  /** One line naming the full path and what is wrong. */
  error: string;
}

export interface VerifyImagesOptions {
  /**
   * JSON file remembering the size and mtime of every image that decoded, so later runs decode only
   * what changed (default: in the cache folder, one per data root). `null`: decode everything.
   */
  stampFile?: string | null;
  /** Images decoded at once (default 4: sharp decodes on libuv worker threads). */
  concurrency?: number;
  progress?: boolean;
  log?: (line: string) => void;
}

/** Where `verifyImages` remembers what it verified for `root`. */
export function verifiedStampFile(root: string): string {
  const key = createHash("sha1").update(root).digest("hex").slice(0, 10);
  return join(cacheRoot(), "verified", `lfw-images-${key}.json`);
}

interface Stamp {
  format: "facenet-verified-images";
  root: string;
  /** Relative path → `size:mtimeMs` when it last decoded cleanly. */
  files: Record<string, string>;
}

/**
 * Check that every image in `paths` (relative to `root`) exists, is the format its name says and
 * decodes without a warning. Images unchanged since a previous clean check (same size and mtime,
 * per the stamp file) are not decoded again. Returns the bad ones, sorted by path, and how many
 * images were decoded.
 */
export async function verifyImages(
  root: string,
  paths: readonly string[],
  opts: VerifyImagesOptions = {},
): Promise<{ bad: BadImage[]; decoded: number }> {
  const stampFile = opts.stampFile === undefined ? verifiedStampFile(root) : opts.stampFile;
  let known: Record<string, string> = {};
  if (stampFile !== null && existsSync(stampFile)) {
    try {
      const st = JSON.parse(readFileSync(stampFile, "utf8")) as Stamp;
      if (st.format === "facenet-verified-images" && st.root === root) known = st.files;
    } catch { /* unreadable stamp: verify everything again */ }
  }
  const bad: BadImage[] = [];
  const good: Record<string, string> = {};
  const todo: { path: string; key: string }[] = [];
  for (const p of paths) {
    const full = join(root, p);
    let key: string;
    try {
      const st = statSync(full);
      key = `${st.size}:${st.mtimeMs}`;
    } catch {
      bad.push({ path: p, error: `${full}: image file not found` });
      continue;
    }
    if (known[p] === key) good[p] = key;
    else todo.push({ path: p, key });
  }
  if (todo.length > 0) {
    if (todo.length > 100) opts.log?.(`checking that ${todo.length} images decode`);
    const bar = progressBar("verify images", todo.length, { enabled: opts.progress ?? true });
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < todo.length) {
        const t = todo[next++];
        try {
          await checkImageFile(join(root, t.path));
          good[t.path] = t.key;
        } catch (e) {
          bad.push({ path: t.path, error: e instanceof Error ? e.message : String(e) });
        }
        bar.update(++done);
      }
    };
    const k = Math.max(1, opts.concurrency ?? 4);
    try {
      await Promise.all(Array.from({ length: Math.min(k, todo.length) }, worker));
    } finally {
      bar.stop();
    }
    if (stampFile !== null) {
      try {
        mkdirSync(dirname(stampFile), { recursive: true });
        const stamp: Stamp = { format: "facenet-verified-images", root, files: good };
        writeAtomic(stampFile, JSON.stringify(stamp));
      } catch { /* a read-only cache folder only means verifying again next time */ }
    }
  }
  bad.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { bad, decoded: todo.length };
}

/** One line for a list of bad images: the first in full, then how many more, then the fix. */
export function badImagesMessage(bad: BadImage[], fix: string = REPAIR_HINT): string {
  const more = bad.length > 1
    ? ` (and ${bad.length - 1} more: ${bad.slice(1, 4).map((b) => b.path).join(", ")}` +
      `${bad.length > 4 ? ", …" : ""})`
    : "";
  return `${bad[0].error}${more}; ${fix}`;
}

/**
 * Restore `paths` (relative to `root`) from the image archive: the `.tgz` in the data root when it
 * is still there (MD5-checked, kept), else downloaded for the purpose (resumable) and deleted after.
 * Only the named files are written. Returns the paths restored.
 */
export async function repairImages(
  root: string,
  source: DataSource,
  paths: readonly string[],
  opts: EnsureOptions = {},
): Promise<string[]> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const archive = join(root, source.file);
  const kept = existsSync(archive);
  if (kept) {
    const md5 = await md5File(archive);
    if (md5 !== source.md5) {
      throw new Error(
        `${archive}: MD5 ${md5} differs from the official ${source.md5}; delete it and run setup --repair again`,
      );
    }
  } else {
    log(`downloading ${source.label} from ${source.url} to restore ${paths.length} image(s)`);
    const bar = progressBar(source.label, 0, { unit: "bytes", enabled: opts.progress ?? true });
    try {
      await downloadFile(source.url, archive, {
        md5: source.md5,
        onProgress: (v, t) => bar.update(v, t ?? v),
      });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new Error(
        `${why}; to repair without the network, copy ${
          basename(source.file)
        } (MD5 ${source.md5}) to ${archive} ` +
          `and run setup --repair again`,
      );
    } finally {
      bar.stop();
    }
  }
  const restored = await extractTgzEntries(archive, root, paths);
  if (!kept) rmSync(archive);
  return restored;
}
