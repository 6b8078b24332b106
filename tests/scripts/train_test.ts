/**
 * scripts/train.ts as a user meets it (issue #14): bad command lines exit 2 with the problem and the
 * usage, failures exit 1 with one `train failed: …` line and no stack trace, a locked run folder is
 * refused before any data are loaded, and Ctrl-C releases the lock. Only the last test needs the data.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { deepEqual, equal, match, ok } from "../assert.ts";
import { LOCK_FILE } from "../../lib/training/mod.ts";
import { ROOT, runScript } from "./run_script.ts";

const runTrain = (args: string[], env: Record<string, string>) => runScript("scripts/train.ts", args, env);

/** A temp folder with `models/` (the models root) and an empty `data/` (no LFW in it). */
async function withRoots(fn: (base: string, env: Record<string, string>) => Promise<void>) {
  const base = await Deno.makeTempDir({ prefix: "facenet_train_script_" });
  Deno.mkdirSync(join(base, "data"));
  try {
    await fn(base, {
      FACENET_MODELS: join(base, "models"),
      FACENET_DATA: join(base, "data"),
      FACENET_CACHE: join(base, "cache"),
    });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

const NO_STACK = /^\s+at /m;

for (
  const [args, problem] of [
    [["--epochs", "0"], /^--epochs must be a positive integer, got "0"$/],
    [["--stop-after", "0"], /^--stop-after must be a positive integer, got "0"$/],
    [["--epochs", "2.5"], /^--epochs must be a positive integer, got "2.5"$/],
    [
      ["--run", "../../escape"],
      /^--run: run name "..\/..\/escape" must be a plain folder name .*models root/,
    ],
    [["--run", "a/b"], /^--run: run name "a\/b" must be a plain folder name/],
    [["--profile", "huge"], /^--profile must be one of smoke, quick, full$/],
    [["--bogus"], /bogus/],
    [["--batches", "keras"], /^--batches must be pk or random, got "keras"$/],
    [
      ["--recipe", "semihard-200", "--steps", "10", "--people", "view1"],
      /^--people view1 trains the reference recipe only \(--recipe reference\), not semihard-200$/,
    ],
  ] as [string[], RegExp][]
) {
  Deno.test(`train.ts --model zf ${args.join(" ")}: usage error, exit 2, nothing written`, async () => {
    await withRoots(async (base, env) => {
      const r = await runTrain(["--model", "zf", "--profile", "smoke", ...args], env); // the last --profile counts
      equal(r.code, 2, r.stderr);
      const lines = r.stderr.trim().split("\n");
      equal(lines.length, 2, r.stderr);
      match(lines[0], problem);
      match(lines[1], /^usage: deno task train -- --model/);
      deepEqual([...Deno.readDirSync(base)].map((e) => e.name), ["data"], "no folder created");
    });
  });
}

Deno.test("train.ts: a failure is one 'train failed: …' line and exit 1, not a stack trace", async () => {
  await withRoots(async (base, env) => {
    const r = await runTrain(["--model", "zf", "--profile", "smoke"], env);
    equal(r.code, 1, r.stderr);
    equal(
      r.stderr.trim(),
      `train failed: LFW folder not found: ${join(base, "data", "lfw-deepfunneled")} ` +
        "(run `deno task setup` or set FACENET_DATA)",
    );
    ok(!NO_STACK.test(r.stdout + r.stderr));
  });
});

Deno.test("train.ts: a run folder in use fails at once (before loading data) naming the pid", async () => {
  await withRoots(async (base, env) => {
    const run = join(base, "models", "busy");
    Deno.mkdirSync(run, { recursive: true });
    const holder = new Deno.Command("sleep", { args: ["60"] }).spawn();
    try {
      const started = "2024-05-01T10:00:00.000Z";
      Deno.writeTextFileSync(
        join(run, LOCK_FILE),
        JSON.stringify({ pid: holder.pid, host: Deno.hostname(), started }),
      );
      const r = await runTrain(["--model", "zf", "--profile", "smoke", "--run", "busy"], env);
      equal(r.code, 1, r.stderr);
      match(
        r.stderr.trim(),
        new RegExp(
          `^train failed: run folder \\S*busy is in use by pid ${holder.pid} \\(started ${started}\\); ` +
            "wait for it or use another --run$",
        ),
      );
      equal(JSON.parse(Deno.readTextFileSync(join(run, LOCK_FILE))).pid, holder.pid);
    } finally {
      holder.kill();
      await holder.status;
    }
  });
});

Deno.test("a lock holder interrupted with SIGINT removes its lock and exits 130", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facenet_lock_" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "tests/training/lock_child.ts", dir],
      cwd: ROOT,
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    equal(first.trim(), "locked");
    ok(existsSync(join(dir, LOCK_FILE)));
    child.kill("SIGINT");
    reader.releaseLock();
    await child.stdout.cancel();
    equal((await child.status).code, 130);
    ok(!existsSync(join(dir, LOCK_FILE)), "lock removed on SIGINT");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const DATA = Deno.env.get("FACENET_DATA");
Deno.test({
  name: "train.ts: a state.json of {} is named, with --fresh, in one line (needs FACENET_DATA)",
  ignore: DATA === undefined,
  async fn() {
    const models = await Deno.makeTempDir({ prefix: "facenet_train_script_" });
    try {
      const ck = join(models, "zf-smoke", "checkpoint");
      Deno.mkdirSync(ck, { recursive: true });
      Deno.writeTextFileSync(join(ck, "state.json"), "{}");
      const env: Record<string, string> = { FACENET_MODELS: models, FACENET_DATA: DATA! };
      const cache = Deno.env.get("FACENET_CACHE");
      if (cache) env.FACENET_CACHE = cache;
      const r = await runTrain(["--model", "zf", "--profile", "smoke"], env);
      equal(r.code, 1, r.stderr);
      equal(
        r.stderr.trim(),
        `train failed: checkpoint ${join(ck, "state.json")} has no valid "version" (expected 1); ` +
          `start the run over with --fresh (resume: false) or delete ${join(models, "zf-smoke")}`,
      );
      ok(!existsSync(join(models, "zf-smoke", LOCK_FILE)), "lock released");
    } finally {
      await Deno.remove(models, { recursive: true });
    }
  },
});
