/**
 * `deno task setup`: make the data root (`$FACENET_DATA` or `data/`) hold LFW deep-funneled and
 * its protocol files, downloading and MD5-checking what is missing, then verify everything and
 * print one summary line. With the data already present it downloads and writes nothing.
 *
 * `--cache` also builds the preprocessed 96×96 caches (LFW, and AT&T when present) in the cache folder.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { dataRoot } from "../lib/config.ts";
import { scriptArgs } from "./args.ts";
import { ATT_DIR, loadAttFaces, readAttIndex } from "../lib/data/att.ts";
import { lfwSummaryLine } from "../lib/data/lfw.ts";
import { loadLfwFaces } from "../lib/data/preprocess.ts";
import { ensureSources, officialSources, verifyLfw } from "../lib/data/sources.ts";

async function main(args: string[]): Promise<void> {
  const unknown = args.filter((a) => a !== "--cache");
  if (unknown.length) throw new Error(`unknown argument ${unknown[0]} (the only option is --cache)`);
  const root = dataRoot();
  await ensureSources(root, officialSources());
  const index = verifyLfw(root);
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

if (import.meta.main) {
  try {
    await main(scriptArgs());
  } catch (e) {
    console.error(`setup failed: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}
