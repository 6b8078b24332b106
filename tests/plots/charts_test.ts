import { assertClose, deepEqual, equal, match, ok, rejects } from "../assert.ts";
import {
  classSizeHistogram,
  curvePanels,
  distanceHistogramPanels,
  lossCurve,
  rocCurve,
} from "../../lib/plots/mod.ts";

/** Geometry of the rect marks of a mark group (in SVG order): x, y, width, height, and the aria label. */
function rects(svg: string, group = 0): { x: number; y: number; w: number; h: number; label: string }[] {
  const starts = [...svg.matchAll(/<g class="mark-rect role-mark[^"]*"[^>]*>/g)];
  const m = starts[group];
  if (!m) throw new Error(`no rect mark group ${group}`);
  const body = svg.slice(m.index! + m[0].length, svg.indexOf("</g>", m.index!));
  return [...body.matchAll(/aria-label="([^"]*)"[^>]*d="M([-\d.e]+),([-\d.e]+)h([-\d.e]+)v([-\d.e]+)h/g)].map(
    (r) => ({
      label: r[1],
      x: Number(r[2]),
      y: Number(r[3]),
      w: Number(r[4]),
      h: Number(r[5]),
    }),
  );
}

/** The y offset of the legend group, relative to the plot's origin. */
function legendY(svg: string): number {
  const m = /<g class="mark-group role-legend"[^>]*><g transform="translate\(([-\d.]+),([-\d.]+)\)"/.exec(
    svg,
  );
  if (!m) throw new Error("no legend");
  return Number(m[2]);
}

/** Numbers of the axis tick labels, in SVG order, of the axis titled `title`. */
function ticks(svg: string, title: string): number[] {
  const i = svg.indexOf(`aria-label="Y-axis titled '${title}'`);
  if (i < 0) throw new Error(`no y axis titled ${title}`);
  const body = svg.slice(i, svg.indexOf("role-axis-title", i));
  return [...body.matchAll(/role-axis-label[\s\S]*?<\/g>/g)].flatMap((g) =>
    [...g[0].matchAll(/>([-\d.,]+)<\/text>/g)].map((t) => Number(t[1].replace(/,/g, "")))
  );
}

Deno.test("classSizeHistogram: one bar per size on a log axis where one person has a height, the largest named", async () => {
  // Sizes 1 ×3, 2, 3 ×2, 7, 150 (named "Big_One"): 5 distinct sizes → 5 bars.
  const sizes = [1, 1, 1, 2, 3, 3, 7, 150];
  const names = ["a", "b", "c", "d", "e", "f", "g", "Big_One"];
  const f = await classSizeHistogram(sizes, { names, width: 600 });
  const bars = rects(f.svg);
  deepEqual(bars.map((b) => Number(/hi: ([\d.]+)/.exec(b.label)![1])), [1.5, 2.5, 3.5, 7.5, 150.5]);
  deepEqual(bars.map((b) => Number(/people \(log scale\): (\d+)/.exec(b.label)![1])), [3, 1, 2, 1, 1]);
  // Every bar reaches the bottom of the plot, and a one-person bar is still visibly tall.
  for (const b of bars) assertClose(b.y + b.h, 280, 1e-6, "bar bottom");
  ok(bars[3].h > 20, `a one-person bar is ${bars[3].h} px tall`);
  // Heights follow log(people / ½): 3 people → log 6, 1 person → log 2.
  assertClose(bars[0].h / bars[1].h, Math.log(6) / Math.log(2), 1e-6);
  // The size axis is linear: the bar of 150 sits 150/151 of the way across, one unit wide.
  assertClose(bars[4].x + bars[4].w / 2, (150 / 151) * 600, 1e-6);
  assertClose(bars[4].w, 600 / 151, 1e-6);
  match(f.svg, />Big One: 150<\/text>/, "the largest person is labelled at the bar");
  equal((f.svg.match(/role-mark layer_1_marks/g) ?? []).length, 1, "one label layer");
  const two = await classSizeHistogram(sizes, { names, annotate: 2 });
  match(two.svg, />g: 7<\/text>/);
  const unnamed = await classSizeHistogram(sizes);
  ok(!unnamed.svg.includes("layer_1_marks"), "no names, no labels");
  await rejects(() => classSizeHistogram([1, 2], { names: ["a"] }), /1 names for 2 sizes/);
});

