/**
 * Figures made of pixels: a distance heat map between people, a grid of face thumbnails, and a photo
 * with labelled face boxes. Like charts.ts, each returns a Figure and writes `<dir>/<name>.svg|.png`.
 */
import {
  encodedToPngDataUri,
  type Figure,
  type FigureOptions,
  rawToPngDataUri,
  renderFigure,
  type TopLevelSpec,
} from "./render.ts";
import { prettyName, type Row } from "./charts.ts";

export interface HeatmapOptions extends FigureOptions {
  /** Colour legend title (default "squared distance"). */
  valueTitle?: string;
  /** Print each value in its cell (default: with ≤ 15 rows). */
  cellLabels?: boolean;
  digits?: number;
}

/** A k × k matrix (row-major) as a heat map with names on both axes. */
export async function heatmap(
  matrix: ArrayLike<number>,
  names: string[],
  opts: HeatmapOptions = {},
): Promise<Figure> {
  const k = names.length;
  if (matrix.length !== k * k) {
    throw new RangeError(`matrix has ${matrix.length} entries, expected ${k}² = ${k * k}`);
  }
  const shown = names.map(prettyName);
  if (new Set(shown).size !== k) throw new RangeError("heatmap names must be distinct");
  const values: Row[] = [];
  let vmin = Infinity, vmax = -Infinity;
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      const v = matrix[a * k + b];
      const ok = Number.isFinite(v);
      if (ok) vmin = Math.min(vmin, v), vmax = Math.max(vmax, v);
      values.push({ row: shown[a], column: shown[b], value: ok ? v : null });
    }
  }
  const labels = opts.cellLabels ?? k <= 15;
  const digits = opts.digits ?? 2;
  const cell = Math.max(14, Math.min(48, Math.floor(520 / Math.max(k, 1))));
  const mid = (vmin + vmax) / 2;
  const sort = shown;
  const spec: TopLevelSpec = {
    title: opts.title ?? "Distance matrix",
    width: opts.width ?? cell * k,
    height: opts.height ?? cell * k,
    data: { values },
    encoding: {
      x: { field: "column", type: "nominal", sort, title: null, axis: { labelAngle: -45, labelLimit: 160 } },
      y: { field: "row", type: "nominal", sort, title: null, axis: { labelLimit: 160 } },
    },
    layer: [
      {
        mark: { type: "rect" },
        encoding: {
          color: {
            field: "value",
            type: "quantitative",
            title: opts.valueTitle ?? "squared distance",
            scale: { scheme: "viridis", reverse: true },
          },
        },
      },
      ...(labels
        ? [{
          mark: { type: "text" as const, fontSize: cell >= 36 ? 11 : 9 },
          encoding: {
            text: { field: "value", type: "quantitative" as const, format: `.${digits}f` },
            color: { condition: { test: `datum.value > ${mid}`, value: "white" }, value: "black" },
          },
        }]
        : []),
    ],
  } as TopLevelSpec;
  return await renderFigure(spec, { ...opts, name: opts.name ?? "distance_matrix" });
}

// ---------------------------------------------------------------------------------------------------

export interface Thumbnail {
  /** width × height grayscale pixels (0–255), row-major (as in a FaceSet). */
  pixels: Uint8Array;
  width: number;
  height: number;
  /** Caption under the image. */
  label?: string;
}

/**
 * `text` cut at spaces into lines about `width` px wide at the titles' 15-px bold font (DejaVu Sans
 * averages under 11 px a character there): one string if it fits, else the lines, as Vega-Lite takes them.
 */
function wrapTitle(text: string, width: number): string | string[] {
  const perLine = Math.max(20, Math.floor(width / 11));
  const lines: string[] = [];
  for (const word of text.split(" ")) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= perLine) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines.length === 1 ? lines[0] : lines;
}

