/**
 * scripts/classify.ts as a user meets it: bad command lines exit 2 with the problem and the usage, a
 * folder that is neither a run nor a shipped network exits 1 naming it, and a network of the other kind
 * than `--model` says (here the shipped Zeiler&Fergus weights) is refused before anything is embedded.
 */
import { join } from "node:path";
import { equal, match } from "../assert.ts";
import { runScript } from "./run_script.ts";

const runClassify = (args: string[], env: Record<string, string> = {}) =>
  runScript("scripts/classify.ts", args, env);

Deno.test("classify.ts: usage errors exit 2 with the problem and the usage", async () => {
  for (
    const [args, problem] of [
      [["--model", "vgg", "--run", "x"], /^--model must be zf or inception$/],
      [["--model", "zf"], /^--run is required$/],
    ] as [string[], RegExp][]
  ) {
    const r = await runClassify(args);
    equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split("\n");
    match(lines[0], problem);
    match(lines[1], /^usage: deno task classify -- --model zf\|inception --run DIR/);
  }
});

Deno.test("classify.ts: a folder with neither a checkpoint nor a manifest is named", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facenet_classify_" });
  try {
    // --flip (flip-averaged embeddings) is an option like the others: it reaches the same check.
    for (const extra of [[], ["--flip"]]) {
      const r = await runClassify(["--model", "zf", "--run", dir, ...extra]);
      equal(r.code, 1, r.stderr);
      match(
        r.stderr,
        new RegExp(`classify failed: ${dir} has no checkpoint \\(checkpoint/\\) and is no shipped folder`),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("classify.ts: the shipped ZF weights under --model inception are refused, naming both", async () => {
  const shipped = join("weights", "reference", "zf");
  const r = await runClassify(["--model", "inception", "--run", shipped]);
  equal(r.code, 2, r.stderr);
  match(r.stderr, /--model inception, but weights\/reference\/zf holds a zf network/);
});
