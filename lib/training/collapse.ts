/**
 * Noticing a collapsed run: when every embedding sits at one point, every triplet's loss is the loss at
 * equal distances, the margin for the hinge (max(d⁺ − d⁻ + margin, 0) = margin) and ln 2 for the soft
 * margin (softplus(0)). The pilots of issue #15 that collapsed (batch-hard, Adam 3e-4) sat at 0.2000 for
 * epoch after epoch while nothing else looked wrong, so the training loop checks the epoch losses with
 * {@link detectCollapse} and warns once (loop.ts), saying what to try.
 *
 * A stalled run is the milder case: the loss stays a little under the level without moving. `full` on
 * P×K batches and squared distances sat at 0.1960…0.1954 for 10 epochs (2.3% under the margin, outside the
 * collapse rule's 1%); the slides' loss had reached 0.179 by then, and `full` on random batches 0.1707.
 * {@link STALL_RULE} (within 5% for 8 epochs after the first) names that case and was not met by any run
 * that learned here: the quick Inception run sat within 2.1% for epochs 2–7 and then fell, the ZF reference
 * run left the band after epoch 3.
 */
import { ZF_DEFAULTS } from "../models/zeiler_fergus.ts";
import type { TrainConfig } from "./config.ts";

/** The epoch loss of a collapsed network under `cfg`'s loss: the margin (hinge) or ln 2 (soft margin). */
export function collapseLevel(cfg: Pick<TrainConfig, "margin" | "loss">): number {
  return cfg.loss?.softMargin ? Math.LN2 : cfg.margin;
}

/** How close, and for how long, an epoch loss must stay at the collapse level to be reported. */
export interface CollapseRule {
  /** Relative distance to the level that counts as "at" it (default 0.01: within 1%). */
  tolerance: number;
  /** Consecutive epochs at the level (default 3). */
  epochs: number;
}

export const COLLAPSE_RULE: Readonly<CollapseRule> = { tolerance: 0.01, epochs: 3 };

/** A stalled run: near the collapse level, though not at it, for many epochs (module comment). */
export const STALL_RULE: Readonly<CollapseRule> = { tolerance: 0.05, epochs: 8 };

/** Where a run collapsed: the 1-based epochs `from`…`to` whose losses sat at `level`. */
export interface Collapse {
  from: number;
  to: number;
  level: number;
  losses: number[];
}

/**
 * The first run of `rule.epochs` consecutive epoch losses within `rule.tolerance` (relative) of `level`,
 * not counting epoch 1 (every network starts near the level: its embeddings begin almost at one point),
 * or undefined if there is none. `losses[i]` is epoch i + 1's mean loss; a non-finite loss breaks a run.
 */
export function detectCollapse(
  losses: readonly number[],
  level: number,
  rule: CollapseRule = COLLAPSE_RULE,
): Collapse | undefined {
  if (!(level > 0)) throw new RangeError(`collapse level must be positive, got ${level}`);
  if (!Number.isInteger(rule.epochs) || rule.epochs < 1) {
    throw new RangeError(`collapse rule: epochs must be a positive integer, got ${rule.epochs}`);
  }
  let streak = 0;
  for (let i = 1; i < losses.length; i++) {
    const at = Number.isFinite(losses[i]) && Math.abs(losses[i] - level) <= rule.tolerance * level;
    streak = at ? streak + 1 : 0;
    if (streak === rule.epochs) {
      const from = i + 2 - rule.epochs;
      return { from, to: i + 1, level, losses: losses.slice(from - 1, i + 1) };
    }
  }
  return undefined;
}

/** The run settings the warnings look at to suggest only what the run does not already do. */
export type WarnedConfig =
  & Pick<TrainConfig, "model" | "loss" | "margin" | "optimizer" | "modelOptions">
  & Partial<Pick<TrainConfig, "mining" | "batchSize" | "k" | "batches" | "dataInit">>;

