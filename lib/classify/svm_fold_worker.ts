/** Web Worker of lib/classify/svm_folds.ts: fits one SVM fold per message and posts its predictions back. */
import { fitPredictFold, type SvmFoldData, type SvmFoldJob } from "./svm_folds.ts";

const scope = self as unknown as {
  onmessage: (e: MessageEvent<{ id: number; job: SvmFoldJob; data: SvmFoldData }>) => void;
  postMessage: (m: unknown) => void;
};

scope.onmessage = async (e) => {
  const { id, job, data } = e.data;
  try {
    scope.postMessage({ id, pred: await fitPredictFold(job, data) });
  } catch (err) {
    scope.postMessage({ id, error: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
};
