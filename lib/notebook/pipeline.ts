/**
 * How the notebooks hand work to each other: the faces every stage uses, a trained network per
 * (model, profile) that later notebooks load instead of retraining (or the reference network, where the
 * profile uses it and there is one), and embeddings cached beside the checkpoint they came from.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { displayPath, type Profile, profile as activeProfile, retrainRequested } from "../config.ts";
import { writeAtomic } from "../files.ts";
import { embed } from "../models/embed.ts";
import { type FaceSet, selectIdentities } from "../data/faceset.ts";
import { PROFILE_SETTINGS } from "../profiles.ts";
import { findReference, loadReference, type ReferenceOptions } from "../reference/mod.ts";
import { Rng } from "../rng.ts";
import { scaledEpochs } from "../slides/compare.ts";
import type { HistoryRow, ModelKind, TrainOptions, TrainResult } from "../training/mod.ts";
import { train, trainingConfig } from "../training/mod.ts";

/**
 * The faces that evaluation notebooks embed: every identity in `faces` (the ≥ 3-image subset), or a
 * seeded sample of whole identities where the profile limits them (`evaluationIdentities`, smoke).
 */
export function evaluationFaces(faces: FaceSet, p: Profile = activeProfile(), seed = 7): FaceSet {
  const classes = faces.classNames.length;
  const want = PROFILE_SETTINGS[p].evaluationIdentities;
  if (want === null || classes <= want) return faces;
  return selectIdentities(faces, new Rng(seed).sample(classes, want));
}

/** Train a network for the active profile, or load it if its run already finished (resuming an interrupted one). */
export function trainedNetwork(
  kind: ModelKind,
  faces: FaceSet,
  opts: TrainOptions = {},
): Promise<TrainResult> {
  return train(kind, faces, opts);
}

/** A network a notebook works with: a training run, or reference weights. */
export interface NotebookNetwork extends TrainResult {
  /** Where it comes from, in words. */
  source: string;
  /** Where caches derived from it go (embeddings), when not in `runDir` (shipped weights). */
  cacheDir?: string;
  /** The backend that trained it, when it was not trained here (reference weights). */
  trainedOn?: string;
}

/**
 * The network `kind` a notebook uses: the reference network (lib/reference/: the user's own finished
 * reference run, else the shipped weights) where the profile says so (`referenceNetworks`) and there is
 * one, unless FACENET_RETRAIN=1; otherwise {@link trainedNetwork}'s run of the profile, as before.
 * `faces` is the ≥ 3-image LFW set (training starts from it; reference weights are checked against it).
 */
export async function notebookNetwork(
  kind: ModelKind,
  faces: FaceSet,
  opts: TrainOptions & { reference?: ReferenceOptions } = {},
): Promise<NotebookNetwork> {
  const p = opts.profile ?? activeProfile();
  if (PROFILE_SETTINGS[p].referenceNetworks && !retrainRequested()) {
    const refOpts = { ...opts.reference };
    const loc = await findReference(kind, refOpts);
    if (loc) {
      const ref = await loadReference(loc, { ...refOpts, faces });
      return {
        model: ref.model,
        config: ref.config,
        history: ref.history,
        runDir: ref.dir,
        epochsDone: ref.epochsDone,
        finished: ref.finished,
        resumedFrom: ref.epochsDone,
        source: `${ref.description}; FACENET_RETRAIN=1 trains the ${p} profile's network instead`,
        cacheDir: ref.cacheDir,
        trainedOn: [ref.state.backend, ref.state.device].filter(Boolean).join(", "),
      };
    }
  }
  const run = await trainedNetwork(kind, faces, opts);
  return { ...run, source: `the ${p} profile's run ${displayPath(run.runDir)}` };
}

/** A stable digest of which images (paths and labels, in order) a set holds. */
export function facesFingerprint(faces: FaceSet): string {
  const h = createHash("sha256");
  for (let i = 0; i < faces.n; i++) h.update(`${faces.paths[i]}\t${faces.classNames[faces.labels[i]]}\n`);
  return h.digest("hex").slice(0, 16);
}

interface EmbeddingManifest {
  n: number;
  dim: number;
  epoch: number;
  faces: string;
  /** Flip-averaged (absent in caches written before the option: plain). */
  flip?: boolean;
}

/**
 * Embeddings (n × dim) of `faces` by the run's network, cached in `<runDir>/embeddings-<name>.f32`
 * (`<cacheDir>/…` when the run has one). The cache is reused only for the same images, the same
 * training epoch and the same kind of embedding (`flip`: flip-averaged, see `embed`); written atomically.
 */
export async function cachedEmbeddings(
  run: Pick<TrainResult, "model" | "runDir" | "epochsDone"> & { cacheDir?: string },
  faces: FaceSet,
  name: string,
  opts: { batchSize?: number; flip?: boolean } = {},
): Promise<{ embeddings: Float32Array; dim: number; fromCache: boolean }> {
  if (!/^[\w.-]+$/.test(name)) {
    throw new Error(`embedding cache name ${JSON.stringify(name)} must be a plain file name`);
  }
  const dir = run.cacheDir ?? run.runDir;
  const bin = join(dir, `embeddings-${name}.f32`);
  const meta = join(dir, `embeddings-${name}.json`);
  const want: EmbeddingManifest = {
    n: faces.n,
    dim: 0,
    epoch: run.epochsDone,
    faces: facesFingerprint(faces),
    flip: opts.flip ?? false,
  };
  if (existsSync(bin) && existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, "utf8")) as EmbeddingManifest;
    const bytes = readFileSync(bin);
    if (
      m.n === want.n && m.epoch === want.epoch && m.faces === want.faces && (m.flip ?? false) === want.flip &&
      bytes.byteLength === m.n * m.dim * 4
    ) {
      const embeddings = new Float32Array(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      );
      return { embeddings, dim: m.dim, fromCache: true };
    }
  }
  const embeddings = await embed(run.model as tfl.LayersModel, faces, {
    batchSize: opts.batchSize ?? 64,
    flip: want.flip,
  });
  const dim = faces.n ? embeddings.length / faces.n : 0;
  mkdirSync(dir, { recursive: true });
  writeAtomic(bin, new Uint8Array(embeddings.buffer, embeddings.byteOffset, embeddings.byteLength));
  writeAtomic(meta, JSON.stringify({ ...want, dim }));
  return { embeddings, dim, fromCache: false };
}

// Mapping the slides' epochs onto a shorter run lives with the slides' numbers.
export { scaledEpochs } from "../slides/compare.ts";

/** The loss table of the slides: for each slide epoch, the epoch of this run it corresponds to and its loss. */
export function lossAtSlideEpochs(
  kind: ModelKind,
  history: HistoryRow[],
  slideEpochs: number[],
  epochs = trainingConfig(kind).epochs,
): { slide_epoch: number; epoch: number; loss: number | null; lr: number | null }[] {
  const full = trainingConfig(kind, "full").epochs;
  const mapped = scaledEpochs(slideEpochs, full, epochs);
  return slideEpochs.map((s, i) => {
    const row = history.find((h) => h.epoch === mapped[i]);
    return { slide_epoch: s, epoch: mapped[i], loss: row?.loss ?? null, lr: row?.lr ?? null };
  });
}
