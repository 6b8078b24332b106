/**
 * Verification ("are these two images the same person?") on LFW's pair lists: the pairs as image
 * indices into an embedded FaceSet, 10-fold accuracy, VAL@FAR and ROC curves; LFW View 1 as an honest
 * benchmark (view1.ts, view1_eval.ts) with post-hoc linear metrics (metric.ts); the published numbers
 * it is compared with (literature.ts).
 */
export { loadDevPairs, loadPairs } from "../data/protocol.ts";
export * from "./lfw_pairs.ts";
export * from "./verification.ts";
export * from "./literature.ts";
export * from "./metric.ts";
export * from "./view1.ts";
export * from "./view1_eval.ts";
export * from "./view1_results.ts";
