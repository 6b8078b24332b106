/**
 * Score a View 1 network (issue #16) on LFW's pairsDevTest.txt, whose people it never saw:
 *
 *   deno task view1 -- --model zf|inception [--run DIR | --weights DIR] [--out DIR]
 *
 * Loads the checkpoint of a View 1 training run (default `$FACENET_MODELS/<model>-view1-reference`, the
 * folder `deno task train -- --model M --recipe reference --steps N --people view1` writes) or, with
 * --weights (and by default when there is no such run), a shipped View 1 network
 * (`weights/reference/view1-<model>`, its files checked against manifest.json's SHA-256); rebuilds
 * what it trained on and checks that no test person is among them, chooses among plain/flip-averaged
 * embeddings with or without a fitted WCCN/LDA metric on the held-out dev-train people, and scores the
 * chosen variant and the plain embedding on the 1,000 test pairs (lib/verify/view1_eval.ts). Writes, in
 * --out (default figures/06_lfw_verification/):
 * - view1_summary.csv: accuracy ± SE, AUC, EER, VAL@FAR=1e-3 per network and variant;
 * - view1_variants.csv: the held-out scores of every variant (the choice);
 * - view1_roc.csv: the fold-averaged test ROC of each scored variant.
 * Rows of the other network already in these files are kept, so zf and inception can be run in turn.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { setupBackend } from "../lib/backend.ts";
import { displayPath, figuresRoot, referenceWeightsRoot } from "../lib/config.ts";
import { loadLfwFaces } from "../lib/data/preprocess.ts";
import { loadShipped, MANIFEST } from "../lib/reference/mod.ts";
import { CHECKPOINT, loadCheckpoint, runFolder } from "../lib/training/mod.ts";
import { evaluateView1 } from "../lib/verify/view1_eval.ts";
import { saveView1Results } from "../lib/verify/view1_results.ts";
import { view1RunName } from "../lib/verify/view1.ts";
import { exitWithUsage, modelArg, parseScriptArgs } from "./args.ts";
import { exitWith } from "./exit.ts";

const USAGE = "usage: deno task view1 -- --model zf|inception [--run DIR | --weights DIR] [--out DIR]";
const OPTIONS = {
  model: { type: "string" },
  run: { type: "string" },
  weights: { type: "string" },
  out: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** The notebook's figure folder, where notebook 06 reads the View 1 tables. */
const FIGURES = "06_lfw_verification";

const NETWORK_NAMES = { zf: "Zeiler&Fergus", inception: "Inception" } as const;

async function main(): Promise<number> {
  const v = parseScriptArgs(OPTIONS, USAGE);
  const model = modelArg(v.model, USAGE);
  if (v.run !== undefined && v.weights !== undefined) {
    exitWithUsage("give --run or --weights, not both", USAGE);
  }
  const runDir = v.run ?? runFolder(view1RunName(model));
  const shipped = v.weights ?? join(referenceWeightsRoot(), `view1-${model}`);
  const out = v.out ?? join(figuresRoot(), FIGURES);
  const useShipped = v.weights !== undefined ||
    (v.run === undefined && !existsSync(join(runDir, CHECKPOINT)) && existsSync(join(shipped, MANIFEST)));
  if (!useShipped && !existsSync(join(runDir, CHECKPOINT))) {
    throw new Error(
      `${displayPath(runDir)} has no checkpoint (${CHECKPOINT}/): train the View 1 network first with ` +
        `\`deno task train -- --model ${model} --recipe reference --steps N --people view1\`, or pass --run DIR ` +
        `or --weights DIR (a shipped folder)`,
    );
  }
  await setupBackend();
  const ck = useShipped ? await loadShipped(shipped) : await loadCheckpoint(runDir);
  const source = useShipped ? shipped : runDir;
  if (!ck) throw new Error(`${displayPath(runDir)} has no checkpoint`);
  if (ck.state.config.model !== model) {
    ck.model.dispose();
    exitWithUsage(`${displayPath(source)} holds a ${ck.state.config.model} network, not ${model}`, USAGE);
  }
  const network = NETWORK_NAMES[model];
  console.log(
    `${network}: ${displayPath(source)}${
      useShipped ? " (shipped, SHA-256 checked)" : ""
    }, epoch ${ck.state.epoch}/${ck.state.config.epochs}` +
      (ck.state.epoch < ck.state.config.epochs ? " (NOT finished)" : ""),
  );
  const all = await loadLfwFaces();
  const r = await evaluateView1(ck.model, ck.state, all, {
    network,
    runDir: source,
    log: (s) => console.log(s),
  });
  ck.model.dispose();
  for (const row of r.variants) {
    console.log(
      `  ${row.chosen ? "→" : " "} ${row.variant.padEnd(14)} held-out AUC per person ${
        row["AUC per person (chooses)"].toFixed(4)
      }, all pairs ${row["AUC all pairs"].toFixed(4)}`,
    );
  }
  for (const row of r.summary) {
    console.log(
      `${row.network}: ${row["accuracy %"].toFixed(2)}% ± ${row.SE.toFixed(2)} (SE), AUC ${
        row.AUC.toFixed(4)
      }, ` +
        `EER ${row["EER %"].toFixed(2)}%, VAL@FAR=1e-3 ${row["VAL @ FAR=1e-3 %"].toFixed(2)}% ` +
        `(${row["test pairs"]} pairs, ${row["test people trained on"]} test people trained on)`,
    );
  }
  await Deno.mkdir(out, { recursive: true });
  const paths = saveView1Results(out, network, r);
  console.log(`wrote ${paths.map(displayPath).join(", ")}`);
  return 0;
}

await exitWith("view1", main);
