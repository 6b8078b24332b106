/**
 * The reference networks (issue #15): the slides' two networks trained with the reference recipe
 * (`deno task train -- --model zf|inception --recipe reference --steps N`). {@link referenceNetwork}
 * takes the user's own finished reference run in `$FACENET_MODELS/<network>-reference` if there is
 * one, else the weights shipped in the repository (`weights/reference/<network>/`, checked against
 * their manifest's SHA-256), says which one it uses, and otherwise fails saying how to make them.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { cacheRoot, displayPath, modelsRoot, referenceWeightsRoot } from "../config.ts";
import type { FaceSet } from "../data/faceset.ts";
import { loadModel } from "../models/io.ts";
import {
  CHECKPOINT,
  type CheckpointState,
  checkState,
  fingerprint,
  type HistoryRow,
  type ModelKind,
  type TrainConfig,
  trainingFaces,
} from "../training/mod.ts";
import { runOrigin } from "./command.ts";
import { MANIFEST, type Manifest, readManifest, verifyShipped } from "./manifest.ts";
import { SHIPPED_STATE } from "./ship.ts";

/** Where reference weights come from: the user's own finished run, or the repository's shipped copy. */
export type ReferenceSource = "run" | "shipped";

/** A network's reference weights, found but not loaded. */
export interface ReferenceLocation {
  kind: ModelKind;
  source: ReferenceSource;
  /** The run folder, or the shipped folder (both hold distances/ snapshots, if any were saved). */
  dir: string;
  /** The folder holding model.json and its weights. */
  weightsDir: string;
  /** The run's training state: config, history, data fingerprint. */
  state: CheckpointState;
  /** The shipped folder's manifest (source "shipped"). */
  manifest?: Manifest;
  /** Which weights these are, in words (printed when they are used). */
  description: string;
}

/** Reference weights, loaded. */
export interface ReferenceNetwork extends ReferenceLocation {
  model: tfl.LayersModel;
  config: TrainConfig;
  history: HistoryRow[];
  epochsDone: number;
  finished: boolean;
  /** Where caches derived from these weights go (embeddings): the run folder, or for shipped weights
   * a folder under the cache root named by their hash (the repository's folder stays as shipped). */
  cacheDir: string;
}

export interface ReferenceOptions {
  /** Where the user's runs are (default `modelsRoot()`). */
  modelsRoot?: string;
  /** Where shipped reference weights are (default `referenceWeightsRoot()`). */
  shippedRoot?: string;
  /** Where notes go: which weights are used, and why an own run is passed over (default console.log). */
  log?: (line: string) => void;
}

/** The folder `deno task train -- --model <kind> --recipe reference` trains into. */
export function referenceRunDir(kind: ModelKind, root: string = modelsRoot()): string {
  return join(root, `${kind}-reference`);
}

/** The folder `kind`'s reference weights are shipped in. */
export function shippedReferenceDir(kind: ModelKind, root: string = referenceWeightsRoot()): string {
  return join(root, kind);
}

/** The command that trains `kind`'s reference run (resumable: the same command continues it). */
export function referenceCommand(kind: ModelKind, steps: number | string = "N"): string {
  return `deno task train -- --model ${kind} --recipe reference --steps ${steps} --minutes M`;
}

async function readJson(path: string): Promise<unknown | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`${path} is unreadable: ${(e as Error).message}`);
  }
}

/** The user's own reference run of `kind` if it is a finished reference run; else a note on why not. */
async function ownRun(kind: ModelKind, root: string, log: (s: string) => void) {
  const dir = referenceRunDir(kind, root);
  const file = join(dir, CHECKPOINT, "state.json");
  let state: unknown;
  try {
    state = await readJson(file);
    if (state === undefined) return undefined;
    checkState(state, file, dir);
  } catch (e) {
    log(`Not using ${displayPath(dir)}: ${(e as Error).message}`);
    return undefined;
  }
  const origin = runOrigin(state.config, basename(dir));
  if (origin?.name !== "reference" || origin.people !== "slides" || state.config.model !== kind) {
    log(`Not using ${displayPath(dir)}: its config is not the ${kind} reference recipe's (${file})`);
    return undefined;
  }
  if (state.epoch < state.config.epochs) {
    log(
      `Not using your reference run ${displayPath(dir)} yet: it has finished ${state.epoch} of ` +
        `${state.config.epochs} epochs (continue it with \`${origin.command}\`)`,
    );
    return undefined;
  }
  return { dir, state, origin };
}

/**
 * Where `kind`'s reference weights are: the user's own finished reference run (preferred: it is what
 * this machine's data and code trained), else the shipped weights, else undefined. Reads only small
 * JSON files; the shipped files' hashes are checked when they are loaded ({@link loadReference}).
 */
