/**
 * Every figure type of the slides, drawn with Vega-Lite and rendered without a browser (see
 * plots/render.ts): class-size histogram, loss curves, 2-D embedding scatter, ++/+− distance histograms
 * with the threshold, ROC curves (bars.ts has the bar charts, images.ts the heat map and the pictures
 * of faces). Each function returns a Figure (SVG + PNG, shown
 * inline by the Deno Jupyter kernel) and writes `<dir>/<name>.svg|.png` when `dir` is given.
 */
import { type Figure, type FigureOptions, renderFigure, type TopLevelSpec } from "./render.ts";

export { type Figure, type FigureOptions, renderFigure, svgToPng } from "./render.ts";

export type Row = Record<string, string | number | null>;

export const prettyName = (s: string) => s.replace(/_/g, " ");

export function checkFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new RangeError(`${what}[${i}] is ${values[i]}`);
  }
}

// ---------------------------------------------------------------------------------------------------

export interface ClassSizeOptions extends FigureOptions {
  /** Bin lower edges (default 1, 2, 3, 4, 5, 6, 11, 21, 51, 101: one bar per small size, wider bins for
   * the long tail). The last bin runs to the largest size. */
  edges?: number[];
  /** Logarithmic count axis (default true: the 1-image spike would flatten everything else). */
  logScale?: boolean;
}

/** Histogram of images per person (`sizes[i]` = images of person i). */
export async function classSizeHistogram(
  sizes: ArrayLike<number>,
  opts: ClassSizeOptions = {},
): Promise<Figure> {
  if (sizes.length === 0) throw new RangeError("classSizeHistogram: no sizes");
  for (let i = 0; i < sizes.length; i++) {
    if (!Number.isInteger(sizes[i]) || sizes[i] < 1) throw new RangeError(`sizes[${i}] is ${sizes[i]}`);
  }
  const edges = opts.edges ?? [1, 2, 3, 4, 5, 6, 11, 21, 51, 101];
  const max = Math.max(...Array.from(sizes));
  const bins = edges.map((lo, b) => {
    const hi = b + 1 < edges.length ? edges[b + 1] - 1 : max;
    return { lo, hi, bin: lo === hi ? String(lo) : `${lo}–${hi}`, people: 0, images: 0 };
  }).filter((b) => b.lo <= max);
  for (let i = 0; i < sizes.length; i++) {
    const b = bins.findLast((b) => sizes[i] >= b.lo);
    if (!b) throw new RangeError(`size ${sizes[i]} below the first bin edge ${edges[0]}`);
    b.people++;
    b.images += sizes[i];
  }
  const log = opts.logScale ?? true;
  const values = bins.filter((b) => !log || b.people > 0);
  const total = Array.from(sizes).reduce((a, b) => a + b, 0);
  const spec: TopLevelSpec = {
    title: {
      text: opts.title ?? "Images per person",
      subtitle: `${sizes.length.toLocaleString("en-US")} people, ${total.toLocaleString("en-US")} images`,
    },
    width: opts.width ?? 480,
    height: opts.height ?? 280,
    data: { values },
    encoding: {
      x: { field: "bin", type: "ordinal", sort: null, title: "images per person", axis: { labelAngle: 0 } },
      y: {
        field: "people",
        type: "quantitative",
        title: log ? "people (log scale)" : "people",
        scale: log ? { type: "log" } : {},
        stack: null, // a stacked bar starts at 0, which a log scale cannot show
      },
    },
    layer: [
      // On a log axis a bar cannot start at 0: draw it up from the bottom of the plot instead.
      { mark: { type: "bar", color: "#4c78a8" }, encoding: log ? { y2: { value: "height" } } : {} },
      {
        mark: { type: "text", dy: -7, fontSize: 10 },
        encoding: { text: { field: "people", type: "quantitative" } },
      },
    ],
  };
  return await renderFigure(spec, { ...opts, name: opts.name ?? "class_sizes" });
}

// ---------------------------------------------------------------------------------------------------

export interface LossPoint {
  epoch: number;
  loss: number;
  /** Curve name (e.g. "train", "validation", "ZF", "Inception"); one colour each. */
  series?: string;
}

