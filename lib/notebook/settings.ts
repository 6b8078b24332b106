/**
 * The settings table of a training run as the notebooks show it.
 */
import type { HistoryRow } from "../training/checkpoint.ts";
import type { TrainConfig } from "../training/config.ts";
import { describeOptimizer } from "../training/schedule.ts";
import { ZF_DEFAULTS } from "../models/zeiler_fergus.ts";

/**
 * The settings table of a training run, as the notebooks show it: backend, data, batches, loss,
 * optimizer, (ZF) dropout and batch-norm momentum, augmentation, and time and mean throughput.
 * `identities` is the number of identities in the data (used when the config does not cap it); the
 * backend is the run's own `trainedOn` when it was trained elsewhere (reference weights), else this
 * session's `backendSummary`.
 */
export function runSettings(
  run: { config: TrainConfig; history: HistoryRow[]; trainedOn?: string },
  identities: number,
  backendSummary: string,
): { setting: string; value: string | number }[] {
  const cfg = run.config;
  const total = (f: (h: HistoryRow) => number) => run.history.reduce((s, h) => s + f(h), 0);
  const backend = run.trainedOn ?? backendSummary.split(" — ")[0].replace("TensorFlow.js backend: ", "");
  const rows: { setting: string; value: string | number }[] = [
    { setting: "backend", value: backend },
    { setting: "identities × images", value: `${cfg.maxIdentities ?? identities} × ≥ ${cfg.minImages}` },
    { setting: "epochs", value: cfg.epochs },
    {
      setting: "batches per epoch × batch size (how drawn)",
      value: `${cfg.batchesPerEpoch} × ${cfg.batchSize} (` +
        (cfg.batches === "random" ? "random images" : `P×K, K = ${cfg.k}`) + ")",
    },
    {
      setting: "loss",
      value: `triplet, ${cfg.mining}, ` +
        (cfg.loss?.softMargin ? "soft margin" : `margin ${cfg.margin}`) +
        `, ${cfg.loss?.distance === "euclidean" ? "plain L2" : "squared"} distances`,
    },
    { setting: "optimizer, learning rate", value: describeOptimizer(cfg) },
  ];
  if (cfg.model === "zf") {
    const dropout = cfg.modelOptions.dropout ?? ZF_DEFAULTS.dropout;
    const momentum = cfg.modelOptions.batchNormMomentum ?? ZF_DEFAULTS.batchNormMomentum;
    rows.push({ setting: "dropout (drop1, drop2), batch-norm momentum", value: `${dropout}, ${momentum}` });
  }
  rows.push(
    {
      setting: "augmentation",
      value: cfg.augment ? Object.entries(cfg.augment).map(([k, v]) => `${k} ${v}`).join(", ") : "none",
    },
    {
      setting: "training time",
      value: `${(total((h) => h.seconds) / 60).toFixed(1)} min, ${
        (total((h) => h.imagesPerSecond) / run.history.length).toFixed(1)
      } images/s`,
    },
  );
  return rows;
}
