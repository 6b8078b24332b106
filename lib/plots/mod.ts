/**
 * Plots: every figure of the notebooks as a Vega-Lite spec rendered to SVG and PNG without a browser
 * (render.ts), charts of numbers (charts.ts), bar charts (bars.ts) and pictures of faces (images.ts).
 */
export * from "./bars.ts";
export * from "./charts.ts";
export * from "./render.ts";
export * from "./images.ts";