/** A grid of face thumbnails with captions. */
export async function faceGrid(
  faces: Thumbnail[],
  opts: FigureOptions & { columns?: number; cell?: number } = {},
): Promise<Figure> {
  if (faces.length === 0) throw new RangeError("faceGrid: no faces");
  const columns = opts.columns ?? Math.min(8, faces.length);
  const cell = opts.cell ?? 96;
  const captions = faces.some((f) => f.label);
  // Long names go on two lines: everything but the last word, then the last word.
  const caption = (label: string) => {
    const t = prettyName(label);
    const cut = t.lastIndexOf(" ");
    return t.length > 14 && cut > 0 ? `${t.slice(0, cut)}\n${t.slice(cut + 1)}` : t;
  };
  const twoLines = faces.some((f) => f.label && caption(f.label).includes("\n"));
  const gapX = 14, gapY = captions ? (twoLines ? 40 : 26) : 10;
  const values: Row[] = [];
  for (const [i, f] of faces.entries()) {
    const c = i % columns, r = Math.floor(i / columns);
    values.push({
      url: await rawToPngDataUri(f.pixels, f.width, f.height, 1),
      x: c * (cell + gapX),
      y: r * (cell + gapY),
      cx: c * (cell + gapX) + cell / 2,
      ty: r * (cell + gapY) + cell + 4,
      label: f.label ? caption(f.label) : "",
    });
  }
  const rows = Math.ceil(faces.length / columns);
  const width = columns * (cell + gapX) - gapX;
  const spec = {
    // A title wider than the grid would widen the figure and leave its right part blank: wrap it.
    title: wrapTitle(opts.title ?? "Faces", width),
    width,
    height: rows * (cell + gapY) - (captions ? 4 : gapY),
    data: { values },
    layer: [
      {
        mark: { type: "image", width: cell, height: cell, align: "left", baseline: "top", aspect: false },
        encoding: {
          x: { field: "x", type: "quantitative", scale: null },
          y: { field: "y", type: "quantitative", scale: null },
          url: { field: "url", type: "nominal" },
        },
      },
      ...(captions
        ? [{
          mark: { type: "text", baseline: "top", fontSize: 10, limit: cell + gapX, lineBreak: "\n" },
          encoding: {
            x: { field: "cx", type: "quantitative", scale: null },
            y: { field: "ty", type: "quantitative", scale: null },
            text: { field: "label" },
          },
        }]
        : []),
    ],
  } as unknown as TopLevelSpec;
  return await renderFigure(spec, { ...opts, name: opts.name ?? "faces" });
}

// ---------------------------------------------------------------------------------------------------

export interface LabelledBox {
  /** Top-left corner and size in image pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** e.g. the predicted name. */
  label: string;
  /** Confidence 0–1, printed after the label. */
  score?: number;
  /** Box colour (default: a palette colour per box). */
  color?: string;
}

/** Raw pixels of a photo, or its encoded bytes (JPEG / PNG). */
export type Photo = Uint8Array | { pixels: Uint8Array; width: number; height: number; channels: 1 | 3 | 4 };

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

/** A photo with face boxes and "Name 0.93" labels. (~85 lines, most of them one Vega-Lite spec.) */
export async function labelledBoxes(
  photo: Photo,
  boxes: LabelledBox[],
  opts: FigureOptions & { maxWidth?: number } = {},
): Promise<Figure> {
  const img = photo instanceof Uint8Array ? await encodedToPngDataUri(photo) : {
    uri: await rawToPngDataUri(photo.pixels, photo.width, photo.height, photo.channels),
    width: photo.width,
    height: photo.height,
  };
  const s = Math.min(1, (opts.maxWidth ?? 640) / img.width);
  const W = Math.round(img.width * s), H = Math.round(img.height * s);
  const boxRows: Row[] = boxes.map((b, i) => {
    for (const k of ["x", "y", "width", "height"] as const) {
      if (!Number.isFinite(b[k])) throw new RangeError(`box ${i} ${k} is ${b[k]}`);
    }
    const text = b.score === undefined ? prettyName(b.label) : `${prettyName(b.label)} ${b.score.toFixed(2)}`;
    const x = b.x * s, y = b.y * s;
    // Label above the box, or inside its top edge when the box touches the top of the photo.
    const ly = y >= 18 ? y - 18 : y;
    return {
      x,
      y,
      x2: (b.x + b.width) * s,
      y2: (b.y + b.height) * s,
      color: b.color ?? PALETTE[i % PALETTE.length],
      text,
      lx2: x + 8.2 * text.length + 8, // DejaVu Sans Bold 12 px averages ~8 px per character
      ly,
      ly2: ly + 18,
      tx: x + 4,
      ty: ly + 9,
    };
  });
  const px = (f: string) => ({ field: f, type: "quantitative", scale: null });
  const spec = {
    title: opts.title ?? "",
    width: W,
    height: H,
    layer: [
      {
        data: { values: [{ url: img.uri, x: 0, y: 0 }] },
        mark: { type: "image", width: W, height: H, align: "left", baseline: "top", aspect: false },
        encoding: { x: px("x"), y: px("y"), url: { field: "url", type: "nominal" } },
      },
      {
        data: { values: boxRows },
        layer: [
          {
            mark: { type: "rect", fillOpacity: 0, strokeWidth: 3 },
            encoding: {
              x: px("x"),
              y: px("y"),
              x2: { field: "x2" },
              y2: { field: "y2" },
              stroke: { field: "color", type: "nominal", scale: null },
            },
          },
          {
            mark: { type: "rect" },
            encoding: {
              x: px("x"),
              y: px("ly"),
              x2: { field: "lx2" },
              y2: { field: "ly2" },
              fill: { field: "color", type: "nominal", scale: null },
            },
          },
          {
            mark: {
              type: "text",
              align: "left",
              baseline: "middle",
              color: "white",
              fontSize: 12,
              fontWeight: "bold",
            },
            encoding: { x: px("tx"), y: px("ty"), text: { field: "text" } },
          },
        ],
      },
    ],
  } as unknown as TopLevelSpec;
  return await renderFigure(spec, { ...opts, name: opts.name ?? "boxes" });
}
