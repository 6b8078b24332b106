/**
 * ++/+− distance snapshots: squared embedding distances of same-identity and different-identity pairs
 * on a fixed subset of the training identities, saved after chosen epochs for the notebooks' histograms.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { squaredDistance } from "../analysis/vectors.ts";
import { type FaceSet, groupByLabel, selectFaces } from "../data/faceset.ts";
import { writeAtomic } from "../files.ts";
import { embed } from "../models/embed.ts";
import { Rng } from "../rng.ts";
import type { TrainConfig } from "./config.ts";

/** ++ and +− squared distances of one snapshot. */
export interface DistanceSnapshot {
  epoch: number;
  /** Anchor–positive (same identity) squared distances. */
  positive: number[];
  /** Anchor–negative (different identities) squared distances. */
  negative: number[];
}

function distanceFile(runDir: string, epoch: number): string {
  return join(runDir, "distances", `epoch_${String(epoch).padStart(4, "0")}.json`);
}

/** Whole identities, in a seeded random order, until `maxImages` images (at least one identity). */
function snapshotFaces(faces: FaceSet, maxImages: number, rng: Rng): FaceSet {
  const groups = [...groupByLabel(faces.labels).values()];
  const chosen: number[] = [];
  for (const gi of rng.sample(groups.length, groups.length)) {
    if (chosen.length + groups[gi].length > maxImages && chosen.length > 0) continue;
    chosen.push(...groups[gi]);
  }
  chosen.sort((a, b) => a - b);
  return selectFaces(faces, chosen);
}

/**
 * ++/+− squared distances on a fixed subset of the training identities: the same images and
 * pairs at every epoch (own seed), so snapshots are comparable. Asynchronous: the embeddings are
 * read back with an awaited read, which every backend supports (webgpu has no synchronous one in Deno).
 */
export async function distanceSnapshot(
  model: tfl.LayersModel,
  faces: FaceSet,
  cfg: TrainConfig,
  epoch: number,
): Promise<DistanceSnapshot> {
  const rng = new Rng(cfg.seed ^ 0xd15);
  const sub = snapshotFaces(faces, cfg.distanceImages, rng);
  const e = await embed(model, sub, { batchSize: cfg.embedBatchSize });
  const d = e.length / sub.n;
  const dist = (i: number, j: number) => squaredDistance(e, i, e, j, d);
  const pos: [number, number][] = [];
  for (let i = 0; i < sub.n; i++) {
    for (let j = i + 1; j < sub.n; j++) if (sub.labels[i] === sub.labels[j]) pos.push([i, j]);
  }
  const posPairs = pos.length > cfg.distancePairs
    ? rng.sample(pos.length, cfg.distancePairs).map((i) => pos[i])
    : pos;
  const nNeg = Math.min(cfg.distancePairs, Math.max(posPairs.length, 1));
  const negative: number[] = [];
  if (sub.classNames.length > 1) {
    while (negative.length < nNeg) {
      const i = rng.int(sub.n);
      const j = rng.int(sub.n);
      if (sub.labels[i] !== sub.labels[j]) negative.push(dist(i, j));
    }
  }
  return { epoch, positive: posPairs.map(([i, j]) => dist(i, j)), negative };
}

/** Take a snapshot of `model` and save it in the run folder. */
export async function saveDistanceSnapshot(
  runDir: string,
  model: tfl.LayersModel,
  faces: FaceSet,
  cfg: TrainConfig,
  epoch: number,
): Promise<void> {
  const snap = await distanceSnapshot(model, faces, cfg, epoch);
  mkdirSync(join(runDir, "distances"), { recursive: true });
  writeAtomic(distanceFile(runDir, epoch), JSON.stringify(snap));
}

/** Epochs for which a run has distance snapshots. */
export function listDistanceEpochs(runDir: string): number[] {
  try {
    return [...Deno.readDirSync(join(runDir, "distances"))]
      .map((e) => /^epoch_(\d+)\.json$/.exec(e.name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/** The ++/+− distances a run saved after `epoch`. */
export async function loadDistances(runDir: string, epoch: number): Promise<DistanceSnapshot> {
  const path = distanceFile(runDir, epoch);
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`no distance snapshot for epoch ${epoch} in ${runDir} (${(e as Error).message})`);
  }
}