/** Loss against epoch, one line per series. */
export async function lossCurve(
  points: LossPoint[],
  opts: FigureOptions & {
    yTitle?: string;
    logY?: boolean;
    /** One panel per series, each with its own y scale (for quantities of different ranges). */
    panels?: boolean;
  } = {},
): Promise<Figure> {
  if (points.length === 0) throw new RangeError("lossCurve: no points");
  checkFinite(points.map((p) => p.epoch), "epoch");
  checkFinite(points.map((p) => p.loss), "loss");
  const values = points.map((p) => ({ epoch: p.epoch, loss: p.loss, series: p.series ?? "loss" }));
  const seriesCount = new Set(values.map((v) => v.series)).size;
  const panels = opts.panels === true && seriesCount > 1;
  const width = opts.width ?? 480;
  const height = opts.height ?? 280;
  const mark = { type: "line", point: values.length <= 60 } as const;
  const encoding = {
    x: { field: "epoch", type: "quantitative", title: "epoch" },
    y: {
      field: "loss",
      type: "quantitative",
      title: opts.yTitle ?? (panels ? "value" : "loss"),
      scale: opts.logY ? { type: "log" } : { zero: false },
    },
    color: panels
      ? { field: "series", type: "nominal", legend: null }
      : seriesCount > 1
      ? { field: "series", type: "nominal", title: null }
      : { value: "#4c78a8" },
  };
  const title = opts.title ?? "Triplet loss";
  const spec = (panels
    ? {
      title,
      data: { values },
      facet: {
        row: {
          field: "series",
          type: "nominal",
          title: null,
          header: { labelOrient: "top", labelAnchor: "start", labelFontWeight: "bold", labelFontSize: 12 },
        },
      },
      // One row per series, each with its own y scale.
      spec: { width, height: Math.round(height / seriesCount), mark, encoding },
      resolve: { scale: { y: "independent" } },
    }
    : { title, width, height, data: { values }, mark, encoding }) as TopLevelSpec;
  return await renderFigure(spec, { ...opts, name: opts.name ?? "loss" });
}

// ---------------------------------------------------------------------------------------------------

export interface ScatterOptions extends FigureOptions {
  /** Name of each label value (legend and tooltips); default the label number. */
  names?: string[];
  /** Show the colour legend (default: only with ≤ 20 identities). */
  legend?: boolean;
  /** Axis titles (default "dimension 1", "dimension 2"). */
  axisTitles?: [string, string];
  pointSize?: number;
}

/** 2-D points (n × 2 row-major, e.g. UMAP or t-SNE) coloured by identity. */
export async function scatter2d(
  xy: ArrayLike<number>,
  labels: ArrayLike<number>,
  opts: ScatterOptions = {},
): Promise<Figure> {
  const n = labels.length;
  if (xy.length !== 2 * n) throw new RangeError(`${xy.length / 2} points but ${n} labels`);
  checkFinite(xy, "xy");
  const values: Row[] = [];
  for (let i = 0; i < n; i++) {
    values.push({
      x: xy[2 * i],
      y: xy[2 * i + 1],
      identity: prettyName(opts.names?.[labels[i]] ?? String(labels[i])),
    });
  }
  const classes = new Set(Array.from(labels)).size;
  const legend = opts.legend ?? classes <= 20;
  const [tx, ty] = opts.axisTitles ?? ["dimension 1", "dimension 2"];
  const spec: TopLevelSpec = {
    title: {
      text: opts.title ?? "Embeddings in 2-D",
      subtitle: `${n.toLocaleString("en-US")} images, ${classes.toLocaleString("en-US")} identities`,
    },
    width: opts.width ?? 460,
    height: opts.height ?? 460,
    data: { values },
    mark: {
      type: "circle",
      size: opts.pointSize ?? (n > 2000 ? 8 : n > 300 ? 20 : 45),
      opacity: n > 2000 ? 0.6 : 0.85,
    },
    encoding: {
      x: { field: "x", type: "quantitative", title: tx, scale: { zero: false }, axis: { grid: false } },
      y: { field: "y", type: "quantitative", title: ty, scale: { zero: false }, axis: { grid: false } },
      color: {
        field: "identity",
        type: "nominal",
        sort: null,
        title: "identity",
        scale: { scheme: classes <= 10 ? "category10" : "tableau20" },
        legend: legend ? {} : null,
      },
    },
  };
  return await renderFigure(spec, { ...opts, name: opts.name ?? "scatter" });
}

// ---------------------------------------------------------------------------------------------------

export interface DistanceHistogramOptions extends FigureOptions {
  /** Draw this threshold as a vertical line. */
  threshold?: number;
  /** Bin width (default: 1/80 of the range, 0.05 on the full 0–4). */
  binWidth?: number;
  /** x range, or "auto" (the default): see histogramRange. */
  range?: [number, number] | "auto";
}

/**
 * x range for squared distances between unit vectors: 0 to the largest value rounded up to a tenth,
 * at most 4 (their ceiling) and at least 0.1. A collapsed embedding, whose distances all lie near 0,
 * would otherwise show as one bar at the left edge of a 0–4 axis.
 */
export function histogramRange(...samples: ArrayLike<number>[]): [number, number] {
  let max = 0;
  for (const d of samples) for (let i = 0; i < d.length; i++) max = Math.max(max, d[i]);
  return [0, Math.min(4, Math.max(0.1, Math.ceil(10 * max - 1e-9) / 10))];
}