export async function findReference(
  kind: ModelKind,
  opts: ReferenceOptions = {},
): Promise<ReferenceLocation | undefined> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const own = await ownRun(kind, opts.modelsRoot ?? modelsRoot(), log);
  if (own) {
    return {
      kind,
      source: "run",
      dir: own.dir,
      weightsDir: join(own.dir, CHECKPOINT),
      state: own.state,
      description: `your finished reference run ${displayPath(own.dir)} (${own.state.epoch} epochs, ` +
        `recipe ${own.origin.recipeName}, ${own.origin.steps} steps)`,
    };
  }
  const dir = shippedReferenceDir(kind, opts.shippedRoot ?? referenceWeightsRoot());
  if (await readJson(join(dir, MANIFEST)) === undefined) return undefined;
  const manifest = await readManifest(dir);
  if (manifest.network !== kind) {
    throw new Error(
      `${join(dir, MANIFEST)} is the manifest of a ${manifest.network} network, not of ${kind}`,
    );
  }
  const stateFile = join(dir, SHIPPED_STATE);
  const state = await readJson(stateFile);
  if (state === undefined) throw new Error(`${stateFile}, listed in ${join(dir, MANIFEST)}, is missing`);
  checkState(state, stateFile, dir);
  const partial = manifest.finished ? "" : `, PARTIAL: ${manifest.partial ?? "unfinished"}`;
  return {
    kind,
    source: "shipped",
    dir,
    weightsDir: dir,
    state,
    manifest,
    description: `the shipped reference weights ${displayPath(dir)} (${manifest.epochs.done}/` +
      `${manifest.epochs.planned} epochs, recipe ${manifest.recipeName ?? manifest.recipe ?? "unknown"}` +
      `${manifest.steps ? `, ${manifest.steps} steps` : ""}${partial})`,
  };
}

/** What to do when `kind` has no reference weights at all. */
function noReference(kind: ModelKind, opts: ReferenceOptions): Error {
  const run = referenceRunDir(kind, opts.modelsRoot ?? modelsRoot());
  const shipped = shippedReferenceDir(kind, opts.shippedRoot ?? referenceWeightsRoot());
  return new Error(
    `no reference weights for ${kind}: no finished reference run in ${displayPath(run)} and no ` +
      `${join(displayPath(shipped), MANIFEST)}. Train them with \`${referenceCommand(kind)}\` (README, ` +
      `"Reference weights", gives N; rerun the same command to resume), or ship a finished run with ` +
      `\`deno task ship -- --run ${displayPath(run)}\``,
  );
}

/**
 * Load the weights at `loc` (shipped ones after checking every file against the manifest's SHA-256; a
 * mismatch is an error naming the file). With `faces` (the ≥ 3-image LFW set training starts from), a
 * training set other than the one the weights were trained on is noted: the weights load, but numbers
 * will differ from the README's.
 */
export async function loadReference(
  loc: ReferenceLocation,
  opts: ReferenceOptions & { faces?: FaceSet } = {},
): Promise<ReferenceNetwork> {
  const log = opts.log ?? ((s: string) => console.log(s));
  if (loc.source === "shipped") await verifyShipped(loc.dir, loc.manifest);
  const { state } = loc;
  if (opts.faces) {
    const here = fingerprint(trainingFaces(opts.faces, state.config));
    if (JSON.stringify(here) !== JSON.stringify(state.data)) {
      log(
        `Note: these ${loc.kind} weights were trained on ${JSON.stringify(state.data)}, but your data give ` +
          `${JSON.stringify(here)} (another LFW preprocessing?): they load, but the numbers will differ.`,
      );
    }
  }
  const model = await loadModel(loc.weightsDir);
  const cacheDir = loc.source === "run" ? loc.dir : join(
    cacheRoot(),
    "reference",
    `${loc.kind}-${
      createHash("sha256").update(JSON.stringify(loc.manifest!.files)).digest("hex").slice(0, 12)
    }`,
  );
  log(`${loc.kind}: using ${loc.description}`);
  return {
    ...loc,
    model,
    config: state.config,
    history: state.history,
    epochsDone: state.epoch,
    finished: state.epoch >= state.config.epochs,
    cacheDir,
  };
}

/**
 * `kind`'s reference network: the user's own finished reference run in `$FACENET_MODELS/<kind>-reference`
 * if there is one, else the shipped weights in `weights/reference/<kind>/` (SHA-256 checked), saying which
 * is used; if neither exists, an error saying how to make them.
 */
export async function referenceNetwork(
  kind: ModelKind,
  opts: ReferenceOptions & { faces?: FaceSet } = {},
): Promise<ReferenceNetwork> {
  const loc = await findReference(kind, opts);
  if (!loc) throw noReference(kind, opts);
  return await loadReference(loc, opts);
}

/**
 * A shipped folder's network and training state, loaded after every file is checked against its
 * manifest's SHA-256 (for shipped networks other than the two reference ones, such as View 1's).
 */
export async function loadShipped(
  dir: string,
): Promise<{ model: tfl.LayersModel; state: CheckpointState; manifest: Manifest }> {
  const manifest = await verifyShipped(dir);
  const stateFile = join(dir, SHIPPED_STATE);
  const state = await readJson(stateFile);
  if (state === undefined) throw new Error(`${stateFile}, listed in ${join(dir, MANIFEST)}, is missing`);
  checkState(state, stateFile, dir);
  return { model: await loadModel(dir), state, manifest };
}
