/**
 * Data: the LFW image tree and its protocol files, the AT&T faces, preprocessing into 96×96 grayscale
 * FaceSets (cached), the FaceSet itself with its selections, and what `deno task setup` downloads.
 */
export * from "./att.ts";
export * from "./download.ts";
export * from "./faceset.ts";
export * from "./lfw.ts";
export * from "./pgm.ts";
export * from "./preprocess.ts";
export * from "./protocol.ts";
export * from "./sources.ts";
