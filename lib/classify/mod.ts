/**
 * Classification of identities from embeddings: SVM (libsvm) and k-nearest-neighbour classifiers,
 * stratified cross-validation with the SVM folds on worker threads, grid search, and fitted
 * classifiers that rank identities for a new face.
 */
export * from "./classifiers.ts";
export * from "./fit.ts";
export * from "./knn.ts";
export * from "./svm.ts";
export * from "./svm_folds.ts";
export * from "./grid.ts";
export * from "./holdout.ts";
