/**
 * What `deno task setup` fetches (the official LFW files and their MD5s) and the logic that makes
 * a data root complete: download what is missing, verify what is there, and check that images and
 * protocol files agree. With everything present it writes nothing, so the data root may be read-only.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { downloadFile, extractTgz, md5File } from "./download.ts";
import { LFW_DIR, type LfwIndex, readLfwIndex } from "./lfw.ts";
import { progressBar } from "./progress.ts";
import {
  checkCountsInIndex,
  checkPairsInIndex,
  parseDevPairs,
  parseDevPeople,
  parseNames,
  parsePairs,
  PROTOCOL_DIR,
} from "./protocol.ts";

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
  let v: string | undefined;
  try {
    v = Deno.env.get("FACENET_LFW_URL");
  } catch {
    v = undefined;
  }
  const b = v === undefined || v === "" ? LFW_BASE_URL : v;
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
        `${names.length}` + (extra ? ` (${extra.name} is not listed)` : ""),
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
