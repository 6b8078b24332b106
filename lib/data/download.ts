/**
 * Fetch a file over HTTP with resume, verify its MD5, and unpack `.tgz` archives, so that an
 * interrupted or corrupt download never leaves something that looks finished:
 * - bytes go to `<dest>.part`; a later call continues it with an HTTP Range request (or starts
 *   over when the server ignores Range), and only a verified file is renamed to `<dest>`;
 * - archives are unpacked into a hidden staging folder and moved into place only when complete.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync, utimesSync } from "node:fs";
import { basename, dirname, isAbsolute, join, normalize, sep } from "node:path";
import { pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";

/** Hex MD5 of a file, streamed. */
export async function md5File(path: string): Promise<string> {
  const h = createHash("md5");
  for await (const chunk of createReadStream(path)) h.update(chunk as Uint8Array);
  return h.digest("hex");
}

export interface DownloadOptions {
  /** Expected MD5 (hex); the file is renamed into place only when it matches. */
  md5?: string;
  /** Called as bytes arrive; `total` is undefined when the server does not say. */
  onProgress?: (received: number, total: number | undefined) => void;
  /** How many times a broken connection is resumed automatically before giving up (default 3). */
  retries?: number;
}

export interface DownloadResult {
  bytes: number;
  md5: string;
  /** True when at least one request continued an existing `.part` file. */
  resumed: boolean;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

async function writeAll(f: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  for (let off = 0; off < chunk.length;) off += await f.write(chunk.subarray(off));
}

/** An error's message plus its cause's (fetch hides the useful part, e.g. a DNS failure, in `cause`). */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : "";
  return `${e.message}${cause}`;
}

/**
 * Download `url` to `dest` via `dest.part`. Throws when the server answers with an error, when the
 * connection keeps breaking (the `.part` file is kept, so the next call resumes), or when the MD5
 * does not match (the `.part` file is deleted, so the next call starts over).
 * (~95 lines, kept as one: the retry loop, the resume offset and the `.part` file share their state.)
 */
export async function downloadFile(
  url: string,
  dest: string,
  opts: DownloadOptions = {},
): Promise<DownloadResult> {
  const part = `${dest}.part`;
  mkdirSync(dirname(dest), { recursive: true });
  const retries = opts.retries ?? 3;
  let resumed = false;
  let lastError: unknown;
  let complete = false;
  for (let attempt = 0; attempt <= retries && !complete; attempt++) {
    const start = sizeOf(part);
    let res: Response;
    try {
      res = await fetch(url, { headers: start > 0 ? { Range: `bytes=${start}-` } : {} });
    } catch (e) {
      // No connection at all: wait a little before trying again (0.5 s, 1 s, 1.5 s, …).
      lastError = e;
      if (attempt < retries) await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      continue;
    }
    if (res.status === 416 && start > 0) {
      // Nothing after `start`: the .part file already holds everything (checked by the MD5 below).
      await res.body?.cancel();
      complete = true;
      break;
    }
    let offset = 0;
    let total: number | undefined;
    if (res.status === 206 && start > 0) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
      if (!m || Number(m[1]) !== start) {
        // A range we did not ask for: drop what we have and start over on the next attempt.
        await res.body?.cancel();
        rmSync(part, { force: true });
        lastError = new Error(
          `${url}: server answered Range bytes=${start}- with ${m ? m[0] : "no Content-Range"}`,
        );
        continue;
      }
      offset = start;
      total = m[3] === "*" ? undefined : Number(m[3]);
      resumed = true;
    } else if (res.status === 200) {
      const len = res.headers.get("content-length");
      total = len === null ? undefined : Number(len);
    } else {
      await res.body?.cancel();
      throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
    }
    const f = await Deno.open(part, {
      write: true,
      create: true,
      append: offset > 0,
      truncate: offset === 0,
    });
    let received = offset;
    try {
      opts.onProgress?.(received, total);
      for await (const chunk of res.body ?? []) {
        await writeAll(f, chunk);
        received += chunk.length;
        opts.onProgress?.(received, total);
      }
    } catch (e) {
      lastError = e;
      continue;
    } finally {
      f.close();
    }
    if (total !== undefined && received !== total) {
      lastError = new Error(`connection closed after ${received} of ${total} bytes`);
      continue;
    }
    complete = true;
  }
  if (!complete) {
    const have = sizeOf(part);
    const why = describe(lastError);
    throw new Error(
      have > 0
        ? `${url}: download interrupted (${why}); ${have} bytes are kept in ${part} and the next run resumes from there`
        : `${url}: could not download (${why})`,
    );
  }
  const md5 = await md5File(part);
  if (opts.md5 !== undefined && md5 !== opts.md5.toLowerCase()) {
    rmSync(part, { force: true });
    throw new Error(
      `${url}: MD5 mismatch: expected ${opts.md5}, got ${md5}; the download was deleted, run again to start over`,
    );
  }
  const bytes = sizeOf(part);
  renameSync(part, dest);
  return { bytes, md5, resumed };
}

export interface ExtractResult {
  files: number;
  bytes: number;
  /** Top-level names the archive held, now in `destRoot`. */
  topLevel: string[];
}

