/**
 * Bar charts: classifier confidence per candidate identity, and a general horizontal bar chart (values
 * per label, optionally side by side per group, with error bars and value labels) so notebooks never
 * write Vega-Lite specs by hand.
 */
import { prettyName } from "./charts.ts";
import { type Figure, type FigureOptions, renderFigure, type TopLevelSpec } from "./render.ts";

export interface Confidence {
  name: string;
  probability: number;
}

/** Horizontal bars of classifier confidence per candidate identity, most probable on top. */
export async function confidenceBars(items: Confidence[], opts: FigureOptions = {}): Promise<Figure> {
  if (items.length === 0) throw new RangeError("confidenceBars: no items");
  for (const it of items) {
    if (!(it.probability >= 0 && it.probability <= 1)) {
      throw new RangeError(`probability of ${it.name} is ${it.probability}, expected 0…1`);
    }
  }
  const values = [...items].sort((a, b) => b.probability - a.probability)
    .map((it) => ({
      name: prettyName(it.name),
      p: it.probability,
      label: `${(100 * it.probability).toFixed(1)} %`,
    }));
  const spec: TopLevelSpec = {
    title: opts.title ?? "Classifier confidence",
    width: opts.width ?? 360,
    height: opts.height ?? Math.max(60, 26 * values.length),
    data: { values },
    encoding: {
      y: { field: "name", type: "nominal", sort: null, title: null, axis: { labelLimit: 200 } },
      x: {
        field: "p",
        type: "quantitative",
        title: "probability",
        scale: { domain: [0, 1] },
        axis: { format: "%" },
      },
    },
    layer: [
      { mark: { type: "bar", color: "#4c78a8" } },
      { mark: { type: "text", align: "left", dx: 4, fontSize: 11 }, encoding: { text: { field: "label" } } },
    ],
  };
  return await renderFigure(spec, { ...opts, name: opts.name ?? "confidence" });
}

export interface Bar {
  /** The bar's label on the vertical axis. */
  label: string;
  value: number;
  /** Bars of one label in different groups sit side by side; groups are coloured and listed in a legend. */
  group?: string;
  /** An error bar from `lo` to `hi` (both or neither). */
  lo?: number;
  hi?: number;
}

/** One result beside the slides' number for the same thing (null where the slides have none). */
export interface HereVsSlides {
  label: string;
  mean: number;
  /** Drawn as an error bar mean ± std. */
  std: number;
  slides: number | null;
}

/** Bars of group "here" (mean ± std) and, where the slides have a number, group "slides" beside them. */
export function hereVsSlidesBars(rows: HereVsSlides[]): Bar[] {
  return rows.flatMap(({ label, mean, std, slides }) => [
    { label, group: "here", value: mean, lo: mean - std, hi: mean + std },
    ...(slides === null ? [] : [{ label, group: "slides", value: slides }]),
  ]);
}

export interface BarChartOptions extends FigureOptions {
  /** Title of the value axis (default "value"). */
  valueTitle?: string;
  /** Values are shares: the axis runs 0…100 % (and value labels are percentages). */
  percent?: boolean;
  /** "descending": largest value on top; "input" (default): in the order given. */
  sort?: "input" | "descending";
  /** Print each bar's value beside it. */
  valueLabels?: boolean;
  /** Colour of each group (default Vega's category colours; one group: #4c78a8). */
  colors?: Record<string, string>;
  /** Longest label shown in full, in pixels (default 360). */
  labelLimit?: number;
}

/** Bars with finite values, and both ends of an interval or neither; else a RangeError naming the bar. */
function checkBars(bars: Bar[]): void {
  if (bars.length === 0) throw new RangeError("barChart: no bars");
  for (const b of bars) {
    for (const [k, v] of [["value", b.value], ["lo", b.lo], ["hi", b.hi]] as const) {
      if (v !== undefined && !Number.isFinite(v)) {
        throw new RangeError(`bar ${JSON.stringify(b.label)}: ${k} is ${v}`);
      }
    }
    if ((b.lo === undefined) !== (b.hi === undefined)) {
      throw new RangeError(`bar ${JSON.stringify(b.label)}: give both lo and hi, or neither`);
    }
  }
}

/** Horizontal bars, one per item (several per label when they have different groups). */
export async function barChart(bars: Bar[], opts: BarChartOptions = {}): Promise<Figure> {
  checkBars(bars);
  const rows = opts.sort === "descending" ? [...bars].sort((a, b) => b.value - a.value) : bars;
  const percent = opts.percent ?? false;
  const values = rows.map((b) => ({
    label: b.label,
    value: b.value,
    group: b.group ?? "",
    lo: b.lo ?? null,
    hi: b.hi ?? null,
    text: percent ? `${(100 * b.value).toFixed(1)} %` : String(Number(b.value.toPrecision(3))),
  }));
  const groups = [...new Set(values.map((v) => v.group))];
  const colors = opts.colors;
  const uncoloured = colors ? groups.filter((g) => !(g in colors)) : [];
  if (uncoloured.length > 0) {
    throw new RangeError(`barChart: no colour for group ${JSON.stringify(uncoloured[0])}`);
  }
  const perLabel = new Map<string, number>();
  for (const v of values) perLabel.set(v.label, (perLabel.get(v.label) ?? 0) + 1);
  const labels = perLabel.size;
  const sideBySide = [...perLabel.values()].some((c) => c > 1);
  const x = {
    field: "value",
    type: "quantitative",
    title: opts.valueTitle ?? "value",
    ...(percent ? { scale: { domain: [0, 1] }, axis: { format: "%" } } : {}),
  };
  const layer: Record<string, unknown>[] = [{ mark: "bar" }];
  if (values.some((v) => v.lo !== null)) {
    layer.push({
      mark: "rule",
      transform: [{ filter: "datum.lo !== null" }],
      encoding: { x: { field: "lo", type: "quantitative" }, x2: { field: "hi" } },
    });
  }
  if (opts.valueLabels) {
    layer.push({
      mark: { type: "text", align: "left", dx: 4, fontSize: 11 },
      encoding: { text: { field: "text" }, color: { value: "black" } },
    });
  }
  const spec = {
    ...(opts.title === undefined ? {} : { title: opts.title }),
    width: opts.width ?? 420,
    // One band per label, split per group when bars sit side by side.
    height: opts.height ?? (sideBySide ? { step: 16 } : Math.max(60, 26 * labels)),
    data: { values },
    encoding: {
      y: {
        field: "label",
        type: "nominal",
        sort: null,
        title: null,
        axis: { labelLimit: opts.labelLimit ?? 360 },
      },
      x,
      ...(sideBySide ? { yOffset: { field: "group" } } : {}),
      color: groups.length > 1
        ? {
          field: "group",
          // One entry a line: side by side, every entry takes the longest label's width, and four long
          // ones made the LFW literature chart three times as wide as its plot.
          legend: { orient: "bottom", direction: "vertical" },
          title: null,
          ...(colors ? { scale: { domain: groups, range: groups.map((g) => colors[g]) } } : {}),
        }
        : { value: colors?.[groups[0]] ?? "#4c78a8" },
    },
    layer,
  } as unknown as TopLevelSpec;
  return await renderFigure(spec, { ...opts, name: opts.name ?? "bars" });
}
