/**
 * The notebook layer: what the notebooks import besides plots and one concept folder. The pipeline
 * that hands networks and embeddings from notebook to notebook, the figure folder and tables of each
 * notebook, the training settings table, the own-faces bookkeeping of notebook 05, the slides' numbers
 * and checked claims (lib/slides/), and the few functions of other folders every notebook's set-up needs.
 */
export * from "./evaluation.ts";
export * from "./findings.ts";
export * from "./network_report.ts";
export * from "./output.ts";
export * from "./own_faces.ts";
export * from "./pipeline.ts";
export * from "./settings.ts";
export { setupBackend } from "../backend.ts";
export { dataRoot, displayPath, profile } from "../config.ts";
export { largestClasses, selectClasses } from "../data/faceset.ts";
export { loadLfwFaces } from "../data/preprocess.ts";
export { embed } from "../models/embed.ts";
export { listDistanceEpochs, loadDistances } from "../training/snapshots.ts";
export { trainingFaces } from "../training/loop.ts";
export { identityDistanceMatrix, matrixFrame, separatingThreshold } from "../analysis/distances.ts";
export { squaredDistance, squaredDistanceMatrix } from "../analysis/vectors.ts";
export { umap2d } from "../analysis/umap.ts";
export { tsne2d } from "../analysis/tsne.ts";
export { fitClassifier, rankClasses } from "../classify/fit.ts";
export { describeShift, withinSmallerThanBetween } from "../slides/claims.ts";
export {
  fromPlain,
  fromSquared,
  lossTableWithSlides,
  plainDistance,
  slideClassifiers,
  slidesAccuracy,
  slidesPairDistances,
  withSlidesColumn,
} from "../slides/compare.ts";
export { SLIDES, SLIDES_NETWORKS } from "../slides/numbers.ts";
