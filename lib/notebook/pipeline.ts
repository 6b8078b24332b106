/**
 * How the notebooks hand work to each other: the faces every stage uses, a trained network per
 * (model, profile) that later notebooks load instead of retraining, and embeddings cached beside the
 * checkpoint they came from.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Profile, profile as activeProfile } from "../config.ts";
import { writeAtomic } from "../files.ts";
import { embed } from "../models/embed.ts";
import { type FaceSet, selectIdentities } from "../data/faceset.ts";
import { PROFILE_SETTINGS } from "../profiles.ts";
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
}

/**
 * Embeddings (n × dim) of `faces` by the run's network, cached in `<runDir>/embeddings-<name>.f32`.
 * The cache is reused only for the same images and the same training epoch; written atomically.
 */
export async function cachedEmbeddings(
  run: Pick<TrainResult, "model" | "runDir" | "epochsDone">,
  faces: FaceSet,
  name: string,
  opts: { batchSize?: number } = {},
): Promise<{ embeddings: Float32Array; dim: number; fromCache: boolean }> {
  if (!/^[\w.-]+$/.test(name)) {
    throw new Error(`embedding cache name ${JSON.stringify(name)} must be a plain file name`);
  }
  const bin = join(run.runDir, `embeddings-${name}.f32`);
  const meta = join(run.runDir, `embeddings-${name}.json`);
  const want: EmbeddingManifest = {
    n: faces.n,
    dim: 0,
    epoch: run.epochsDone,
    faces: facesFingerprint(faces),
  };
  if (existsSync(bin) && existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, "utf8")) as EmbeddingManifest;
    const bytes = readFileSync(bin);
    if (
      m.n === want.n && m.epoch === want.epoch && m.faces === want.faces &&
      bytes.byteLength === m.n * m.dim * 4
    ) {
      const embeddings = new Float32Array(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      );
      return { embeddings, dim: m.dim, fromCache: true };
    }
  }
  const embeddings = await embed(run.model as tfl.LayersModel, faces, { batchSize: opts.batchSize ?? 64 });
  const dim = faces.n ? embeddings.length / faces.n : 0;
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
