/**
 * Training: online triplet training of the FaceNet networks on P×K batches, with the slides' settings per
 * profile (config.ts), learning-rate schedules and optimizers (schedule.ts; LAMB in lamb.ts), the batch
 * gradient step (step.ts), the resumable epoch loop (loop.ts) and its collapse warning (collapse.ts), its
 * checkpoints and history (checkpoint.ts), the run folder's name check and lock (run_dir.ts), ++/+−
 * distance snapshots (snapshots.ts), the triplet loss (triplet.ts), the P×K sampler (sampler.ts) and image
 * augmentation (augment.ts); for issue #15's pilots, named training recipes (recipes.ts), the fixed
 * held-out check (heldout.ts) and the pilot runner (pilot.ts).
 */
export * from "./augment.ts";
export * from "./checkpoint.ts";
export * from "./collapse.ts";
export * from "./config.ts";
export * from "./heldout.ts";
export * from "./lamb.ts";
export * from "./loop.ts";
export * from "./run_dir.ts";
export * from "./sampler.ts";
export * from "./schedule.ts";
export * from "./snapshots.ts";
export * from "./step.ts";
export * from "./triplet.ts";
export * from "./pilot.ts";
export * from "./recipes.ts";
