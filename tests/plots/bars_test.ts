import { deepEqual, equal } from "../assert.ts";
import { hereVsSlidesBars } from "../../lib/plots/bars.ts";

Deno.test("hereVsSlidesBars: an error bar of ± std for ours, a slides' bar only where the slides have a number", () => {
  const bars = hereVsSlidesBars([
    { label: "ZF · SVM", mean: 0.5, std: 0.125, slides: 0.75 },
    { label: "ZF · KNN k=5", mean: 0.25, std: 0, slides: null },
  ]);
  deepEqual(bars, [
    { label: "ZF · SVM", group: "here", value: 0.5, lo: 0.375, hi: 0.625 },
    { label: "ZF · SVM", group: "slides", value: 0.75 },
    { label: "ZF · KNN k=5", group: "here", value: 0.25, lo: 0.25, hi: 0.25 },
  ]);
  equal(hereVsSlidesBars([]).length, 0);
});
