/**
 * Data: the LFW image tree and its protocol files, the AT&T faces, preprocessing into 96×96 grayscale
 * FaceSets (cached), the FaceSet itself with its selections, what `deno task setup` downloads, and the
 * checks that a data root is whole (images and protocol files agree, every image decodes).
 */
export * from "./att.ts";
export * from "./download.ts";
export * from "./faceset.ts";
export * from "./integrity.ts";
export * from "./lfw.ts";
export * from "./pgm.ts";
export * from "./preprocess.ts";
export * from "./protocol.ts";
export * from "./sources.ts";
