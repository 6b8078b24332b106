/**
 * Child process of svm_folds_test.ts: starts SVM fold workers (lib/classify/svm_fold_worker.ts) with
 * a small fold and terminates each at a random moment, most of them while libsvm's WebAssembly is
 * still compiling. With a streaming compile in the worker this aborted the whole process (V8's
 * `Check failed: (validate_functions_job_handle_) == nullptr`, see lib/classify/svm.ts); it must exit
 * 0 and print how many workers it terminated before they answered.
 */
const rounds = Number(Deno.args[0] ?? 40);
const n = 12;
const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
const distances = new Float32Array(new SharedArrayBuffer(n * n * 4));
for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) distances[i * n + j] = (i - j) ** 2 / n;
const job = {
  train: Int32Array.from({ length: 8 }, (_, i) => i),
  test: Int32Array.from([8, 9, 10, 11]),
  kernel: "rbf",
  gamma: 0.5,
  cost: 1,
};

const workerUrl = new URL("../../lib/classify/svm_fold_worker.ts", import.meta.url);
function start(id: number): { w: Worker; answer: Promise<void>; answered: () => boolean } {
  const w = new Worker(workerUrl, { type: "module" });
  let done = false;
  const answer = new Promise<void>((res) => {
    w.onmessage = () => {
      done = true;
      res();
    };
  });
  w.postMessage({ id, job, data: { n, labels, distances } });
  return { w, answer, answered: () => done };
}

// How long a worker takes to start, compile libsvm and answer on this machine now (0.1-0.3 s when
// idle, longer under load): the terminations below are spread over that span, so most of them land
// during start-up or the compile whatever the load.
const t0 = performance.now();
const first = start(-1);
await first.answer;
const span = performance.now() - t0;
first.w.terminate();

let early = 0;
for (let r = 0; r < rounds; r++) {
  const { w, answered } = start(r);
  await new Promise((res) => setTimeout(res, ((r * 7919) % 1000) / 1000 * span));
  if (!answered()) early++;
  w.terminate();
}
console.log(JSON.stringify({ rounds, early }));