Deno.test("distanceHistogramPanels: two epochs on one x scale and one density scale", async () => {
  // Epoch A: ++ at 0.1, +− at 0.3; epoch B: ++ at 0.5, +− at 1.9 → shared range 0–1.9.
  const f = await distanceHistogramPanels([
    { title: "epoch A", positive: [0.1, 0.1], negative: [0.3, 0.3], threshold: 0.2 },
    { title: "epoch B", positive: [0.5, 0.5, 0.5, 0.5], negative: [1.9], threshold: 1 },
  ], { width: 380 });
  const a = rects(f.svg, 0), b = rects(f.svg, 1);
  equal(a.length, 2);
  equal(b.length, 2);
  // One x scale: a value's bar starts at the same pixel in both panels (bins of 1.9/80 from 0).
  const px = (v: number) => (Math.floor(v / (1.9 / 80)) * (1.9 / 80) / 1.9) * 380;
  assertClose(a[0].x, px(0.1), 1e-6);
  assertClose(a[1].x, px(0.3), 1e-6);
  assertClose(b[0].x, px(0.5), 1e-6);
  assertClose(b[1].x, px(1.9 - 1e-9), 1e-6);
  // One density scale: every bin holds its whole sample (density 1/w), so all four bars are equally tall.
  for (const r of [...a, ...b]) assertClose(r.h, a[0].h, 1e-6);
  match(f.svg, /threshold 0\.20/);
  match(f.svg, /threshold 1\.00/);
  match(f.svg, />epoch A</);
  match(f.svg, />epoch B</);
  // Independent densities when asked: the same data, each panel's own y scale.
  const own = await distanceHistogramPanels([
    { title: "A", positive: [0.1], negative: [0.3, 0.31, 0.5, 0.9] },
    { title: "B", positive: [0.5], negative: [1.9] },
  ], { sharedY: false });
  ok(rects(own.svg, 0)[0].h > 0);
  await rejects(() => distanceHistogramPanels([]), /no panels/);
  await rejects(
    () => distanceHistogramPanels([{ title: "e3", positive: [], negative: [1] }]),
    /panel "e3": need \+\+ and \+− distances/,
  );
});

Deno.test("lossCurve and curvePanels: the y axis reaches 0 and the margin, reference points and a labelled rule", async () => {
  // A loss from 0.198 to 0.184: alone, its axis would span 0.184–0.198; with 0 and the margin, 0–0.2.
  const points = [0.198, 0.195, 0.19, 0.184].map((loss, i) => ({ epoch: i + 1, loss }));
  const zoomed = await lossCurve(points, { yTitle: "loss" });
  ok(Math.min(...ticks(zoomed.svg, "loss")) > 0.18, "default: zoomed to the data");
  const honest = await lossCurve(points, {
    yTitle: "loss",
    yInclude: [0],
    rules: [{ value: 0.2, label: "margin 0.2" }],
    reference: { name: "slides", points: [{ epoch: 0.5, value: 0.1 }, { epoch: 4, value: 0.03 }] },
  });
  const t = ticks(honest.svg, "loss");
  equal(Math.min(...t), 0);
  ok(Math.max(...t) >= 0.2, `ticks reach the margin: ${t}`);
  match(honest.svg, />margin 0\.2</);
  match(honest.svg, /role-legend/, "curve and reference in a legend");
  // The line's own 4 points and the 2 reference points, in two symbol marks.
  equal((honest.svg.match(/aria-roledescription="symbol mark container"/g) ?? []).length, 2);
  equal((honest.svg.match(/aria-roledescription="point"/g) ?? []).length, 6);

  const f = await curvePanels([
    {
      title: "triplet loss",
      name: "this run",
      points: points.map((p) => ({ epoch: p.epoch, value: p.loss })),
      yTitle: "loss",
      yInclude: [0],
      rules: [{ value: 0.2, label: "margin" }],
      reference: { name: "slides", points: [{ epoch: 1, value: 0.196 }] },
    },
    {
      title: "active fraction",
      points: [{ epoch: 1, value: 1 }, { epoch: 4, value: 0.99 }],
      yTitle: "share",
      yDomain: [0, 1],
    },
  ]);
  deepEqual([Math.min(...ticks(f.svg, "loss")), Math.max(...ticks(f.svg, "loss")) >= 0.2], [0, true]);
  const share = ticks(f.svg, "share");
  deepEqual([Math.min(...share), Math.max(...share)], [0, 1], "a fraction on 0…1, not 0.99–1");
  match(f.svg, />this run</);
  await rejects(() => curvePanels([{ title: "x", points: [] }]), /panel "x" has no points/);
  await rejects(
    () =>
      lossCurve(points.map((p) => ({ ...p, series: p.epoch % 2 ? "a" : "b" })), {
        panels: true,
        yInclude: [0],
      }),
    /need a single chart/,
  );
});

Deno.test("rocCurve: the legend sits below the plot, clear of every curve", async () => {
  const fpr = [0, 0.001, 0.01, 0.1, 0.5, 1];
  const curves = [{ name: "A", fpr, tpr: fpr.map((v) => v ** 0.3) }, { name: "B", fpr, tpr: fpr }];
  for (const logX of [false, true]) {
    const f = await rocCurve(curves, { logX, height: 300 });
    ok(legendY(f.svg) >= 300, `legend at y ${legendY(f.svg)}, below the 300 px plot (logX ${logX})`);
  }
});
