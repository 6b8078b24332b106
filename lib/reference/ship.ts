/**
 * Shipping a finished training run into the repository (issue #15's reference weights): the final
 * model in TensorFlow.js's layers format (model.json + its weight files) with the run's history
 * (history.csv, state.json), ++/+− distance snapshots and training config, but not the optimizer's
 * state (Adam's moments, twice the weights' size, needed only to resume), and a manifest.json
 * (manifest.ts) with the SHA-256 of every shipped file. The folder is written aside and swapped in
 * whole, so a failed ship leaves the previous one intact.
 */
import { copyFile, mkdir, readdir } from "node:fs/promises";
import { basename, join, resolve, sep } from "node:path";
import { displayPath, referenceWeightsRoot, REPO_ROOT } from "../config.ts";
import { gitState } from "../code_version.ts";
import { commitDir, freshTmpDir, recoverDir, writeAtomic } from "../files.ts";
import { readModelArtifacts } from "../models/io.ts";
import {
  CHECKPOINT,
  type CheckpointState,
  checkState,
  lockRunDir,
  writeHistoryCsv,
} from "../training/mod.ts";
import { runOrigin } from "./command.ts";
import {
  checkRelative,
  type GitState,
  hashFile,
  MANIFEST,
  type Manifest,
  MANIFEST_FORMAT,
} from "./manifest.ts";

export interface ShipOptions {
  /** Ship a run that has not finished its planned epochs (the manifest says so). */
  partial?: boolean;
  /** Where notes go (default console.log). */
  log?: (line: string) => void;
}

/** The files a shipped folder holds besides the weights (named in the manifest, hashed). */
export const SHIPPED_STATE = "state.json";
export const SHIPPED_HISTORY = "history.csv";
export const SHIPPED_DISTANCES = "distances";

/** Read the run's checkpoint state (checked); a run without one is an error naming the file. */
async function readState(runDir: string): Promise<CheckpointState> {
  const file = join(runDir, CHECKPOINT, "state.json");
  let state: unknown;
  try {
    state = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "does not exist: the run has no checkpoint (it has not finished an epoch), or this is not a run folder"
      : `is unreadable: ${(e as Error).message}`;
    throw new Error(`cannot ship ${displayPath(runDir)}: ${file} ${why}`);
  }
  checkState(state, file, runDir);
  return state;
}

/** Every file under `dir`, as `/`-separated paths relative to it, sorted. */
async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...await listFiles(join(dir, e.name), rel));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}

/**
 * Ship run folder `runDir` into folder `to` (replaced whole; default `weights/reference/<network>`) and
 * return its manifest. A run that has
 * not finished its planned epochs is refused, naming its state file, unless `partial` is set. The run
 * folder is locked meanwhile, so a training cannot swap its checkpoint during the copy.
 */
