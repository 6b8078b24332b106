/**
 * The report each network notebook (02 Zeiler&Fergus, 03 Inception) gives on its trained run, as the
 * slides show it for both networks: the loss at the slides' epochs, the loss curve, UMAP maps of the
 * embeddings, and the ++/+− distance histograms at the slides' snapshot epochs. Each function writes its
 * tables (CSV) and figures into the notebook's folder `out` and returns what the cell shows.
 */
import { separatingThreshold } from "../analysis/distances.ts";
import { umap2d } from "../analysis/umap.ts";
import { type FaceSet, largestClasses, selectClasses } from "../data/faceset.ts";
import { distanceHistograms, type Figure, lossCurve, scatter2d } from "../plots/mod.ts";
import type { TrainResult } from "../training/loop.ts";
import { listDistanceEpochs, loadDistances } from "../training/snapshots.ts";
import { trainingConfig } from "../training/config.ts";
import { type Displayable, saveCsv, showTable } from "./output.ts";
import { cachedEmbeddings, lossAtSlideEpochs, scaledEpochs } from "./pipeline.ts";

type Run = Pick<TrainResult, "model" | "config" | "history" | "runDir" | "epochsDone">;

/** The run's history (`history.csv`) and its loss at the slides' epochs (`loss_table.csv`, shown). */
export function lossTable(run: Run, slideEpochs: number[], out: string): Displayable {
  const rows = lossAtSlideEpochs(run.config.model, run.history, slideEpochs, run.config.epochs);
  saveCsv(
    run.history.map((h) => ({
      epoch: h.epoch,
      loss: h.loss,
      lr: h.lr,
      active_fraction: h.activeFraction,
      seconds: h.seconds,
    })),
    out,
    "history",
  );
  saveCsv(rows.map((r) => ({ ...r, loss: r.loss ?? NaN, lr: r.lr ?? NaN })), out, "loss_table");
  return showTable(
    rows.map((r) => ({
      "slide epoch": r.slide_epoch,
      "epoch here": r.epoch,
      loss: r.loss,
      "learning rate": r.lr === null ? null : r.lr.toPrecision(2),
    })),
    { caption: "Loss at the slides' epochs", digits: 4 },
  );
}

/** Triplet loss and active-triplet fraction per epoch, in two panels (`loss_curve`). */
export async function trainingCurve(run: Run, network: string, out: string): Promise<Figure> {
  return await lossCurve([
    ...run.history.map((h) => ({ epoch: h.epoch, loss: h.loss, series: "triplet loss" })),
    ...run.history.map((h) => ({
      epoch: h.epoch,
      loss: h.activeFraction,
      series: "active triplet fraction",
    })),
  ], {
    dir: out,
    name: "loss_curve",
    title: `${network}: training loss per epoch`,
    yTitle: "mean over the epoch",
    panels: true,
  });
}

/** UMAP of the embeddings of every identity in `faces` (`umap_all`), embedded once and cached. */
export async function umapOfAll(run: Run, faces: FaceSet, out: string): Promise<Figure> {
  const { embeddings, dim, fromCache } = await cachedEmbeddings(run, faces, "train");
  console.log(
    `${faces.n} embeddings of ${faces.classNames.length} identities (${fromCache ? "cached" : "computed"})`,
  );
  const xy = umap2d(embeddings, dim, { seed: 1 });
  return await scatter2d(xy, faces.labels, {
    dir: out,
    name: "umap_all",
    names: faces.classNames,
    legend: false,
    pointSize: 8,
    title: `UMAP of the training embeddings: ${faces.classNames.length} identities`,
  });
}

/** UMAP of the three identities of `faces` with the most images (`umap_three`). */
export async function umapOfThree(run: Run, faces: FaceSet, out: string): Promise<Figure> {
  const three = selectClasses(faces, largestClasses(faces, 3));
  const e3 = await cachedEmbeddings(run, three, "three");
  const xy3 = umap2d(e3.embeddings, e3.dim, { seed: 1, nNeighbors: 15 });
  return await scatter2d(xy3, three.labels, {
    dir: out,
    name: "umap_three",
    names: three.classNames,
    legend: true,
    pointSize: 30,
    title: "UMAP of three identities' embeddings",
  });
}

/**
 * The ++ and +− squared distances saved at the slides' snapshot epochs (mapped onto this run's):
 * a histogram with the best separating threshold per epoch (`distances_at_<slide epoch>`) and the
 * thresholds as a table (`distance_thresholds.csv`, shown).
 */
export async function distanceSnapshots(
  run: Run,
  slideEpochs: number[],
  out: string,
): Promise<{ figures: Figure[]; table: Displayable }> {
  const saved = listDistanceEpochs(run.runDir);
  const here = scaledEpochs(slideEpochs, trainingConfig(run.config.model, "full").epochs, run.config.epochs);
  const figures: Figure[] = [];
  const rows = [];
  for (const [i, e] of here.entries()) {
    if (!saved.includes(e)) {
      throw new Error(`no distance snapshot for epoch ${e} in ${run.runDir} (saved: ${saved.join(", ")})`);
    }
    const snap = await loadDistances(run.runDir, e);
    const sep = separatingThreshold(snap.positive, snap.negative);
    rows.push({
      "slide epoch": slideEpochs[i],
      "epoch here": e,
      "++ pairs": snap.positive.length,
      "+− pairs": snap.negative.length,
      threshold: sep.threshold,
      "balanced accuracy": sep.balancedAccuracy,
    });
    figures.push(
      await distanceHistograms(snap.positive, snap.negative, {
        threshold: sep.threshold,
        dir: out,
        name: `distances_at_${slideEpochs[i]}`,
        title: `++ and +− squared distances, epoch ${e} (slides: ${slideEpochs[i]})`,
      }),
    );
  }
  saveCsv(rows, out, "distance_thresholds");
  return { figures, table: showTable(rows, { caption: "Best separating threshold on the saved pairs" }) };
}
