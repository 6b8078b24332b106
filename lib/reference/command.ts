/**
 * Which training command produced a run: its saved config is compared with what `deno task train`
 * builds for the reference recipe, every named recipe (at the number of steps its schedule was laid
 * out for) and every profile, so that a shipped run's manifest can say how to train it again.
 */
import { PROFILES } from "../config.ts";
import {
  type ModelKind,
  recipeConfig,
  RECIPES,
  REFERENCE_RECIPE,
  referenceConfig,
  type TrainConfig,
  trainingConfig,
} from "../training/mod.ts";
import { view1TrainConfig } from "../verify/view1.ts";

/** How `deno task train` makes a run's config. */
export interface RunOrigin {
  /** `reference`, a recipe of lib/training/recipes.ts, or a profile. */
  name: string;
  kind: "recipe" | "profile";
  /** The recipe's own name when `name` is an alias (`reference` → REFERENCE_RECIPE). */
  recipeName?: string;
  /** Planned batches (recipes). */
  steps: number | null;
  people: "slides" | "view1";
  /** The command line that trains it (resumable: rerun it after an interruption). */
  command: string;
}

/** JSON with object keys sorted, so that two configs built in different orders compare equal. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(
    v,
    (_k, x) =>
      x && typeof x === "object" && !Array.isArray(x)
        ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]]))
        : x,
  );
}

/** The planned steps a recipe config can have been laid out for (its schedule, else its epochs). */
function candidateSteps(cfg: TrainConfig): number[] {
  const out = new Set<number>();
  if (cfg.schedule.kind === "warmup-exp") {
    // decayEnd = max(steps, round(0.6·steps) + 1): steps itself, except for steps = 1.
    out.add(cfg.schedule.decayEnd);
    if (cfg.schedule.decayEnd > 1) out.add(cfg.schedule.decayEnd - 1);
  }
  if (typeof cfg.batchesPerEpoch === "number") out.add(cfg.epochs * cfg.batchesPerEpoch);
  return [...out].filter((s) => Number.isInteger(s) && s >= 1);
}

/**
 * How `deno task train` trains a run with config `cfg` again, given the run folder's name `run`, or
 * undefined if no recipe or profile makes this config. An epoch count other than the recipe's or
 * profile's own becomes `--epochs`, a folder other than the default `--run`.
 */
export function runOrigin(cfg: TrainConfig, run: string): RunOrigin | undefined {
  const model: ModelKind = cfg.model;
  type Candidate = Omit<RunOrigin, "command"> & { cfg: TrainConfig; defaultRun: string; args: string[] };
  const candidates: Candidate[] = [];
  for (const steps of candidateSteps(cfg)) {
    const recipe = (name: string, c: TrainConfig, people: "slides" | "view1" = "slides"): Candidate => ({
      name,
      kind: "recipe",
      ...(name === "reference" ? { recipeName: REFERENCE_RECIPE } : {}),
      steps,
      people,
      cfg: c,
      defaultRun: people === "view1" ? `${model}-view1-${name}` : `${model}-${name}`,
      args: [
        "--recipe",
        name,
        "--steps",
        String(steps),
        ...(people === "view1" ? ["--people", "view1"] : []),
      ],
    });
    candidates.push(recipe("reference", referenceConfig(model, steps)));
    // Warm restarts (`--restart N,…`) are laid out after the first plan's steps, one cycle after another.
    const restarts: number[] = [];
    for (let s = cfg.schedule.kind === "warmup-exp" ? cfg.schedule.then : undefined; s; s = s.then) {
      restarts.push(s.decayEnd);
    }
    if (restarts.length) {
      const c = recipe("reference", referenceConfig(model, steps, restarts));
      candidates.push({ ...c, args: [...c.args, "--restart", restarts.join(",")] });
    }
    candidates.push(recipe("reference", view1TrainConfig(model, steps), "view1"));
    for (const name of Object.keys(RECIPES)) candidates.push(recipe(name, recipeConfig(name, model, steps)));
  }
  for (const p of PROFILES) {
    candidates.push({
      name: p,
      kind: "profile",
      steps: null,
      people: "slides",
      cfg: trainingConfig(model, p),
      defaultRun: `${model}-${p}`,
      args: ["--profile", p],
    });
  }
  const key = (c: TrainConfig, withEpochs: boolean) =>
    canonicalJson(withEpochs ? c : { ...c, epochs: undefined });
  const found = candidates.find((c) => key(c.cfg, true) === key(cfg, true)) ??
    candidates.find((c) => key(c.cfg, false) === key(cfg, false));
  if (!found) return undefined;
  const { cfg: made, defaultRun, args, ...origin } = found;
  const extra = [
    ...(made.epochs === cfg.epochs ? [] : ["--epochs", String(cfg.epochs)]),
    ...(run === defaultRun ? [] : ["--run", run]),
  ];
  return { ...origin, command: ["deno task train --", "--model", model, ...args, ...extra].join(" ") };
}
