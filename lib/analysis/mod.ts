/**
 * Analysis of embeddings: vector maths on flat n × dim arrays (vectors.ts), ++/+− pair distances,
 * identity distance matrices and the separating threshold (distances.ts), 2-D maps by UMAP
 * (umap.ts) and t-SNE (tsne.ts), and small dense linear algebra (linalg.ts).
 */
export * from "./distances.ts";
export * from "./linalg.ts";
export * from "./tsne.ts";
export * from "./umap.ts";
export * from "./vectors.ts";
