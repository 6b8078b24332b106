import { deepEqual, ok, rejects } from "../assert.ts";
import { squaredDistanceMatrix } from "../../lib/analysis/mod.ts";
import { syntheticIdentities } from "../analysis/synthetic.ts";
import { crossValidate, stratifiedFolds } from "../../lib/classify/mod.ts";
import {
  defaultSvmThreads,
  fitPredictFold,
  MIN_PARALLEL_SAMPLES,
  runSvmFolds,
  type SvmFoldJob,
} from "../../lib/classify/svm_folds.ts";

const data = syntheticIdentities({
  classes: 6,
  total: 72,
  dim: 8,
  minSize: 12,
  maxSize: 12,
  spread: 2.5,
  seed: 3,
});

Deno.test("SVM cross-validation on 1, 2 and 3 threads gives the same predictions, γ and accuracies", async () => {
  const folds = stratifiedFolds(data.labels, 5, 2);
  for (
    const spec of [{ kind: "svm", kernel: "rbf", C: 3 }, { kind: "svm", kernel: "linear", C: 1 }] as const
  ) {
    const runs = [];
    for (const threads of [1, 2, 3]) {
      const order: number[] = [];
      const r = await crossValidate(spec, data.x, data.dim, data.labels, {
        folds,
        threads,
        onFold: (f) => order.push(f),
      });
      deepEqual(order, [0, 1, 2, 3, 4], `onFold in fold order (${threads} threads)`);
      runs.push(r);
    }
    for (const r of runs.slice(1)) {
      deepEqual(Array.from(r.predicted), Array.from(runs[0].predicted), `${r.name}: predictions`);
      deepEqual(r.foldAccuracy, runs[0].foldAccuracy, `${r.name}: fold accuracies`);
      deepEqual(r.gammas, runs[0].gammas, `${r.name}: γ per fold`);
    }
    // not a vacuous match: the predictions vary and beat chance (1 in 6)
    ok(new Set(runs[0].predicted).size > 2, `${runs[0].name} predicts several people`);
    ok(runs[0].mean > 1 / 6, `${runs[0].name} better than chance (${runs[0].mean})`);
  }
});

Deno.test("runSvmFolds: workers give fitPredictFold's predictions, and a failing fold rejects with its reason", async () => {
  const n = data.labels.length;
  const D = squaredDistanceMatrix(data.x, data.dim);
  const shared = { n, labels: Int32Array.from(data.labels), distances: D };
  const idx = Array.from({ length: n }, (_, i) => i);
  const jobs: SvmFoldJob[] = [0, 1, 2].map((f) => ({
    train: Int32Array.from(idx.filter((i) => i % 3 !== f)),
    test: Int32Array.from(idx.filter((i) => i % 3 === f)),
    kernel: "rbf",
    gamma: 0.05,
    cost: 1,
  }));
  const viaWorkers = await Promise.all(runSvmFolds(jobs, shared, 2));
  for (const [f, job] of jobs.entries()) {
    deepEqual(Array.from(viaWorkers[f]), Array.from(await fitPredictFold(job, shared)), `fold ${f}`);
  }
  const bad = [...jobs, { ...jobs[0], gamma: undefined }];
  const results = runSvmFolds(bad, shared, 2);
  await rejects(results[3], /rbf kernel needs gamma > 0/);
  // Every other fold, so that no worker is still busy (terminated with this module) when the test ends.
  for (const f of [0, 1, 2]) {
    deepEqual(Array.from(await results[f]), Array.from(viaWorkers[f]), `the other folds still finish (${f})`);
  }
});

Deno.test("terminating SVM fold workers while libsvm compiles does not abort the process", async () => {
  // In a child process: before the fix, V8 aborted the whole process (see lib/classify/svm.ts).
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./svm_worker_terminate_child.ts", import.meta.url).pathname, "40"],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  ok(out.success, `child failed (code ${out.code}, signal ${out.signal}): ${stderr}`);
  const { rounds, early } = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  deepEqual(rounds, 40);
  // not vacuous: most workers were terminated before they could answer, i.e. during start-up or compile
  ok(early >= 10, `only ${early} of 40 workers terminated early`);
});

Deno.test("defaultSvmThreads: one for small problems, one per core (at most 4) from MIN_PARALLEL_SAMPLES", () => {
  deepEqual(defaultSvmThreads(MIN_PARALLEL_SAMPLES - 1), 1);
  deepEqual(defaultSvmThreads(MIN_PARALLEL_SAMPLES), Math.max(1, Math.min(4, navigator.hardwareConcurrency)));
});
