/**
 * What `deno task setup` fetches (the official LFW files and their MD5s) and the logic that makes
 * a data root complete: download what is missing, verify what is there, then (integrity.ts) check
 * that images and protocol files agree and that every image decodes, and restore single bad images
 * from the archive (`--repair`). With everything present it writes nothing to the data root, so
 * that may be read-only (the list of images already verified lives in the cache folder).
 */
import { type Dirent, existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { env } from "../config.ts";
import { downloadFile, extractTgz, md5File } from "./download.ts";
import { badImagesMessage, imagesOfNames, repairImages, verifyImages, verifyLfw } from "./integrity.ts";
import { LFW_DIR, lfwImageList, type LfwIndex } from "./lfw.ts";
import { progressBar } from "./progress.ts";
import { parseNames, PROTOCOL_DIR } from "./protocol.ts";

export interface DataSource {
  /** Short name for messages. */
  label: string;
  url: string;
  md5: string;
  /** Where the download is saved, relative to the data root. */
  file: string;
  /** `file`: the download is the final file. `tgz`: unpacked into the data root, then deleted. */
  kind: "file" | "tgz";
  /** Path relative to the data root whose presence means this source is installed. */
  installs: string;
}

/** The official LFW site. `$FACENET_LFW_URL` replaces it (a mirror with the same file names). */
export const LFW_BASE_URL = "http://vis-www.cs.umass.edu/lfw/";

/** Official MD5s (the ones torchvision's LFWPeople/LFWPairs check). */
export const LFW_MD5 = {
  "lfw-deepfunneled.tgz": "68331da3eb755a505a502b5aacb3c201",
  "pairs.txt": "9f1ba174e4e1c508ff7cdf10ac338a7d",
  "pairsDevTrain.txt": "4f27cbf15b2da4a85c1907eb4181ad21",
  "pairsDevTest.txt": "5132f7440eb68cf58910c8a45a2ac10b",
  "peopleDevTrain.txt": "54eaac34beb6d042ed3a7d883e247a21",
  "peopleDevTest.txt": "e4bf5be0a43b5dcd9dc5ccfcb8fb19c5",
  "lfw-names.txt": "a6d0a479bd074669f656265a6e693f6d",
} as const;

/** Protocol files setup requires, in `lfw-protocol/`. */
export const PROTOCOL_FILES = [
  "pairs.txt",
  "pairsDevTrain.txt",
  "pairsDevTest.txt",
  "peopleDevTrain.txt",
  "peopleDevTest.txt",
  "lfw-names.txt",
] as const;

function baseUrl(): string {
  const b = env("FACENET_LFW_URL") ?? LFW_BASE_URL;
  return b.endsWith("/") ? b : `${b}/`;
}

/** The official sources: the deep-funneled image archive and the protocol files. */
export function officialSources(base: string = baseUrl()): DataSource[] {
  return [
    {
      label: "LFW deep-funneled images",
      url: `${base}lfw-deepfunneled.tgz`,
      md5: LFW_MD5["lfw-deepfunneled.tgz"],
      file: "lfw-deepfunneled.tgz",
      kind: "tgz",
      installs: LFW_DIR,
    },
    ...PROTOCOL_FILES.map((f): DataSource => ({
      label: f,
      url: `${base}${f}`,
      md5: LFW_MD5[f],
      file: `${PROTOCOL_DIR}/${f}`,
      kind: "file",
      installs: `${PROTOCOL_DIR}/${f}`,
    })),
  ];
}

export interface EnsureOptions {
  /** Draw progress bars (on a terminal only). Default true. */
  progress?: boolean;
  /** Where to say what is being downloaded (default: stderr). Quiet when nothing is missing. */
  log?: (line: string) => void;
}

/**
 * Make every source present under `root`: a missing one is downloaded (resuming a `.part` file if
 * there is one), MD5-checked and, for archives, unpacked; a present single file is MD5-checked.
 * Returns the labels of what was downloaded (empty when everything was already there).
 */
export async function ensureSources(
  root: string,
  sources: DataSource[],
  opts: EnsureOptions = {},
): Promise<string[]> {
  const log = opts.log ?? ((s: string) => console.error(s));
  checkDataRoot(root);
  const downloaded: string[] = [];
  for (const s of sources) {
    const installed = join(root, s.installs);
    if (existsSync(installed)) {
      if (s.kind === "file") {
        const md5 = await md5File(installed);
        if (md5 !== s.md5) {
          throw new Error(
            `${installed}: MD5 ${md5} differs from the official ${s.md5}; delete the file and run setup again`,
          );
        }
      }
      continue;
    }
    const dest = join(root, s.file);
    if (!existsSync(dest)) {
      log(`downloading ${s.label} from ${s.url}`);
      const bar = progressBar(s.label, 0, { unit: "bytes", enabled: opts.progress ?? true });
      try {
        await downloadFile(s.url, dest, { md5: s.md5, onProgress: (v, t) => bar.update(v, t ?? v) });
      } finally {
        bar.stop();
      }
    } else if (s.kind === "tgz") {
      // An archive left from an earlier run whose extraction did not finish: check it, then reuse it.
      const md5 = await md5File(dest);
      if (md5 !== s.md5) {
        rmSync(dest);
        throw new Error(
          `${dest}: MD5 ${md5} differs from the official ${s.md5}; deleted it, run setup again`,
        );
      }
    }
    if (s.kind === "tgz") {
      log(`extracting ${dest}`);
      const bar = progressBar(`extract ${s.file}`, 0, { unit: "bytes", enabled: opts.progress ?? true });
      let top: string[];
      try {
        top = (await extractTgz(dest, root, { onProgress: (v, t) => bar.update(v, t) })).topLevel;
      } finally {
        bar.stop();
      }
      if (!existsSync(installed)) {
        throw new Error(`${dest}: the archive holds ${top.join(", ")} but not ${s.installs}`);
      }
      rmSync(dest);
    }
    downloaded.push(s.label);
  }
  return downloaded;
}

/** A folder's entries, or [] when it cannot be listed. */
function listDir(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/**
 * Stop before downloading into the wrong place: a data root that is the LFW image folder itself
 * (named `lfw-deepfunneled`, or holding person folders `Name/Name_0001.jpg`), one of its person
 * folders, or the protocol folder. The error says which folder to point FACENET_DATA at instead.
 */
export function checkDataRoot(root: string): void {
  if (existsSync(join(root, LFW_DIR)) || existsSync(join(root, PROTOCOL_DIR))) return;
  const entries = listDir(root);
  const tooDeep = (what: string, parent: string) =>
    new Error(
      `data root ${root} is ${what}, not the folder that holds ${LFW_DIR}/ and ${PROTOCOL_DIR}/; ` +
        `set FACENET_DATA=${parent} and run setup again`,
    );
  if (basename(root) === LFW_DIR) throw tooDeep("the LFW image folder itself", dirname(root));
  if (basename(root) === PROTOCOL_DIR) throw tooDeep("the LFW protocol folder", dirname(root));
  const person = entries.find((d) => d.isDirectory() && existsSync(join(root, d.name, `${d.name}_0001.jpg`)));
  if (person) {
    throw tooDeep(`an LFW image folder (it holds person folders such as ${person.name}/)`, dirname(root));
  }
  const jpeg = entries.find((d) => d.isFile() && /\.jpe?g$/i.test(d.name));
  if (jpeg) {
    const up = basename(dirname(root)) === LFW_DIR ? dirname(dirname(root)) : dirname(root);
    throw tooDeep(`a folder of images (it holds ${jpeg.name})`, up);
  }
}

export interface SetupOptions extends EnsureOptions {
  /** Restore missing or undecodable images from the archive instead of stopping at the first. */
  repair?: boolean;
  /** Passed to `verifyImages` (default: the stamp file in the cache folder). */
  stampFile?: string | null;
}

/**
 * `deno task setup`'s data part: `ensureSources`, then (with `repair`) restore the images that
 * `lfw-names.txt` promises but are missing or do not decode, then `verifyLfw` and `verifyImages`.
 * Returns the index and the paths restored; any remaining problem is an error naming the file.
 */
export async function setupLfw(
  root: string,
  sources: DataSource[],
  opts: SetupOptions = {},
): Promise<{ index: LfwIndex; restored: string[] }> {
  const log = opts.log ?? ((s: string) => console.error(s));
  await ensureSources(root, sources, opts);
  let restored: string[] = [];
  if (opts.repair) {
    const namesFile = join(root, PROTOCOL_DIR, "lfw-names.txt");
    const expected = imagesOfNames(parseNames(readFileSync(namesFile, "utf8"), namesFile));
    const { bad } = await verifyImages(root, expected, { ...opts, log, stampFile: null });
    if (bad.length > 0) {
      const archive = sources.find((s) => s.kind === "tgz" && s.installs === LFW_DIR);
      if (!archive) throw new Error(`no LFW image archive among the sources to repair ${bad[0].path} from`);
      log(`restoring ${bad.length} image(s) from ${archive.file}: ${bad.map((b) => b.path).join(", ")}`);
      restored = await repairImages(root, archive, bad.map((b) => b.path), { ...opts, log });
    }
  }
  const index = verifyLfw(root);
  const { bad } = await verifyImages(root, lfwImageList(index).map((i) => i.path), { ...opts, log });
  if (bad.length > 0) throw new Error(badImagesMessage(bad));
  return { index, restored };
}
