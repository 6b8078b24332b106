/**
 * Models: the two FaceNet networks (Zeiler&Fergus NN1 and Inception NN2) with their layers and the
 * paper's architecture tables, the switch from a model name to its builder, data-dependent
 * initialisation, Keras-like summaries, saving and loading, and embedding images with a network.
 */
export * from "./common.ts";
export * from "./data_init.ts";
export * from "./embed.ts";
export * from "./inception.ts";
export * from "./io.ts";
export * from "./layers.ts";
export * from "./networks.ts";
export * from "./paper_tables.ts";
export * from "./summary.ts";
export * from "./zeiler_fergus.ts";