/** Entry name → safe relative path; refuses absolute paths and `..` (an archive must not write outside). */
function safeRelative(archive: string, name: string): string {
  const n = normalize(name.replace(/^\.\/+/, ""));
  if (n === "." || n === "") return "";
  if (isAbsolute(n) || n === ".." || n.startsWith(`..${sep}`)) {
    throw new Error(
      `${archive}: entry ${JSON.stringify(name)} points outside the destination; refusing to extract`,
    );
  }
  return n.replace(/[\\/]+$/, "");
}

/** The entries of gzip-compressed tar `archive` as a stream; `error()` is the pipeline's failure, if any.
 * `onRead` sees each chunk's size of compressed bytes read (for progress). */
function openTgz(archive: string, onRead?: (bytes: number) => void) {
  const source = createReadStream(archive);
  if (onRead) source.on("data", (c) => onRead(c.length));
  const extract = tar.extract();
  let pipeError: Error | null = null;
  pipeline(source, createGunzip(), extract, (err) => {
    if (err) {
      pipeError = err;
      extract.destroy(err);
    }
  });
  return { source, extract, error: (): Error | null => pipeError };
}

/**
 * Unpack a gzip-compressed tar archive into `destRoot`. Everything is written to a hidden staging
 * folder first and moved into place at the end, so an interrupted run leaves no half-filled
 * folder under its final name (the next run removes the staging folder and starts again).
 * Fails if a top-level entry already exists in `destRoot`. Links and devices are refused.
 */
export async function extractTgz(
  archive: string,
  destRoot: string,
  opts: { onProgress?: (compressedRead: number, compressedTotal: number) => void } = {},
): Promise<ExtractResult> {
  const staging = join(destRoot, `.${basename(archive)}.extracting`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const total = statSync(archive).size;
  let read = 0;
  const { source, extract, error } = openTgz(archive, (n) => {
    read += n;
    opts.onProgress?.(read, total);
  });
  let files = 0;
  let bytes = 0;
  const top = new Set<string>();
  const mtimes: { path: string; mtime: Date }[] = [];
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const rel = safeRelative(archive, h.name);
      if (rel === "") {
        entry.resume();
        continue;
      }
      top.add(rel.split(sep)[0]);
      const out = join(staging, rel);
      if (h.type === "directory") {
        mkdirSync(out, { recursive: true });
        entry.resume();
      } else if (h.type === "file" || h.type === "contiguous-file") {
        mkdirSync(dirname(out), { recursive: true });
        const f = await Deno.open(out, { write: true, create: true, truncate: true });
        try {
          for await (const chunk of entry) {
            await writeAll(f, chunk as Uint8Array);
            bytes += (chunk as Uint8Array).length;
          }
        } finally {
          f.close();
        }
        mtimes.push({ path: out, mtime: h.mtime });
        files++;
      } else {
        throw new Error(
          `${archive}: entry ${JSON.stringify(h.name)} is a ${h.type}; only files and folders are extracted`,
        );
      }
    }
    const failed = error();
    if (failed) throw failed;
  } catch (e) {
    source.destroy();
    rmSync(staging, { recursive: true, force: true });
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(why.startsWith(archive) ? why : `${archive}: extraction failed: ${why}`);
  }
  // Keep the archive's timestamps: caches keyed on mtime then stay valid across re-extraction.
  for (const m of mtimes) utimesSync(m.path, m.mtime, m.mtime);
  const topLevel = [...top].sort();
  for (const t of topLevel) {
    if (existsSync(join(destRoot, t))) {
      rmSync(staging, { recursive: true, force: true });
      throw new Error(`${archive}: ${join(destRoot, t)} already exists; move it away to extract again`);
    }
  }
  for (const t of topLevel) renameSync(join(staging, t), join(destRoot, t));
  rmSync(staging, { recursive: true, force: true });
  return { files, bytes, topLevel };
}

/**
 * Re-extract only the entries named in `wanted` (paths relative to `destRoot`, as in the archive)
 * over whatever is there, keeping the archive's mtimes. Each file is written next to its target
 * and renamed over it, so an interruption never leaves a half-written image. Returns the paths
 * restored; throws, naming them, when the archive lacks some.
 */
export async function extractTgzEntries(
  archive: string,
  destRoot: string,
  wanted: readonly string[],
): Promise<string[]> {
  const want = new Set(wanted.map((w) => normalize(w)));
  const restored: string[] = [];
  const { source, extract, error } = openTgz(archive);
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const rel = safeRelative(archive, h.name);
      if (!want.has(rel) || (h.type !== "file" && h.type !== "contiguous-file")) {
        entry.resume();
        continue;
      }
      const out = join(destRoot, rel);
      const tmp = `${out}.restoring`;
      mkdirSync(dirname(out), { recursive: true });
      const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
      try {
        for await (const chunk of entry) await writeAll(f, chunk as Uint8Array);
      } finally {
        f.close();
      }
      utimesSync(tmp, h.mtime, h.mtime);
      renameSync(tmp, out);
      restored.push(rel);
    }
    const failed = error();
    if (failed) throw failed;
  } catch (e) {
    source.destroy();
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(why.startsWith(archive) ? why : `${archive}: extraction failed: ${why}`);
  }
  const got = new Set(restored);
  const absent = [...want].filter((w) => !got.has(w));
  if (absent.length > 0) {
    throw new Error(`${archive}: holds no ${absent.slice(0, 3).join(", ")}${absent.length > 3 ? ", …" : ""}`);
  }
  return restored;
}
