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
  /** Bin lower edges, for one bar per bin (e.g. 1, 2, 3, 4, 5, 6, 11, 21, 51, 101; the last bin runs to the
   * largest size). Default: one bar per size, on a linear size axis, so a single large class (George W.
   * Bush's 530 images) stands apart as its own spike instead of hiding in a "101–530" bin. */
  edges?: number[];
  /** Logarithmic count axis (default true: the 1-image spike would flatten everything else; a bar of one
   * person stays visible because the axis starts at ½). */
  logScale?: boolean;
  /** Each person's name (parallel to `sizes`), to label the largest classes at their bars. */
  names?: readonly string[];
  /** How many of the largest people to label by name (default 1 when `names` is given). */
  annotate?: number;
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
  if (opts.names !== undefined && opts.names.length !== sizes.length) {
    throw new RangeError(`classSizeHistogram: ${opts.names.length} names for ${sizes.length} sizes`);
  }
  const log = opts.logScale ?? true;
  const total = Array.from(sizes).reduce((a, b) => a + b, 0);
  const title = {
    text: opts.title ?? "Images per person",
    subtitle: `${sizes.length.toLocaleString("en-US")} people, ${total.toLocaleString("en-US")} images`,
  };
  const spec = opts.edges === undefined
    ? perSizeSpec(sizes, opts, log, title)
    : binnedSpec(sizes, opts.edges, opts, log, title);
  return await renderFigure(spec, { ...opts, name: opts.name ?? "class_sizes" });
}

/** One bar per size (x: images per person, linear), the largest people labelled by name. */
function perSizeSpec(
  sizes: ArrayLike<number>,
  opts: ClassSizeOptions,
  log: boolean,
  title: { text: string; subtitle: string },
): TopLevelSpec {
  const people = new Map<number, number>();
  for (let i = 0; i < sizes.length; i++) people.set(sizes[i], (people.get(sizes[i]) ?? 0) + 1);
  const values = [...people].sort((a, b) => a[0] - b[0])
    .map(([size, n]) => ({ size, lo: size - 0.5, hi: size + 0.5, people: n }));
  const max = values.at(-1)!.size;
  const maxPeople = Math.max(...values.map((v) => v.people));
  const annotate = opts.names ? Math.max(0, opts.annotate ?? 1) : 0;
  const largest = Array.from({ length: sizes.length }, (_, i) => i)
    .sort((a, b) => sizes[b] - sizes[a]).slice(0, annotate)
    .map((i) => ({
      size: sizes[i],
      people: people.get(sizes[i])!,
      label: `${prettyName(opts.names![i])}: ${sizes[i]}`,
    }));
  const x = {
    type: "quantitative",
    title: "images per person",
    scale: { domain: [0, max + 1], nice: false },
    axis: { tickMinStep: 1, format: "d" }, // whole images
  } as const;
  // A log axis starts at ½ so that a bar of one person has a height; a bar cannot start at 0 there.
  const y = {
    field: "people",
    type: "quantitative",
    title: log ? "people (log scale)" : "people",
    scale: log ? { type: "log", domain: [0.5, 10 ** Math.ceil(Math.log10(maxPeople * 1.2))] } : {},
    ...(log ? {} : { axis: { tickMinStep: 1, format: "d" } }),
    stack: null,
  } as const;
  return {
    title,
    width: opts.width ?? 640,
    height: opts.height ?? 280,
    layer: [
      {
        data: { values },
        // A stroke of the fill's colour keeps one-size bars (1.2 px wide at 530 sizes) visible.
        mark: { type: "rect", color: "#4c78a8", stroke: "#4c78a8", strokeWidth: 1 },
        encoding: {
          x: { ...x, field: "lo" },
          x2: { field: "hi" },
          y,
          y2: log ? { value: "height" } : { datum: 0 },
        },
      },
      ...(largest.length
        ? [{
          data: { values: largest },
          mark: { type: "text", align: "right", dx: -4, dy: -6, fontSize: 11 },
          encoding: { x: { ...x, field: "size" }, y, text: { field: "label" } },
        }]
        : []),
    ],
  } as unknown as TopLevelSpec;
}

