/**
 * Score one trained network by the slides' classification protocol and its honest variant (issue #15):
 *
 *   deno task classify -- --model zf|inception --run DIR [--flip] [--out FILE]
 *
 * `--run` is a training run's folder (its checkpoint) or a shipped one (`weights/reference/zf`: checked
 * against its manifest first). Embeds LFW's 901 people with ≥ 3 images with it (inference mode) and reports
 * - the slides' protocol: stratified 10-fold cross-validation (seed 0, as notebook 04) of the SVM
 *   (rbf, C = 1, γ = scale) and of KNN (k = 5 for Zeiler&Fergus, 1 for Inception, the slides' choices);
 * - the honest variant: when the run held one image per person out of training (`heldOutImages`),
 *   the same classifiers fitted on every other image name the held-out ones.
 * One CSV row per (protocol, classifier) goes to --out (default: printed only). The spread has a column
 * per kind: `std over folds` for the cross-validation rows (as notebook 04 and the slides), `SE` (the
 * binomial standard error of the accuracy) for the held-out rows; the other is left empty.
 * `--flip` embeds each image and its left–right mirror and averages the two (test-time augmentation, as
 * the pilots' held-out check reports it); the `embeddings` column says which embeddings a row used.
 */
import { setupBackend } from "../lib/backend.ts";
import { squaredDistanceMatrix } from "../lib/analysis/mod.ts";
import { type ClassifierSpec, classifyHeldOutImages, crossValidate } from "../lib/classify/mod.ts";
import { loadLfwFaces } from "../lib/data/preprocess.ts";
import { writeCsv } from "../lib/files.ts";
import { embed } from "../lib/models/embed.ts";
import { rowsToFrame } from "../lib/notebook/output.ts";
import { loadShipped, MANIFEST } from "../lib/reference/mod.ts";
import { heldOutImageIndices, loadCheckpoint } from "../lib/training/mod.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { exitWithUsage, modelArg, parseScriptArgs } from "./args.ts";
import { exitWith } from "./exit.ts";

const USAGE = "usage: deno task classify -- --model zf|inception --run DIR [--flip] [--out FILE]";
const OPTIONS = {
  model: { type: "string" },
  run: { type: "string" },
  out: { type: "string" },
  flip: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

async function main(): Promise<number> {
  const v = parseScriptArgs(OPTIONS, USAGE);
  const model = modelArg(v.model, USAGE);
  if (!v.run) exitWithUsage("--run is required", USAGE);
  await setupBackend();
  const ck = existsSync(join(v.run, MANIFEST)) ? await loadShipped(v.run) : await loadCheckpoint(v.run);
  if (!ck) throw new Error(`${v.run} has no checkpoint (checkpoint/) and is no shipped folder (${MANIFEST})`);
  if (ck.state.config.model !== model) {
    ck.model.dispose();
    exitWithUsage(`--model ${model}, but ${v.run} holds a ${ck.state.config.model} network`, USAGE);
  }
  const faces = await loadLfwFaces({ minImages: 3 });
  const x = await embed(ck.model, faces, { batchSize: 64, flip: v.flip });
  const dim = x.length / faces.n;
  const d2 = squaredDistanceMatrix(x, dim);
  const specs: ClassifierSpec[] = [{ kind: "svm" }, { kind: "knn", k: model === "zf" ? 5 : 1 }];
  const rows: Record<string, string | number | null>[] = [];
  const embeddings = v.flip ? "flip-averaged" : "plain";
  const base = { model, epoch: ck.state.epoch, images: faces.n, people: faces.classNames.length, embeddings };
  for (const spec of specs) {
    const cv = await crossValidate(spec, x, dim, faces.labels, { folds: 10, seed: 0, distances: d2 });
    rows.push({
      ...base,
      protocol: "slides: 10-fold CV",
      classifier: cv.name,
      accuracy: cv.mean,
      "std over folds": cv.std,
      SE: null,
    });
    console.log(
      `10-fold CV ${cv.name} (${embeddings} embeddings): ${(100 * cv.mean).toFixed(2)}% ± ${
        (100 * cv.std).toFixed(2)
      } (std)`,
    );
  }
  const spec = ck.state.config.heldOutImages;
  if (spec) {
    const held = heldOutImageIndices(faces, spec);
    for (const s of specs) {
      const r = await classifyHeldOutImages(s, x, dim, faces.labels, held);
      rows.push({
        ...base,
        protocol: "held-out image per person",
        classifier: r.name,
        accuracy: r.accuracy,
        "std over folds": null,
        SE: r.se,
      });
      console.log(
        `held-out images (${r.images} of people with ≥ ${spec.minImages}) ${r.name} (${embeddings} embeddings): ` +
          `${(100 * r.accuracy).toFixed(2)}% ± ${(100 * r.se).toFixed(2)} (SE)`,
      );
    }
  }
  ck.model.dispose();
  if (v.out) {
    writeCsv(rowsToFrame(rows), v.out);
    console.log(`wrote ${v.out}`);
  }
  return 0;
}

await exitWith("classify", main);