/** Data-dependent initialisation for an Inception run without it: Inception (no batch norm) collapsed at
 * Adam 1e-4 from Keras' Glorot weights and learned at 1e-4 from data-initialised convolutions (README,
 * Pilots). */
function inceptionDataInit(cfg: WarnedConfig): string[] {
  return cfg.model === "inception" && !cfg.dataInit
    ? [
      'for Inception, data-dependent initialisation of its convolutions (dataInit { images: 128, layers: "conv" })',
    ]
    : [];
}

/** Whether a `cfg` run of ZF keeps the slides' dropout (the short runs and the reference recipe drop it). */
function zfWithDropout(cfg: WarnedConfig): boolean {
  return cfg.model === "zf" && (cfg.modelOptions.dropout ?? ZF_DEFAULTS.dropout) > 0;
}

/** The warning for a collapse of a `cfg` run: where it happened and, of what got runs here out of a
 * collapse, what this run does not do yet. */
export function collapseMessage(
  c: Collapse,
  cfg: WarnedConfig,
  rule: CollapseRule = COLLAPSE_RULE,
): string {
  const what = cfg.loss?.softMargin
    ? "ln 2 (the soft margin's loss at equal distances)"
    : `the margin ${c.level}`;
  const tries = [
    cfg.optimizer === "sgd"
      ? "Adam instead of plain SGD (1e-4 or below)"
      : "a lower Adam learning rate (1e-4 or below) or a warm-up",
    ...inceptionDataInit(cfg),
    ...(cfg.mining === "batch-hard" ? ["semi-hard mining instead of batch-hard"] : []),
    ...(cfg.batchSize !== undefined && (cfg.batchSize !== 200 || cfg.k !== 4)
      ? ["batches of 200 as P×K 50×4"]
      : []),
    ...(zfWithDropout(cfg) ? ["no dropout for Zeiler&Fergus (modelOptions.dropout 0)"] : []),
  ];
  return `the epoch loss sat within ${100 * rule.tolerance}% of ${what} for epochs ${c.from}–${c.to} ` +
    `(${
      c.losses.map((l) => l.toFixed(4)).join(", ")
    }): the embeddings have probably collapsed to one point. ` +
    `Try ${
      tries.join(", ")
    }; the reference recipe semihard-200 (lib/training/recipes.ts) is a setup that learned.`;
}

/**
 * The warning for a stalled `cfg` run (`c` found with {@link STALL_RULE}): where, and what to try. Only
 * what was seen to help on LFW is suggested: random batches where plain SGD stalled on P×K ones (`full`),
 * Adam instead of plain SGD (quick profile, reference recipe), and ZF without dropout (README, "quick vs
 * full"). Plain L2 distances did not help `full` (README).
 */
export function stallMessage(
  c: Collapse,
  cfg: WarnedConfig,
  rule: CollapseRule = STALL_RULE,
): string {
  const what = cfg.loss?.softMargin ? "ln 2" : `the margin ${c.level}`;
  const sgd = cfg.optimizer === "sgd";
  const tries = [
    ...(sgd && cfg.batches !== "random"
      ? [
        "random batches, as the slides' Keras drew them (--batches random; plain SGD on P×K batches stalled here)",
      ]
      : []),
    ...(sgd ? ["Adam instead of plain SGD (1e-4)"] : []),
    ...inceptionDataInit(cfg),
    ...(zfWithDropout(cfg) ? ["no dropout for Zeiler&Fergus (modelOptions.dropout 0)"] : []),
    "the reference recipe semihard-200 (lib/training/recipes.ts; README, Reference weights)",
  ];
  return `the epoch loss stayed within ${100 * rule.tolerance}% of ${what} for epochs ${c.from}–${c.to} ` +
    `(${c.losses.map((l) => l.toFixed(4)).join(", ")}): the network is hardly learning. Try ${
      tries.join(", ")
    }.`;
}
