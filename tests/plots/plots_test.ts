import { deepEqual, equal, match, ok, rejects } from "../assert.ts";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import sharp from "sharp";
import {
  barChart,
  classSizeHistogram,
  confidenceBars,
  distanceHistograms,
  faceGrid,
  type Figure,
  heatmap,
  histogramRange,
  labelledBoxes,
  lossCurve,
  rocCurve,
  scatter2d,
} from "../../lib/plots/mod.ts";

/** Items drawn by each mark of the SVG, e.g. { "rect": [5], "text": [5] } (one entry per mark group). */
function marks(svg: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const re = /<g class="mark-(\w+) role-mark[^"]*"[^>]*>/g;
  for (let m = re.exec(svg); m; m = re.exec(svg)) {
    const body = svg.slice(m.index + m[0].length, svg.indexOf("</g>", m.index));
    (out[m[1]] ??= []).push(body.split('role="graphics-symbol"').length - 1);
  }
  return out;
}

function pngSize(png: Uint8Array): { width: number; height: number } {
  deepEqual(Array.from(png.subarray(0, 8)), [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature");
  equal(String.fromCharCode(...png.subarray(12, 16)), "IHDR");
  const v = new DataView(png.buffer, png.byteOffset);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

/** Files written, well-formed SVG, PNG of scale × the SVG size, and an inline display bundle. */
function checkFigure(f: Figure, dir: string, name: string): void {
  equal(f.svgPath, join(dir, `${name}.svg`));
  equal(f.pngPath, join(dir, `${name}.png`));
  const svg = Deno.readTextFileSync(f.svgPath!);
  equal(svg, f.svg);
  match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  ok(svg.trimEnd().endsWith("</svg>"), "closed SVG");
  equal(svg.split("<g").length, svg.split("</g>").length, "balanced groups");
  const png = Deno.readFileSync(f.pngPath!);
  deepEqual(png, f.png);
  const size = pngSize(png);
  equal(size.width, Math.round(f.width * 2), "PNG is 2 × the SVG width");
  equal(size.height, Math.round(f.height * 2));
  const w = Number(/width="([\d.]+)"/.exec(svg)![1]);
  equal(w, f.width);
  const bundle = (f[Symbol.for("Jupyter.display")] as () => Record<string, string>)();
  deepEqual(new Uint8Array(Buffer.from(bundle["image/png"], "base64")), f.png, "kernel gets the PNG");
  match(bundle["text/html"], new RegExp(`<img src="data:image/png;base64,[^"]+" width="${f.width}"`));
  match(String(f), new RegExp(`${name}: .*${name}\\.svg`));
  deepEqual(Array.from(Deno.readDirSync(dir), (e) => e.name).filter((n) => n.endsWith(".tmp")), []);
}

Deno.test("every figure type renders to SVG and PNG with the expected marks", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    // Sizes 1,1,1 | 2 | 3,3 | 7 | 150 → 5 non-empty bins of these edges (the default is one bar per
    // size: tests/plots/charts_test.ts).
    let f = await classSizeHistogram([1, 1, 1, 2, 3, 3, 7, 150], {
      dir,
      edges: [1, 2, 3, 4, 5, 6, 11, 21, 51, 101],
    });
    checkFigure(f, dir, "class_sizes");
    deepEqual(marks(f.svg), { rect: [5], text: [5] });
    match(f.svg, /101–150/);

    f = await lossCurve([
      { epoch: 1, loss: 0.9, series: "train" },
      { epoch: 2, loss: 0.5, series: "train" },
      { epoch: 1, loss: 1.0, series: "validation" },
      { epoch: 2, loss: 0.7, series: "validation" },
    ], { dir });
    checkFigure(f, dir, "loss");
    deepEqual(marks(f.svg).line, [1, 1], "one line per series");
    // Panels: one per series, each with its own y axis (0.5–0.9 and 0.7–1.0 ticks).
    f = await lossCurve([
      { epoch: 1, loss: 0.2, series: "loss" },
      { epoch: 2, loss: 0.18, series: "loss" },
      { epoch: 1, loss: 1.0, series: "active" },
      { epoch: 2, loss: 0.9, series: "active" },
    ], { dir, name: "panels", panels: true });
    checkFigure(f, dir, "panels");
    deepEqual(marks(f.svg).line, [1, 1], "one line per panel");
    match(f.svg, />0\.190</, "the loss panel's own scale has a tick between its two values");
    match(f.svg, />0\.94</, "so has the active-fraction panel");

    const n = 60;
    const xy = Float32Array.from({ length: 2 * n }, (_, i) => Math.sin(i) * 3);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    f = await scatter2d(xy, labels, { dir, name: "three", names: ["Ann_A", "Bob_B", "Cy_C"] });
    checkFigure(f, dir, "three");
    equal(marks(f.svg).symbol[0], n, "one circle per point");
    match(f.svg, /role-legend/);
    match(f.svg, /Ann A/);
    const many = Int32Array.from({ length: n }, (_, i) => i); // 60 identities: legend off
    f = await scatter2d(xy, many, { dir, name: "many" });
    equal(marks(f.svg).symbol[0], n);
    ok(!f.svg.includes("role-legend"), "no legend for many identities");

    // ++ in bins [0.5, 0.55) and [1, 1.05); +− in [2, 2.05): 3 rects; threshold rule and label.
    f = await distanceHistograms([0.51, 0.52, 1.01], [2.01, 2.02], {
      dir,
      threshold: 1.5,
      range: [0, 4],
      binWidth: 0.05,
    });
    checkFigure(f, dir, "distance_histograms");
    deepEqual(marks(f.svg), { rect: [3], rule: [1], text: [1] });
    match(f.svg, /threshold 1\.50/);

    // Default range: 0 to the largest distance rounded up to a tenth (0.043 → 0.1), 80 bins.
    deepEqual(histogramRange([0.01, 0.043], [0.02]), [0, 0.1]);
    deepEqual(histogramRange([0.5], [2.01, 1.2]), [0, 2.1]);
    deepEqual(histogramRange([3.99], [4]), [0, 4]);
    deepEqual(histogramRange([0.3], [0.3]), [0, 0.3]);
    f = await distanceHistograms([0.001, 0.002, 0.0395], [0.0401, 0.043], { dir, name: "collapsed" });
    // Bins of 0.1/80 = 0.00125: 0.001 | 0.002 | 0.0395 | 0.0401 | 0.043 fall in 5 different bins.
    deepEqual(marks(f.svg).rect, [5]);
    match(f.svg, />0\.10</, "axis ends at 0.1");

    f = await heatmap([0, 1, 2, 1, 0, 3, 2, 3, 0], ["a", "b", "c"], { dir });
    checkFigure(f, dir, "distance_matrix");
    deepEqual(marks(f.svg), { rect: [9], text: [9] });

    f = await rocCurve([
      { name: "A", fpr: [0, 0.1, 1], tpr: [0, 0.8, 1] },
      { name: "B", fpr: [1, 0.3, 0], tpr: [1, 0.6, 0] },
    ], { dir });
    checkFigure(f, dir, "roc");
    deepEqual(marks(f.svg).line, [1, 1, 1], "diagonal, then one line per curve");

    f = await confidenceBars([{ name: "x", probability: 0.2 }, { name: "y", probability: 0.7 }], { dir });
    checkFigure(f, dir, "confidence");
    deepEqual(marks(f.svg), { rect: [2], text: [2] });
    ok(f.svg.indexOf("70.0 %") < f.svg.indexOf("20.0 %"), "most probable first");

    const faces = Array.from({ length: 5 }, (_, k) => ({
      pixels: Uint8Array.from({ length: 96 * 96 }, (_, i) => (i * (k + 1)) % 256),
      width: 96,
      height: 96,
      label: `person ${k}`,
    }));
    f = await faceGrid(faces, { dir, columns: 3 });
    checkFigure(f, dir, "faces");
    deepEqual(marks(f.svg), { image: [5], text: [5] });
    // The first thumbnail's data URI decodes to the original 96 × 96 grayscale pixels.
    const uri = /href="data:image\/png;base64,([^"]+)"/.exec(f.svg)![1];
    const thumb = new Uint8Array(Buffer.from(uri, "base64"));
    deepEqual(pngSize(thumb), { width: 96, height: 96 });
    equal(thumb[25], 0, "grayscale PNG colour type");
    const raw = await sharp(thumb).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    deepEqual(new Uint8Array(raw.data), faces[0].pixels);
    // A title longer than the grid is wide wraps onto lines instead of widening the figure (notebook 05's
    // example pairs were half blank).
    const title = "Example pairs (two per row: left photo, right photo) and their Zeiler&Fergus distance";
    f = await faceGrid(faces, { dir, columns: 3, name: "faces_long_title", title });
    const svgWidth = Number(f.svg.match(/<svg[^>]* width="([\d.]+)"/)![1]);
    ok(svgWidth < 3 * 110 + 60, `the figure is ${svgWidth} px wide for a grid of 3 × 110 px`);
    ok(
      f.svg.includes("Example pairs (two per row:") && f.svg.includes("distance"),
      "the whole title is there",
    );

    const photo = {
      pixels: new Uint8Array(200 * 100 * 3).fill(128),
      width: 200,
      height: 100,
      channels: 3 as const,
    };
    f = await labelledBoxes(photo, [
      { x: 10, y: 30, width: 50, height: 60, label: "Ann_A", score: 0.93 },
      { x: 120, y: 0, width: 60, height: 60, label: "unknown" },
    ], { dir });
    checkFigure(f, dir, "boxes");
    deepEqual(marks(f.svg), { image: [1], rect: [2, 2], text: [2] });
    match(f.svg, /Ann A 0\.93/);
    const jpeg = await sharp(Buffer.from(photo.pixels), { raw: { width: 200, height: 100, channels: 3 } })
      .jpeg().toBuffer();
    f = await labelledBoxes(new Uint8Array(jpeg), [], { name: "from_jpeg" });
    equal(f.svgPath, undefined, "no dir, nothing written");
    equal(f.width > 200, true);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("figures reject bad input with a clear message", async () => {
  await rejects(() => classSizeHistogram([1, 0]), /sizes\[1\] is 0/);
  await rejects(() => scatter2d([0, 0, 1], [0, 1]), /1.5 points but 2 labels/);
  await rejects(() => heatmap([1, 2, 3], ["a", "b"]), /expected 2² = 4/);
  await rejects(() => confidenceBars([{ name: "a", probability: 1.5 }]), /expected 0…1/);
  await rejects(() => distanceHistograms([], [1]), /need \+\+ and \+− distances/);
  await rejects(() => lossCurve([{ epoch: 1, loss: NaN }]), /loss\[0\] is NaN/);
  await rejects(() => faceGrid([{ pixels: new Uint8Array(10), width: 4, height: 4 }]), /not 4×4×1/);
});

Deno.test("barChart: side-by-side groups with error bars, or sorted bars with value labels", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    let f = await barChart([
      { label: "zf · svm", group: "here", value: 0.8, lo: 0.75, hi: 0.85 },
      { label: "zf · svm", group: "slides", value: 0.9 },
      { label: "nn2 · knn", group: "here", value: 0.6, lo: 0.5, hi: 0.7 },
      { label: "nn2 · knn", group: "slides", value: 0.7 },
    ], { dir, name: "grouped", percent: true, colors: { here: "#4c78a8", slides: "#bbbbbb" } });
    checkFigure(f, dir, "grouped");
    deepEqual(marks(f.svg).rect, [4], "one bar per item");
    deepEqual(marks(f.svg).rule, [2], "error bars only where lo/hi are given");
    ok(f.svg.includes("slides") && f.svg.includes("here"), "a legend names the groups");
    ok(f.svg.includes("#bbbbbb"), "the groups' colours");
    ok(f.svg.includes("100%"), "a percent axis up to 100 %");

    f = await barChart(
      [{ label: "low", value: 0.25, group: "a" }, { label: "high", value: 0.75, group: "b" }],
      { dir, sort: "descending", valueLabels: true, percent: true },
    );
    checkFigure(f, dir, "bars");
    deepEqual(marks(f.svg), { rect: [2], text: [2] }, "no rule without lo/hi; one label per bar");
    ok(f.svg.indexOf("75.0 %") < f.svg.indexOf("25.0 %"), "largest first");

    // Long group names stack under the plot instead of widening the figure (notebook 06's literature chart).
    const long = [
      "published, trained on outside data",
      "published, trained on LFW only",
      "ours, pairs.txt (seen)",
    ];
    f = await barChart(long.map((group, i) => ({ label: `m${i}`, value: 0.5 + 0.1 * i, group })), {
      dir,
      name: "long_groups",
      width: 300,
    });
    const svgWidth = Number(f.svg.match(/<svg[^>]* width="([\d.]+)"/)![1]);
    ok(svgWidth < 600, `the figure is ${svgWidth} px wide for a 300-px plot`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  await rejects(() => barChart([]), /no bars/);
  await rejects(() => barChart([{ label: "a", value: NaN }]), /bar "a": value is NaN/);
  await rejects(() => barChart([{ label: "a", value: 1, lo: 0 }]), /both lo and hi/);
  await rejects(
    () => barChart([{ label: "a", value: 1, group: "g" }], { colors: { h: "red" } }),
    /no colour for group "g"/,
  );
});