export async function shipRun(
  runDir: string,
  to: string | undefined,
  opts: ShipOptions = {},
): Promise<Manifest & { dir: string }> {
  const log = opts.log ?? ((s: string) => console.log(s));
  try {
    await Deno.stat(join(runDir, CHECKPOINT));
  } catch {
    throw new Error(
      `cannot ship ${displayPath(runDir)}: ${join(runDir, CHECKPOINT)} does not exist (not a run folder, ` +
        `or a run that has not finished an epoch)`,
    );
  }
  using _lock = lockRunDir(runDir, log);
  await recoverDir(join(runDir, CHECKPOINT));
  const state = await readState(runDir);
  const cfg = state.config;
  to ??= join(referenceWeightsRoot(), cfg.model);
  if (resolve(to) === resolve(runDir) || resolve(to).startsWith(resolve(runDir) + sep)) {
    throw new Error(`cannot ship ${displayPath(runDir)} into itself (${displayPath(to)})`);
  }
  const finished = state.epoch >= cfg.epochs;
  const origin = runOrigin(cfg, basename(resolve(runDir)));
  if (!finished && !opts.partial) {
    throw new Error(
      `${join(runDir, CHECKPOINT, "state.json")}: the run has finished ${state.epoch} of its ${cfg.epochs} ` +
        `planned epochs; finish it first (${
          origin ? `rerun \`${origin.command}\`, which resumes` : "resume it"
        }) ` +
        `or ship it as it is with --partial`,
    );
  }

  const tmp = await freshTmpDir(to);
  try {
    const ck = join(runDir, CHECKPOINT);
    // The model: model.json and every weight file it names (not optimizer.json/.bin: Adam's moments).
    const modelJson = JSON.parse(await Deno.readTextFile(join(ck, "model.json")));
    const weightFiles: string[] = (modelJson.weightsManifest ?? []).flatMap((g: { paths: string[] }) =>
      g.paths.map((p) => p.replace(/^\.\//, ""))
    );
    for (const f of ["model.json", ...weightFiles]) {
      checkRelative(f, join(ck, "model.json"));
      await mkdir(join(tmp, ...f.split("/").slice(0, -1)), { recursive: true });
      await copyFile(join(ck, ...f.split("/")), join(tmp, ...f.split("/")));
    }
    await readModelArtifacts(tmp); // the weight files hold exactly what model.json lists
    await copyFile(join(ck, "state.json"), join(tmp, SHIPPED_STATE));
    // history.csv as the checkpoint has it (the run's own copy is written just after the checkpoint).
    writeHistoryCsv(join(tmp, SHIPPED_HISTORY), state.history);
    const distances = join(runDir, SHIPPED_DISTANCES);
    const snaps = await listFiles(distances).catch(() => [] as string[]);
    for (const f of snaps.filter((f) => /^epoch_\d+\.json$/.test(f))) {
      await mkdir(join(tmp, SHIPPED_DISTANCES), { recursive: true });
      await copyFile(join(distances, f), join(tmp, SHIPPED_DISTANCES, f));
    }

    const files: Manifest["files"] = {};
    for (const f of await listFiles(tmp)) files[f] = await hashFile(join(tmp, ...f.split("/")));
    let git: GitState | null = null;
    let gitError: string | undefined;
    try {
      git = await gitState(REPO_ROOT, to);
    } catch (e) {
      gitError = (e as Error).message;
    }
    const sum = (f: (h: CheckpointState["history"][number]) => number) =>
      state.history.reduce((a, h) => a + f(h), 0);
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      network: cfg.model,
      finished,
      ...(finished ? {} : { partial: `shipped with --partial after ${state.epoch} of ${cfg.epochs} epochs` }),
      recipe: origin?.name ?? null,
      ...(origin?.recipeName ? { recipeName: origin.recipeName } : {}),
      steps: origin?.steps ?? null,
      config: cfg,
      epochs: { done: state.epoch, planned: cfg.epochs },
      batches: typeof cfg.batchesPerEpoch === "number" ? state.epoch * cfg.batchesPerEpoch : state.epoch,
      imagesTrained: Math.round(sum((h) => h.imagesPerSecond * h.seconds)),
      trainingSeconds: Math.round(sum((h) => h.seconds) * 10) / 10,
      data: state.data,
      backend: {
        name: state.backend,
        device: state.device ?? null,
        microBatch: state.microBatchUsed ?? null,
      },
      git,
      ...(gitError ? { gitError } : {}),
      trainedBy: state.code ?? null,
      command: origin?.command ?? null,
      source: { run: basename(resolve(runDir)), savedAt: state.savedAt },
      shippedAt: new Date().toISOString(),
      warnings: state.warnings ?? [],
      files,
    };
    writeAtomic(join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
    await commitDir(tmp, to);
    log(
      `Shipped ${displayPath(runDir)} (${state.epoch}/${cfg.epochs} epochs${
        finished ? "" : ", PARTIAL"
      }) to ` +
        `${displayPath(to)}: ${Object.keys(files).length} files + ${MANIFEST}` +
        (git?.dirty ? "; note: the working tree has uncommitted changes (recorded as dirty)" : ""),
    );
    return { ...manifest, dir: to };
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
}