/** Overlaid density histograms of same-identity (++) and different-identity (+−) pair distances. */
export async function distanceHistograms(
  positive: ArrayLike<number>,
  negative: ArrayLike<number>,
  opts: DistanceHistogramOptions = {},
): Promise<Figure> {
  if (positive.length === 0 || negative.length === 0) {
    throw new RangeError(`need ++ and +− distances, got ${positive.length} and ${negative.length}`);
  }
  checkFinite(positive, "positive");
  checkFinite(negative, "negative");
  const [lo, hi] = opts.range === undefined || opts.range === "auto"
    ? histogramRange(positive, negative)
    : opts.range;
  const w = opts.binWidth ?? (hi - lo) / 80;
  const nb = Math.ceil((hi - lo) / w - 1e-9);
  const values: Row[] = [];
  for (
    const [kind, d] of [["same identity (++)", positive], ["different identities (+−)", negative]] as const
  ) {
    const counts = new Float64Array(nb);
    for (let i = 0; i < d.length; i++) counts[Math.min(nb - 1, Math.max(0, Math.floor((d[i] - lo) / w)))]++;
    for (let b = 0; b < nb; b++) {
      // Density, so the two samples compare whatever their sizes.
      if (counts[b] > 0) {
        values.push({ kind, start: lo + b * w, end: lo + (b + 1) * w, density: counts[b] / d.length / w });
      }
    }
  }
  const layer: TopLevelSpec[] = [{
    data: { values },
    mark: { type: "rect", opacity: 0.55 },
    encoding: {
      x: { field: "start", type: "quantitative", title: "squared L2 distance", scale: { domain: [lo, hi] } },
      x2: { field: "end" },
      y: { field: "density", type: "quantitative", title: "density", stack: null },
      color: {
        field: "kind",
        type: "nominal",
        title: null,
        scale: { domain: ["same identity (++)", "different identities (+−)"], range: ["#2ca02c", "#d62728"] },
        legend: { orient: "top", direction: "horizontal" },
      },
    },
  } as unknown as TopLevelSpec];
  if (opts.threshold !== undefined) {
    const t = opts.threshold;
    layer.push({
      data: { values: [{ t, label: `threshold ${t.toFixed(2)}` }] },
      layer: [
        {
          mark: { type: "rule", strokeDash: [6, 4], strokeWidth: 2, color: "black" },
          encoding: { x: { field: "t", type: "quantitative" } },
        },
        {
          mark: { type: "text", align: "left", dx: 5, dy: 2, baseline: "top", fontSize: 11 },
          encoding: { x: { field: "t", type: "quantitative" }, y: { value: 0 }, text: { field: "label" } },
        },
      ],
    } as unknown as TopLevelSpec);
  }
  const spec = {
    title: {
      text: opts.title ?? "Pair distances",
      subtitle: `${positive.length.toLocaleString("en-US")} ++ pairs, ${
        negative.length.toLocaleString("en-US")
      } +− pairs`,
    },
    width: opts.width ?? 520,
    height: opts.height ?? 280,
    layer,
  } as unknown as TopLevelSpec;
  return await renderFigure(spec, { ...opts, name: opts.name ?? "distance_histograms" });
}

// ---------------------------------------------------------------------------------------------------

export interface RocCurve {
  /** Legend entry, e.g. "ZF (AUC 0.93)". */
  name: string;
  fpr: ArrayLike<number>;
  tpr: ArrayLike<number>;
}

/** ROC curves (TPR against FPR), with the chance diagonal. */
export async function rocCurve(
  curves: RocCurve[],
  opts: FigureOptions & { logX?: boolean } = {},
): Promise<Figure> {
  if (curves.length === 0) throw new RangeError("rocCurve: no curves");
  const values: Row[] = [];
  for (const c of curves) {
    if (c.fpr.length !== c.tpr.length) {
      throw new RangeError(`${c.name}: ${c.fpr.length} FPRs, ${c.tpr.length} TPRs`);
    }
    checkFinite(c.fpr, `${c.name} fpr`);
    checkFinite(c.tpr, `${c.name} tpr`);
    // Order by FPR then TPR so the polyline runs from (0, 0) to (1, 1) whatever the threshold order.
    const idx = Array.from({ length: c.fpr.length }, (_, i) => i).sort((a, b) =>
      c.fpr[a] - c.fpr[b] || c.tpr[a] - c.tpr[b]
    );
    idx.forEach((i, o) => {
      if (!opts.logX || c.fpr[i] > 0) values.push({ curve: c.name, fpr: c.fpr[i], tpr: c.tpr[i], order: o });
    });
  }
  const spec = {
    title: opts.title ?? "ROC",
    width: opts.width ?? 360,
    height: opts.height ?? 360,
    layer: [
      ...(opts.logX ? [] : [{
        data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] },
        mark: { type: "line", strokeDash: [4, 4], color: "#999", strokeWidth: 1 },
        encoding: { x: { field: "fpr", type: "quantitative" }, y: { field: "tpr", type: "quantitative" } },
      }]),
      {
        data: { values },
        mark: { type: "line", strokeWidth: 2 },
        encoding: {
          x: {
            field: "fpr",
            type: "quantitative",
            title: "false accept rate (FPR)",
            scale: opts.logX ? { type: "log" } : { domain: [0, 1] },
          },
          y: {
            field: "tpr",
            type: "quantitative",
            title: "true accept rate (TPR)",
            scale: { domain: [0, 1] },
          },
          order: { field: "order", type: "quantitative" },
          color: { field: "curve", type: "nominal", title: null, legend: { orient: "bottom-right" } },
        },
      },
    ],
  } as unknown as TopLevelSpec;
  return await renderFigure(spec, { ...opts, name: opts.name ?? "roc" });
}
