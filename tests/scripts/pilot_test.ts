/**
 * scripts/pilot.ts as a user meets it: bad command lines exit 2 with the problem and the usage; with the
 * data (FACENET_DATA, and FACENET_CACHE pointing at a built cache, else it is built first), a two-batch
 * pilot of the slides' ZF network trains, runs the held-out check and appends one row to --out.
 */
import { join } from "node:path";
import { equal, match, ok } from "../assert.ts";
import { PILOT_COLUMNS } from "../../lib/training/mod.ts";
import { runScript } from "./run_script.ts";

const runPilot = (args: string[], env: Record<string, string>) => runScript("scripts/pilot.ts", args, env);

for (
  const [args, problem] of [
    [["--model", "vgg", "--recipe", "slides-sgd", "--minutes", "1"], /^--model must be zf or inception$/],
    [["--model", "zf", "--recipe", "magic", "--minutes", "1"], /^--recipe must be one of slides-sgd, /],
    [["--model", "zf", "--recipe", "slides-sgd"], /^--minutes must be a positive number, got undefined$/],
    [
      ["--model", "zf", "--recipe", "slides-sgd", "--minutes", "1", "--steps", "0"],
      /^--steps must be a positive integer/,
    ],
  ] as [string[], RegExp][]
) {
  Deno.test(`pilot.ts ${args.join(" ")}: usage error, exit 2`, async () => {
    const r = await runPilot(args, { FACENET_DATA: "/nonexistent" });
    equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split("\n");
    match(lines[0], problem);
    match(lines[1], /^usage: deno task pilot/);
  });
}

const DATA = Deno.env.get("FACENET_DATA");
Deno.test({
  name: "pilot.ts end to end: two batches of hermans-batchhard-soft on ZF, one CSV row (needs FACENET_DATA)",
  ignore: !DATA,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "facenet_pilot_script_" });
    try {
      const out = join(dir, "pilots.csv");
      const args = ["--model", "zf", "--recipe", "hermans-batchhard-soft", "--minutes", "5", "--steps", "2"];
      const r = await runPilot([...args, "--out", out], { FACENET_MODELS: join(dir, "models") });
      equal(r.code, 0, r.stderr + r.stdout);
      const lines = Deno.readTextFileSync(out).trimEnd().split("\n");
      equal(lines.length, 2);
      equal(lines[0], PILOT_COLUMNS.join(","));
      const row = Object.fromEntries(lines[1].split(",").map((v, i) => [PILOT_COLUMNS[i], v]));
      equal(row.recipe, "hermans-batchhard-soft");
      equal(row.batches, "2");
      equal(row.images_seen, "144");
      equal(row.finished, "true");
      ok(Number(row.heldout_auc) >= 0 && Number(row.heldout_auc) <= 1, lines[1]);
      equal(row.heldout_identities, "90");
      ok(Deno.statSync(join(dir, "models", "pilot-zf-hermans-batchhard-soft", "checkpoint")).isDirectory);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
