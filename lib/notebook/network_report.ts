/**
 * The report each network notebook (02 Zeiler&Fergus, 03 Inception) gives on its trained run, as the
 * slides show it for both networks: the loss at the slides' epochs beside the slides' loss, the loss
 * curve on an honest scale (down to 0, up to the margin) with the slides' points, UMAP maps of the
 * embeddings, and the ++/+− distance histograms at the slides' snapshot epochs on one shared scale with
 * a sentence saying which way they moved. Each function writes its tables (CSV) and figures into the
 * notebook's folder `out` and returns what the cell shows.
 */
import { separatingThreshold } from "../analysis/distances.ts";
import { umap2d } from "../analysis/umap.ts";
import { type FaceSet, largestClasses, selectClasses } from "../data/faceset.ts";
import {
  curvePanels,
  distanceHistogramPanels,
  distanceHistograms,
  type Figure,
  histogramRange,
  scatter2d,
} from "../plots/mod.ts";
import { describeShift, type ShiftDescription } from "../slides/claims.ts";
import { slideLossAt } from "../slides/compare.ts";
import { SLIDES_NETWORKS } from "../slides/numbers.ts";
import type { TrainResult } from "../training/loop.ts";
import { listDistanceEpochs, loadDistances } from "../training/snapshots.ts";
import { trainingConfig } from "../training/config.ts";
import { type Displayable, saveCsv, showTable } from "./output.ts";
import { cachedEmbeddings, lossAtSlideEpochs, scaledEpochs } from "./pipeline.ts";

type Run = Pick<TrainResult, "model" | "config" | "history" | "runDir" | "epochsDone">;

/**
 * The run's history (`history.csv`) and its loss at the slides' epochs (`loss_table.csv`, shown) beside
 * the slides' own loss at those epochs (empty for an epoch their table does not list).
 */
export function lossTable(run: Run, slideEpochs: number[], out: string): Displayable {
  const rows = lossAtSlideEpochs(run.config.model, run.history, slideEpochs, run.config.epochs)
    .map((r) => ({ ...r, slides_loss: slideLossAt(run.config.model, r.slide_epoch) }));
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
  saveCsv(
    rows.map((r) => ({
      slide_epoch: r.slide_epoch,
      slides_loss: r.slides_loss ?? NaN,
      epoch: r.epoch,
      loss: r.loss ?? NaN,
      lr: r.lr ?? NaN,
    })),
    out,
    "loss_table",
  );
  return showTable(
    rows.map((r) => ({
      "slide epoch": r.slide_epoch,
      "loss (slides)": r.slides_loss,
      "epoch here": r.epoch,
      "loss here": r.loss,
      "learning rate here": r.lr === null ? null : r.lr.toPrecision(2),
    })),
    { caption: "Loss at the slides' epochs: theirs and this run's", digits: 4 },
  );
}

/** The loss of an embedding that maps every face to one point: the margin (hinge) or ln 2 (soft margin). */
export function collapsedLoss(config: Run["config"]): number {
  return config.loss?.softMargin ? Math.LN2 : config.margin;
}

/**
 * Triplet loss and active-triplet fraction per epoch, in two panels (`loss_curve`). The loss axis runs
 * from 0 to at least the loss of a collapsed embedding (the margin, drawn as a line), so a short run's
 * small decrease is not stretched to the full height; with `slides` (default true) the slides' loss is
 * drawn over it, their epochs scaled onto this run's (epoch × this run's epochs / theirs). The active
 * fraction runs on 0…1.
 */
