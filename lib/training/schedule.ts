/**
 * Learning rates over epochs and the optimizers they drive: the slides' step schedule (ZF), Keras'
 * ReduceLROnPlateau (Inception), a per-batch warm-up then exponential decay (Hermans et al. 2017), with
 * optional warm restarts (Loshchilov & Hutter 2017), and
 * SGD / momentum / Adam / LAMB built from a TrainConfig.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { LrSchedule, TrainConfig, WarmupExpSchedule } from "./config.ts";
import { LambOptimizer } from "./lamb.ts";

/** Learning-rate schedule state (what ReduceLROnPlateau remembers between epochs). */
export interface ScheduleState {
  lr: number;
  best: number;
  wait: number;
}

/** Learning rate of epoch `epoch` (1-based) under a step schedule over `epochs` epochs. */
export function stepLearningRate(
  s: Extract<LrSchedule, { kind: "step" }>,
  epoch: number,
  epochs: number,
): number {
  if (s.stages <= 1) return s.start;
  const stage = Math.min(s.stages - 1, Math.floor(((epoch - 1) * s.stages) / epochs));
  return s.start * Math.pow(s.end / s.start, stage / (s.stages - 1));
}

/** Learning rate of batch `step` (1-based, counted over the whole run) under a warm-up/exponential schedule. */
export function warmupExpRate(s: WarmupExpSchedule, step: number): number {
  if (s.then && step > s.decayEnd) return warmupExpRate(s.then, step - s.decayEnd);
  if (step <= s.warmupSteps) return (s.start * step) / s.warmupSteps;
  if (step <= s.decayStart) return s.start;
  if (step >= s.decayEnd) return s.end;
  return s.start * Math.pow(s.end / s.start, (step - s.decayStart) / (s.decayEnd - s.decayStart));
}

/**
 * Whether a run trained `steps` batches under schedule `was` may go on under `now`: both per-batch
 * (warm-up/exponential) and every batch so far had the same rate under both, so that the run is exactly
 * the one `now` would have given. This is how a run's plan is lengthened or shortened before either plan's
 * decay begins (another `--steps`), or a warm restart added after its last batch (`--restart`); a schedule
 * that already moved the rate differently is not.
 */
export function extendsSchedule(was: LrSchedule, now: LrSchedule, steps: number): boolean {
  if (!perBatchSchedule(was) || !perBatchSchedule(now)) return false;
  for (let step = 1; step <= steps; step++) {
    if (warmupExpRate(was, step) !== warmupExpRate(now, step)) return false;
  }
  return true;
}

/** Whether the schedule sets the learning rate before every batch (else once per epoch). */
export function perBatchSchedule(s: LrSchedule): s is WarmupExpSchedule {
  return s.kind === "warmup-exp";
}

/** Initial schedule state. */
export function initialSchedule(s: LrSchedule): ScheduleState {
  return { lr: s.start, best: Infinity, wait: 0 };
}

/** Schedule state for the next epoch, given the one just finished (1-based) and its loss. */
export function nextSchedule(
  s: LrSchedule,
  st: ScheduleState,
  epochDone: number,
  loss: number,
  epochs: number,
): ScheduleState {
  if (s.kind === "step") return { ...st, lr: stepLearningRate(s, epochDone + 1, epochs) };
  if (s.kind === "warmup-exp") return st; // set per batch by the loop (warmupExpRate)
  if (loss < st.best - s.minDelta) return { lr: st.lr, best: loss, wait: 0 };
  const wait = st.wait + 1;
  if (wait >= s.patience) return { lr: Math.max(s.min, st.lr * s.factor), best: st.best, wait: 0 };
  return { lr: st.lr, best: st.best, wait };
}

/** The optimizer `cfg` asks for, at the schedule's first learning rate. */
export function makeOptimizer(cfg: TrainConfig): tf.Optimizer {
  const lr = cfg.schedule.start;
  if (cfg.optimizer === "adam") return tf.train.adam(lr, 0.9, 0.999);
  if (cfg.optimizer === "lamb") return new LambOptimizer(lr, 0.9, 0.999);
  if (cfg.optimizer !== "sgd") throw new Error(`unknown optimizer ${JSON.stringify(cfg.optimizer)}`);
  return cfg.momentum > 0 ? tf.train.momentum(lr, cfg.momentum) : tf.train.sgd(lr);
}

/** Change the learning rate of an SGD, momentum or Adam optimizer. */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  // instanceof cannot tell them apart: tfjs optimizers override Symbol.hasInstance to duck typing.
  const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === "function") o.setLearningRate(lr);
  // Adam has no setter, but reads its (protected) learningRate field at every step.
  else o.learningRate = lr;
}

/** Free an optimizer completely. */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  // tfjs 4.22's MomentumOptimizer.dispose forgets SGD's learning-rate scalar; a second dispose is a no-op.
  (optimizer as unknown as { c?: tf.Tensor }).c?.dispose();
}

/** The optimizer and its schedule in words, e.g. "SGD 0.05 → 0.00015 in 6 steps". */
export function describeOptimizer(cfg: TrainConfig): string {
  const name = cfg.optimizer === "adam"
    ? "Adam"
    : cfg.optimizer === "lamb"
    ? "LAMB"
    : cfg.momentum > 0
    ? `SGD, momentum ${cfg.momentum},`
    : "SGD";
  const s = cfg.schedule;
  if (s.kind === "warmup-exp") {
    // Rates as typed (1e-7, not the 1.0000000000000001e-7 that 1e-4 × 1e-3 comes to); a warm restart
    // says where it begins and where its decay runs, one clause each.
    const rate = (x: number) => `${Number(x.toPrecision(6))}`;
    const decay = (c: WarmupExpSchedule, from: number) =>
      `decaying exponentially from step ${from + c.decayStart} to ${rate(c.end)} at step ${
        from + c.decayEnd
      }`;
    const warmup = (c: WarmupExpSchedule) => (c.warmupSteps ? ` after ${c.warmupSteps} warm-up steps` : "");
    const restarts: string[] = [];
    for (let c = s.then, from = s.decayEnd; c; from += c.decayEnd, c = c.then) {
      restarts.push(`at step ${from} back to ${rate(c.start)}${warmup(c)}, ${decay(c, from)}`);
    }
    return `${name} ${rate(s.start)}${warmup(s)}, ${decay(s, 0)}` +
      (restarts.length ? `; warm restarts: ${restarts.join("; ")}` : "");
  }
  return s.kind === "step"
    ? s.stages <= 1 || s.start === s.end
      ? `${name} ${s.start}`
      : `${name} ${s.start} → ${s.end} in ${s.stages} steps`
    : `${name} ${s.start}, ×${s.factor} on plateau (patience ${s.patience}) down to ${s.min}`;
}