/** One bar per bin of sizes (the bins' lower edges `edges`), each with its count of people. */
function binnedSpec(
  sizes: ArrayLike<number>,
  edges: number[],
  opts: ClassSizeOptions,
  log: boolean,
  title: { text: string; subtitle: string },
): TopLevelSpec {
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
  const values = bins.filter((b) => !log || b.people > 0);
  return {
    title,
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
}

// ---------------------------------------------------------------------------------------------------

export interface LossPoint {
  epoch: number;
  loss: number;
  /** Curve name (e.g. "train", "validation", "ZF", "Inception"); one colour each. */
  series?: string;
}

/** A horizontal reference line with a label (e.g. the margin: the loss of a collapsed embedding). */
export interface RuleLine {
  value: number;
  label: string;
}

/** Points drawn over a curve for comparison (e.g. the slides' loss), with their legend name. */
export interface ReferencePoints {
  name: string;
  points: { epoch: number; value: number }[];
}

export interface LossCurveOptions extends FigureOptions {
  yTitle?: string;
  logY?: boolean;
  /** One panel per series, each with its own y scale (for quantities of different ranges). */
  panels?: boolean;
  /** Values the y axis must reach besides the data (e.g. [0, 0.2]: zero and the margin), so a small
   * change is not blown up to the full height. Not with `panels`. */
  yInclude?: number[];
  /** Horizontal lines with labels. Not with `panels`. */
  rules?: RuleLine[];
  /** Points drawn over the lines (e.g. the slides' loss), in their own legend entry. Not with `panels`. */
  reference?: ReferencePoints;
  /** x axis title (default "epoch"). */
  xTitle?: string;
}

/** [min, max] over the values and the values the axis must include. */
function extent(values: number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

/** The layers of one chart: lines per series, reference points, labelled rules. */
function curveLayers(
  values: { epoch: number; loss: number; series: string }[],
  y: Record<string, unknown>,
  x: Record<string, unknown>,
  color: Record<string, unknown>,
  rules: RuleLine[],
  reference: ReferencePoints | undefined,
): Record<string, unknown>[] {
  const layers: Record<string, unknown>[] = [{
    data: { values },
    mark: { type: "line", point: values.length <= 60 },
    encoding: { x, y, color },
  }];
  if (reference) {
    layers.push({
      data: {
        values: reference.points.map((p) => ({ epoch: p.epoch, loss: p.value, series: reference.name })),
      },
      mark: { type: "point", shape: "diamond", filled: true, size: 70 },
      encoding: { x, y, color },
    });
  }
  for (const r of rules) {
    layers.push({
      data: { values: [{ y: r.value, label: r.label }] },
      layer: [
        {
          mark: { type: "rule", strokeDash: [5, 4], color: "#555" },
          encoding: { y: { field: "y", type: "quantitative" } },
        },
        {
          mark: { type: "text", align: "right", baseline: "bottom", dy: -3, fontSize: 11, color: "#333" },
          encoding: {
            y: { field: "y", type: "quantitative" },
            x: { value: "width" },
            text: { field: "label" },
          },
        },
      ],
    });
  }
  return layers;
}

/** Loss against epoch, one line per series. */
export async function lossCurve(points: LossPoint[], opts: LossCurveOptions = {}): Promise<Figure> {
  if (points.length === 0) throw new RangeError("lossCurve: no points");
  checkFinite(points.map((p) => p.epoch), "epoch");
  checkFinite(points.map((p) => p.loss), "loss");
  const ref = opts.reference;
  if (ref) {
    checkFinite(ref.points.map((p) => p.epoch), `${ref.name} epoch`);
    checkFinite(ref.points.map((p) => p.value), `${ref.name} value`);
  }
  const values = points.map((p) => ({ epoch: p.epoch, loss: p.loss, series: p.series ?? "loss" }));
  const seriesNames = [...new Set(values.map((v) => v.series))];
  const panels = opts.panels === true && seriesNames.length > 1;
  if (panels && (opts.yInclude || opts.rules || ref)) {
    throw new RangeError("lossCurve: yInclude, rules and reference need a single chart (use curvePanels)");
  }
  const width = opts.width ?? 480;
  const height = opts.height ?? 280;
  const mark = { type: "line", point: values.length <= 60 } as const;
  const include = [...(opts.yInclude ?? []), ...(opts.rules ?? []).map((r) => r.value)];
  checkFinite(include, "yInclude");
  const domain = include.length || ref
    ? extent([...values.map((v) => v.loss), ...include, ...(ref?.points.map((p) => p.value) ?? [])])
    : undefined;
  const y = {
    field: "loss",
    type: "quantitative",
    title: opts.yTitle ?? (panels ? "value" : "loss"),
    scale: opts.logY
      ? { type: "log", ...(domain ? { domain } : {}) }
      : domain
      ? { domain, nice: true }
      : { zero: false },
  };
  const x = { field: "epoch", type: "quantitative", title: opts.xTitle ?? "epoch" };
  const legendNames = ref ? [...seriesNames, ref.name] : seriesNames;
  const color = panels
    ? { field: "series", type: "nominal", legend: null }
    : legendNames.length > 1
    ? { field: "series", type: "nominal", title: null, scale: { domain: legendNames } }
    : { value: "#4c78a8" };
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
      spec: { width, height: Math.round(height / seriesNames.length), mark, encoding: { x, y, color } },
      resolve: { scale: { y: "independent" } },
    }
    : {
      title,
      width,
      height,
      layer: curveLayers(values, y, x, color, opts.rules ?? [], ref),
    }) as TopLevelSpec;
  return await renderFigure(spec, { ...opts, name: opts.name ?? "loss" });
}