export async function trainingCurve(
  run: Run,
  network: string,
  out: string,
  opts: { slides?: boolean } = {},
): Promise<Figure> {
  const slides = SLIDES_NETWORKS[run.config.model];
  const scale = run.config.epochs / slides.epochs;
  const collapsed = collapsedLoss(run.config);
  const withSlides = opts.slides ?? true;
  const scaledNote = scale === 1 ? "" : ` (the slides' epochs × ${run.config.epochs}/${slides.epochs})`;
  return await curvePanels([
    {
      title: "triplet loss, mean over the epoch",
      name: "this run",
      yTitle: "loss",
      points: run.history.map((h) => ({ epoch: h.epoch, value: h.loss })),
      yInclude: [0],
      rules: [{
        value: collapsed,
        label: `${run.config.loss?.softMargin ? "ln 2" : `margin ${collapsed}`}: every face at one point`,
      }],
      ...(withSlides
        ? {
          reference: {
            name: `slides${scaledNote}`,
            points: slides.loss.map((r) => ({ epoch: r.epoch * scale, value: r.loss })),
          },
        }
        : {}),
    },
    {
      title: "active triplet fraction (loss > 0)",
      points: run.history.map((h) => ({ epoch: h.epoch, value: h.activeFraction })),
      yTitle: "share of triplets",
      yDomain: [0, 1],
    },
  ], { dir: out, name: "loss_curve", title: `${network}: training loss per epoch` });
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
 * The ++ and +− squared distances saved at the slides' snapshot epochs (mapped onto this run's, else the
 * nearest saved ones): one
 * figure with a panel per epoch on a shared scale and the best separating threshold in each
 * (`distances_by_epoch`), the same histograms one per figure on that scale (`distances_at_<slide epoch>`),
 * the thresholds as a table (`distance_thresholds.csv`, shown), and, for two or more epochs, which way
 * the two groups moved from the first to the last (`shift`: its `sentence` is Markdown for the notebook).
 */
export async function distanceSnapshots(
  run: Run,
  slideEpochs: number[],
  out: string,
): Promise<{ figures: Figure[]; figure: Figure; table: Displayable; shift?: ShiftDescription }> {
  const saved = listDistanceEpochs(run.runDir);
  if (!saved.length) throw new Error(`no distance snapshots in ${run.runDir}/distances`);
  const scaled = scaledEpochs(
    slideEpochs,
    trainingConfig(run.config.model, "full").epochs,
    run.config.epochs,
  );
  // A run whose plan was lengthened (a warm restart) saved its snapshots where the earlier plan scaled
  // them: the nearest saved epoch stands in, and the title and table say so.
  const here = scaled.map((e) => saved.reduce((a, b) => (Math.abs(b - e) < Math.abs(a - e) ? b : a)));
  const rows = [];
  const snaps = [];
  for (const [i, e] of here.entries()) {
    const snap = await loadDistances(run.runDir, e);
    const sep = separatingThreshold(snap.positive, snap.negative);
    const note = e === scaled[i] ? "" : `; the nearest saved to ${scaled[i]}`;
    snaps.push({ snap, threshold: sep.threshold, title: `epoch ${e} (slides: ${slideEpochs[i]}${note})` });
    rows.push({
      "slide epoch": slideEpochs[i],
      "scaled epoch": scaled[i],
      "epoch here": e,
      "++ pairs": snap.positive.length,
      "+− pairs": snap.negative.length,
      threshold: sep.threshold,
      "balanced accuracy": sep.balancedAccuracy,
    });
  }
  // One x range for every epoch, so the separate figures compare too.
  const range = histogramRange(...snaps.flatMap(({ snap }) => [snap.positive, snap.negative]));
  const figures: Figure[] = [];
  for (const [i, { snap, threshold }] of snaps.entries()) {
    figures.push(
      await distanceHistograms(snap.positive, snap.negative, {
        threshold,
        range,
        dir: out,
        name: `distances_at_${slideEpochs[i]}`,
        title: `++ and +− squared distances, ${snaps[i].title}`,
      }),
    );
  }
  const figure = await distanceHistogramPanels(
    snaps.map(({ snap, threshold, title }) => ({
      title,
      positive: snap.positive,
      negative: snap.negative,
      threshold,
    })),
    {
      range,
      dir: out,
      name: "distances_by_epoch",
      title: "++ and +− squared distances, one scale for both epochs",
    },
  );
  saveCsv(rows, out, "distance_thresholds");
  const shift = snaps.length >= 2
    ? describeShift(
      { epoch: here[0], positive: snaps[0].snap.positive, negative: snaps[0].snap.negative },
      { epoch: here.at(-1)!, positive: snaps.at(-1)!.snap.positive, negative: snaps.at(-1)!.snap.negative },
    )
    : undefined;
  return {
    figures,
    figure,
    table: showTable(rows, { caption: "Best separating threshold on the saved pairs" }),
    ...(shift ? { shift } : {}),
  };
}
