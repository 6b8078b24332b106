/**
 * Vega-Lite spec → SVG (vega's headless renderer) → PNG (resvg), written as `<name>.svg` and `<name>.png`
 * and returned as a Figure that the Deno Jupyter kernel shows inline (and that prints its file paths
 * anywhere else).
 */
import { displayPath } from "../config.ts";
import { writeAtomic } from "../files.ts";
import * as vega from "vega";
import * as vl from "vega-lite";
import type { TopLevelSpec } from "vega-lite";
import { Resvg } from "@resvg/resvg-js";
import sharp from "sharp";
import { Buffer } from "node:buffer";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export type { TopLevelSpec };

/** Where (and whether) a figure is saved, and its title. */
export interface FigureOptions {
  /** Folder for `<name>.svg` and `<name>.png`; nothing is written when omitted. */
  dir?: string;
  /** File name without extension (each figure function has a default). */
  name?: string;
  title?: string;
  /** Plot area size in CSS pixels (each figure type has sensible defaults). */
  width?: number;
  height?: number;
  /** PNG pixels per SVG pixel (default 2, for sharp text); the notebook shows it at SVG size. */
  scale?: number;
}

/** A rendered figure. The Deno Jupyter kernel displays it through `Symbol.for("Jupyter.display")`. */
export interface Figure {
  svg: string;
  png: Uint8Array;
  /** Size of the SVG in CSS pixels (the PNG is `scale` times larger). */
  width: number;
  height: number;
  /** Paths written, when `dir` was given. */
  svgPath?: string;
  pngPath?: string;
  /** The Vega-Lite spec it was drawn from (to tweak and re-render with `renderFigure`). */
  spec: TopLevelSpec;
  toString(): string;
  [key: symbol]: unknown;
}

/** Shared look: readable font sizes, white background, no chart border. */
const CONFIG = {
  font: "DejaVu Sans",
  background: "white",
  view: { stroke: null },
  title: { fontSize: 15, anchor: "start", offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal" },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 400 },
} as const;

/** SVG text of a Vega-Lite spec, rendered without a browser. */
export async function specToSvg(spec: TopLevelSpec): Promise<string> {
  const withConfig = { ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  const compiled = vl.compile(withConfig).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG bytes of an SVG (system fonts; DejaVu Sans for sans-serif). */
export function svgToPng(svg: string, scale = 2): { png: Uint8Array; width: number; height: number } {
  const r = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    logLevel: "off",
  });
  const img = r.render();
  return { png: new Uint8Array(img.asPng()), width: r.width, height: r.height };
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Render a Vega-Lite spec to a Figure, writing `<dir>/<name>.svg|.png` when `dir` is given. */
export async function renderFigure(
  spec: TopLevelSpec,
  opts: FigureOptions & { name: string },
): Promise<Figure> {
  const svg = await specToSvg(spec);
  const scale = opts.scale ?? 2;
  const { png, width, height } = svgToPng(svg, scale);
  let svgPath: string | undefined, pngPath: string | undefined;
  if (opts.dir !== undefined) {
    mkdirSync(opts.dir, { recursive: true });
    svgPath = join(opts.dir, `${opts.name}.svg`);
    pngPath = join(opts.dir, `${opts.name}.png`);
    writeAtomic(svgPath, svg);
    writeAtomic(pngPath, png);
  }
  const b64 = base64(png);
  const text = svgPath && pngPath
    ? `${opts.name}: ${displayPath(svgPath)}, ${displayPath(pngPath)}`
    : `${opts.name} (${width}×${height} SVG)`;
  return {
    svg,
    png,
    width,
    height,
    svgPath,
    pngPath,
    spec,
    toString: () => text,
    // The PNG shown at the SVG's size, so text stays sharp and the figure keeps its intended size.
    [Symbol.for("Jupyter.display")]: () => ({
      "text/html": `<img src="data:image/png;base64,${b64}" width="${width}" alt="${opts.name}">`,
      "image/png": b64,
      "text/plain": text,
    }),
  };
}

/** A grayscale (1 channel) or RGB(A) raw image as a PNG data URI. */
export async function rawToPngDataUri(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3 | 4,
): Promise<string> {
  if (pixels.length !== width * height * channels) {
    throw new RangeError(`image of ${pixels.length} bytes is not ${width}×${height}×${channels}`);
  }
  let img = sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), {
    raw: { width, height, channels },
  });
  if (channels === 1) img = img.toColourspace("b-w"); // keep a 1-channel PNG (sharp would write RGB)
  const png = await img.png().toBuffer();
  return `data:image/png;base64,${png.toString("base64")}`;
}

/** Encoded image bytes (JPEG, PNG, …) as a PNG data URI plus their size. */
export async function encodedToPngDataUri(
  bytes: Uint8Array,
): Promise<{ uri: string; width: number; height: number }> {
  const img = sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const meta = await img.metadata();
  if (!meta.width || !meta.height) throw new Error("image has no size (not an image?)");
  const png = await img.png().toBuffer();
  return { uri: `data:image/png;base64,${png.toString("base64")}`, width: meta.width, height: meta.height };
}
