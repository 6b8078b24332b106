/**
 * Model summaries that read like Keras' `model.summary()`, and the per-block comparison of the
 * Inception network built here with the paper's NN2 column.
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { NN1_TABLE, NN2_TABLE } from "./paper_tables.ts";

export interface LayerRow {
  name: string;
  /** tfjs class name, e.g. Conv2D, MaxPooling2D, LocalResponseNorm. */
  type: string;
  /** Output shape without the batch dimension. */
  outputShape: number[];
  params: number;
  trainableParams: number;
}

export interface ParamCounts {
  total: number;
  trainable: number;
  nonTrainable: number;
}

function size(shape: readonly (number | null)[]): number {
  return shape.reduce((a: number, b) => a * (b ?? 1), 1);
}

function outShape(layer: tfl.layers.Layer): number[] {
  const s = layer.outputShape;
  const first = Array.isArray(s[0]) ? (s[0] as (number | null)[]) : (s as (number | null)[]);
  return first.slice(1).map((d) => d ?? -1);
}

/** One row per layer (the input layer included), in model order. */
export function modelSummary(model: tfl.LayersModel): LayerRow[] {
  return model.layers.map((l) => {
    const params = l.weights.reduce((a, w) => a + size(w.shape), 0);
    const trainableParams = l.trainableWeights.reduce((a, w) => a + size(w.shape), 0);
    return { name: l.name, type: l.getClassName(), outputShape: outShape(l), params, trainableParams };
  });
}

/** Total, trainable and non-trainable parameter counts (Keras' definition: moving statistics are non-trainable). */
export function paramCounts(model: tfl.LayersModel): ParamCounts {
  let total = 0;
  let trainable = 0;
  for (const r of modelSummary(model)) {
    total += r.params;
    trainable += r.trainableParams;
  }
  return { total, trainable, nonTrainable: total - trainable };
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** Keras-style text summary. */
export function formatSummary(model: tfl.LayersModel): string {
  const rows = modelSummary(model);
  const w = [28, 24, 22, 12];
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(w[i])).join("").trimEnd();
  const out = [
    `Model: "${model.name}"`,
    "_".repeat(86),
    line(["Layer (name)", "Type", "Output shape", "Param #"]),
    "=".repeat(86),
  ];
  for (const r of rows) {
    out.push(line([r.name, r.type, `(None, ${r.outputShape.join(", ")})`, fmt(r.params)]));
  }
  const c = paramCounts(model);
  out.push("=".repeat(86));
  out.push(`Total params: ${fmt(c.total)}`);
  out.push(`Trainable params: ${fmt(c.trainable)}`);
  out.push(`Non-trainable params: ${fmt(c.nonTrainable)}`);
  return out.join("\n");
}

/** A row of the paper-vs-here comparison table. */
export interface BlockRow {
  /** The paper's row label, e.g. "inception (3a)". */
  block: string;
  /** Output size in the paper (224×224×3 input for NN2, 220×220×3 for NN1). */
  paperOutput: string;
  /** Output size here (96×96×1 input). */
  output: string;
  /** The paper's parameter count (weights only, rounded), as printed. */
  paperParams: string;
  /** Parameters here, biases included. */
  params: number;
}

function shapeStr(s: number[]): string {
  return s.length === 1 ? `1×1×${s[0]}` : s.join("×");
}

/** Which paper row a layer of the Inception network belongs to. */
function nn2KeyOf(layerName: string): string | undefined {
  const m = /^(inception_\w+?)(_(1x1|3x3_reduce|3x3|5x5_reduce|5x5|pool|pool_proj))?$/.exec(layerName);
  if (m) return m[1];
  if (layerName === "norm1") return "pool1";
  if (layerName === "norm2") return "pool2";
  return NN2_TABLE.some((r) => r.key === layerName) ? layerName : undefined;
}

/**
 * The Inception network's parameters per paper row, next to NN2's column. The counts differ where
 * the input differs (conv1 sees 1 channel here, 3 in the paper) and because the paper leaves out
 * biases; output sizes differ by the 96 vs 224 input.
 */
export function inceptionBlockTable(model: tfl.LayersModel): BlockRow[] {
  const rows = modelSummary(model);
  const out: BlockRow[] = [];
  let total = 0;
  for (const pr of NN2_TABLE) {
    if (pr.key === "total") continue;
    const members = rows.filter((r) => nn2KeyOf(r.name) === pr.key);
    if (members.length === 0) {
      throw new Error(`model ${model.name} has no layer for the paper's row "${pr.type}"`);
    }
    const params = members.reduce((a, r) => a + r.params, 0);
    total += params;
    // The row's output is that of its last layer in model order (the concatenation for a block).
    const last = members[members.length - 1];
    out.push({
      block: pr.type,
      paperOutput: pr.outputSize,
      output: shapeStr(last.outputShape),
      paperParams: pr.params,
      params,
    });
  }
  out.push({ block: "total", paperOutput: "", output: "", paperParams: "7.5M", params: total });
  return out;
}

/** The Zeiler&Fergus network's layers next to the paper's NN1 rows of the same name (where NN1 has one). */
export function zeilerFergusLayerTable(model: tfl.LayersModel): BlockRow[] {
  const nn1 = new Map(NN1_TABLE.map((r) => [r.layer, r]));
  const rows = modelSummary(model).filter((r) => r.type !== "InputLayer");
  const out: BlockRow[] = rows.map((r) => {
    const p = nn1.get(r.name);
    return {
      block: r.name,
      paperOutput: p?.sizeOut ?? "",
      output: shapeStr(r.outputShape),
      paperParams: p?.params ?? "",
      params: r.params,
    };
  });
  out.push({
    block: "total",
    paperOutput: "",
    output: "",
    paperParams: "140M",
    params: paramCounts(model).total,
  });
  return out;
}

/** Plain-text rendering of a {@link BlockRow} table. */
export function formatBlockTable(rows: BlockRow[]): string {
  const head = ["block", "output (paper)", "output (here)", "params (paper)", "params (here)"];
  const cells = rows.map((r) => [r.block, r.paperOutput, r.output, r.paperParams, fmt(r.params)]);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)) + 2);
  const line = (c: string[]) =>
    c.map((x, i) => (i >= 3 ? x.padStart(w[i] - 2) + "  " : x.padEnd(w[i]))).join("").trimEnd();
  return [line(head), ...cells.map(line)].join("\n");
}
