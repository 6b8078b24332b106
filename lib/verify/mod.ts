/**
 * Verification ("are these two images the same person?") on LFW's pair lists: the pairs as image
 * indices into an embedded FaceSet, 10-fold accuracy, VAL@FAR and ROC curves.
 */
export { loadDevPairs, loadPairs } from "../data/protocol.ts";
export * from "./lfw_pairs.ts";
export * from "./verification.ts";
export * from "./view1.ts";