/** One panel of `curvePanels`. */
export interface CurvePanel {
  /** The panel's heading. */
  title: string;
  /** The curve's legend name beside a reference (default the title). */
  name?: string;
  points: { epoch: number; value: number }[];
  yTitle?: string;
  /** A fixed y range (e.g. [0, 1] for a fraction). */
  yDomain?: [number, number];
  /** Values the y axis must reach besides the data (e.g. 0 and the margin). */
  yInclude?: number[];
  rules?: RuleLine[];
  reference?: ReferencePoints;
}

/**
 * Curves against epoch in panels one above the other, sharing the x axis, each with its own y axis
 * (fixed, or reaching `yInclude`), labelled lines and reference points: e.g. the triplet loss with the
 * margin and the slides' loss over it, and the active-triplet fraction on 0…1.
 */
export async function curvePanels(
  panels: CurvePanel[],
  opts: FigureOptions & { xTitle?: string } = {},
): Promise<Figure> {
  if (panels.length === 0) throw new RangeError("curvePanels: no panels");
  const x = { field: "epoch", type: "quantitative", title: opts.xTitle ?? "epoch" };
  const vconcat = panels.map((p) => {
    if (p.points.length === 0) throw new RangeError(`curvePanels: panel "${p.title}" has no points`);
    checkFinite(p.points.map((q) => q.epoch), `${p.title} epoch`);
    checkFinite(p.points.map((q) => q.value), `${p.title} value`);
    const ref = p.reference;
    if (ref) checkFinite(ref.points.map((q) => q.value), `${ref.name} value`);
    const name = p.name ?? p.title;
    const values = p.points.map((q) => ({ epoch: q.epoch, loss: q.value, series: name }));
    const domain = p.yDomain ??
      extent([
        ...values.map((v) => v.loss),
        ...(p.yInclude ?? []),
        ...(p.rules ?? []).map((r) => r.value),
        ...(ref?.points.map((q) => q.value) ?? []),
      ]);
    const y = {
      field: "loss",
      type: "quantitative",
      title: p.yTitle ?? null,
      scale: { domain, nice: !p.yDomain },
    };
    const color = ref
      ? {
        field: "series",
        type: "nominal",
        title: null,
        scale: { domain: [name, ref.name], range: ["#4c78a8", "#f58518"] },
        legend: { orient: "top", direction: "horizontal" },
      }
      : { value: "#4c78a8" };
    return {
      title: { text: p.title, fontSize: 13 },
      width: opts.width ?? 480,
      height: opts.height ?? 160,
      layer: curveLayers(values, y, x, color, p.rules ?? [], ref),
    };
  });
  const spec = {
    ...(opts.title === undefined ? {} : { title: opts.title }),
    vconcat,
    resolve: { scale: { x: "shared", y: "independent", color: "independent" } },
  } as unknown as TopLevelSpec;
  return await renderFigure(spec, { ...opts, name: opts.name ?? "curves" });
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

const KINDS = ["same identity (++)", "different identities (+−)"] as const;

/** The histogram layers of one ++/+− pair of samples on [lo, hi] in bins of `w` (and the threshold line). */
function histogramLayers(
  positive: ArrayLike<number>,
  negative: ArrayLike<number>,
  [lo, hi]: [number, number],
  w: number,
  threshold: number | undefined,
  yDomain?: [number, number],
): TopLevelSpec[] {
  const nb = Math.ceil((hi - lo) / w - 1e-9);
  const values: Row[] = [];
  for (const [kind, d] of [[KINDS[0], positive], [KINDS[1], negative]] as const) {
    for (const [b, density] of binDensities(d, lo, w, nb)) {
      values.push({ kind, start: lo + b * w, end: lo + (b + 1) * w, density });
    }
  }
  const layer: TopLevelSpec[] = [{
    data: { values },
    mark: { type: "rect", opacity: 0.55 },
    encoding: {
      // No nicing: panels sharing this scale would round it out past the data's range.
      x: {
        field: "start",
        type: "quantitative",
        title: "squared L2 distance",
        scale: { domain: [lo, hi], nice: false },
      },
      x2: { field: "end" },
      y: {
        field: "density",
        type: "quantitative",
        title: "density",
        stack: null,
        ...(yDomain ? { scale: { domain: yDomain } } : {}),
      },
      color: {
        field: "kind",
        type: "nominal",
        title: null,
        scale: { domain: [...KINDS], range: ["#2ca02c", "#d62728"] },
        legend: { orient: "top", direction: "horizontal" },
      },
    },
  } as unknown as TopLevelSpec];
  if (threshold !== undefined) {
    layer.push({
      data: { values: [{ t: threshold, label: `threshold ${threshold.toFixed(2)}` }] },
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
  return layer;
}

/** Non-empty bins of `d` (bin index, density): densities, so samples of different sizes compare. */
function binDensities(d: ArrayLike<number>, lo: number, w: number, nb: number): [number, number][] {
  const counts = new Float64Array(nb);
  for (let i = 0; i < d.length; i++) counts[Math.min(nb - 1, Math.max(0, Math.floor((d[i] - lo) / w)))]++;
  const out: [number, number][] = [];
  for (let b = 0; b < nb; b++) if (counts[b] > 0) out.push([b, counts[b] / d.length / w]);
  return out;
}

const pairCounts = (positive: ArrayLike<number>, negative: ArrayLike<number>) =>
  `${positive.length.toLocaleString("en-US")} ++ pairs, ${negative.length.toLocaleString("en-US")} +− pairs`;

function checkPairs(positive: ArrayLike<number>, negative: ArrayLike<number>, what = ""): void {
  if (positive.length === 0 || negative.length === 0) {
    throw new RangeError(`${what}need ++ and +− distances, got ${positive.length} and ${negative.length}`);
  }
  checkFinite(positive, `${what}positive`);
  checkFinite(negative, `${what}negative`);
}

/** Overlaid density histograms of same-identity (++) and different-identity (+−) pair distances. */
export async function distanceHistograms(
  positive: ArrayLike<number>,
  negative: ArrayLike<number>,
  opts: DistanceHistogramOptions = {},
): Promise<Figure> {
  checkPairs(positive, negative);
  const range = opts.range === undefined || opts.range === "auto"
    ? histogramRange(positive, negative)
    : opts.range;
  const w = opts.binWidth ?? (range[1] - range[0]) / 80;
  const spec = {
    title: { text: opts.title ?? "Pair distances", subtitle: pairCounts(positive, negative) },
    width: opts.width ?? 520,
    height: opts.height ?? 280,
    layer: histogramLayers(positive, negative, range, w, opts.threshold),
  } as unknown as TopLevelSpec;
  return await renderFigure(spec, { ...opts, name: opts.name ?? "distance_histograms" });
}

/** One panel of `distanceHistogramPanels`: e.g. one epoch's ++ and +− distances. */
export interface DistancePanel {
  /** The panel's heading, e.g. "epoch 3 (slides: 72)". */
  title: string;
  positive: ArrayLike<number>;
  negative: ArrayLike<number>;
  /** Draw this threshold as a vertical line. */
  threshold?: number;
}

/**
 * ++/+− histograms of several samples (e.g. two epochs) as panels one above the other, on one shared
 * x scale (and, by default, one shared density scale), so a move between panels reads as a move on
 * the page: separate figures would each zoom to their own range.
 */
export async function distanceHistogramPanels(
  panels: DistancePanel[],
  opts: DistanceHistogramOptions & { sharedY?: boolean } = {},
): Promise<Figure> {
  if (panels.length === 0) throw new RangeError("distanceHistogramPanels: no panels");
  panels.forEach((p) => checkPairs(p.positive, p.negative, `panel "${p.title}": `));
  const range = opts.range === undefined || opts.range === "auto"
    ? histogramRange(...panels.flatMap((p) => [p.positive, p.negative]))
    : opts.range;
  const w = opts.binWidth ?? (range[1] - range[0]) / 80;
  const nb = Math.ceil((range[1] - range[0]) / w - 1e-9);
  let top = 0;
  for (const p of panels) {
    for (const d of [p.positive, p.negative]) {
      for (const [, v] of binDensities(d, range[0], w, nb)) top = Math.max(top, v);
    }
  }
  const yDomain: [number, number] | undefined = opts.sharedY === false ? undefined : [0, top];
  const spec = {
    title: opts.title ?? "Pair distances",
    vconcat: panels.map((p) => ({
      title: { text: p.title, subtitle: pairCounts(p.positive, p.negative), fontSize: 13 },
      width: opts.width ?? 520,
      height: opts.height ?? 200,
      layer: histogramLayers(p.positive, p.negative, range, w, p.threshold, yDomain),
    })),
    resolve: { scale: { x: "shared", y: yDomain ? "shared" : "independent", color: "shared" } },
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
          // Below the plot, clear of every curve (inside, a legend lands on a curve near chance or
          // on the rising part of a log-FPR plot).
          color: {
            field: "curve",
            type: "nominal",
            title: null,
            legend: { orient: "bottom", direction: "vertical" },
          },
        },
      },
    ],
  } as unknown as TopLevelSpec;
  return await renderFigure(spec, { ...opts, name: opts.name ?? "roc" });
}
