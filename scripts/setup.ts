/**
 * `deno task setup`: make the data root (`$FACENET_DATA` or `data/`) hold LFW deep-funneled and
 * its protocol files, downloading and MD5-checking what is missing, then verify everything and
 * print one summary line. With the data already present it downloads nothing and writes nothing to
 * the data root (which images it verified is remembered in the cache folder).
 *
 * Every image is checked to decode (once: unchanged images are remembered in the cache folder).
 * `--repair` restores missing or undecodable images from the LFW archive (re-extracting only those).
 * `--cache` also builds the preprocessed 96×96 caches (LFW, and AT&T when present) in the cache folder.
 * Any failure ends the script with one line naming the file and what to do, and exit status 1.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { dataRoot } from "../lib/config.ts";
import { exitWithUsage, scriptArgs } from "./args.ts";
import { ATT_DIR, loadAttFaces, readAttIndex } from "../lib/data/att.ts";
import { lfwSummaryLine } from "../lib/data/lfw.ts";
import { loadLfwFaces } from "../lib/data/preprocess.ts";
import { officialSources, setupLfw } from "../lib/data/sources.ts";

const USAGE = "usage: deno task setup [-- --repair] [--cache]";

async function main(args: string[]): Promise<void> {
  const unknown = args.filter((a) => a !== "--cache" && a !== "--repair");
  if (unknown.length) exitWithUsage(`unknown argument ${unknown[0]}`, USAGE);
  const root = dataRoot();
  const { index, restored } = await setupLfw(root, officialSources(), { repair: args.includes("--repair") });
  if (restored.length > 0) console.log(`restored ${restored.length} image(s): ${restored.join(", ")}`);
  // AT&T faces are optional (added by hand); when present they must be complete.
  const hasAtt = existsSync(join(root, ATT_DIR));
  if (hasAtt) {
    const att = readAttIndex(root);
    if (att.people.length !== 40 || att.nImages !== 400) {
      throw new Error(
        `${
          join(root, ATT_DIR)
        }: expected 40 subjects with 400 images, found ${att.people.length} with ${att.nImages}`,
      );
    }
  }
  console.log(lfwSummaryLine(index));
  if (args.includes("--cache")) {
    const t0 = performance.now();
    const lfw = await loadLfwFaces({ root });
    const s = (performance.now() - t0) / 1000;
    console.log(
      `cache: ${lfw.n} LFW faces ${lfw.height}×${lfw.width} in ${lfw.cacheFiles.pixels} ` +
        (lfw.fromCache
          ? `(up to date, loaded in ${s.toFixed(1)} s)`
          : `(built in ${s.toFixed(0)} s, ${(lfw.n / s).toFixed(0)} images/s)`),
    );
    if (hasAtt) {
      const att = await loadAttFaces({ root });
      console.log(`cache: ${att.n} AT&T faces in ${att.cacheFiles.pixels}`);
    }
  }
}

/** The one line a failure prints (a message that spans lines, as libvips writes them, is joined). */
function failed(e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e);
  console.error(`setup failed: ${msg.split(/\r?\n/).filter((l) => l.trim() !== "").join("; ")}`);
  Deno.exit(1);
}

if (import.meta.main) {
  // Errors raised outside main's await chain (a stream's 'error' event) end it the same way.
  globalThis.addEventListener("unhandledrejection", (ev) => {
    ev.preventDefault();
    failed(ev.reason);
  });
  globalThis.addEventListener("error", (ev) => {
    ev.preventDefault();
    failed(ev.error);
  });
  try {
    await main(scriptArgs());
  } catch (e) {
    failed(e);
  }
}
