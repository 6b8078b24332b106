/** The two FaceNet networks by name: the one switch from a model kind to its builder (training, bench). */
import type * as tfl from "@tensorflow/tfjs-layers";
import { buildInception } from "./inception.ts";
import { buildZeilerFergus, type ZeilerFergusOptions } from "./zeiler_fergus.ts";

/** The slides' networks: Zeiler&Fergus (NN1) and the Inception network (NN2). */
export const MODEL_KINDS = ["zf", "inception"] as const;
export type ModelKind = typeof MODEL_KINDS[number];

/** Options any network accepts; `dropout` and `batchNormMomentum` only change ZF. */
export type NetworkOptions = ZeilerFergusOptions;

/** Build the network `kind` (Inception ignores ZF's dropout and batch-norm momentum). */
export function buildNetwork(kind: ModelKind, opts: NetworkOptions = {}): tfl.LayersModel {
  if (kind === "zf") return buildZeilerFergus(opts);
  if (kind === "inception") return buildInception(opts);
  throw new Error(`unknown model ${JSON.stringify(kind)}; expected one of ${MODEL_KINDS.join(", ")}`);
}

/** Whether `name` is a model kind (for command lines). */
export function isModelKind(name: string): name is ModelKind {
  return (MODEL_KINDS as readonly string[]).includes(name);
}

/** Total parameters of the slides' networks at 96×96×1 (their Keras summaries; the module comments of
 * zeiler_fergus.ts and inception.ts, checked by tests/models/): a run that claims to train "the slides'
 * network" must have exactly these. Kept with the slides' other numbers in lib/slides/numbers.ts. */
export { SLIDES_PARAMS } from "../slides/numbers.ts";
