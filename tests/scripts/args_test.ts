/**
 * The command-line conventions every script shares (scripts/args.ts): `--help` and `-h` print the
 * usage and exit 0 before anything runs, and a bad `--model` is named with the kinds there are.
 */
import { equal, match } from "../assert.ts";
import { runScript } from "./run_script.ts";

const SCRIPTS = ["classify", "pilot", "ship", "train", "view1"];

Deno.test("every script's --help and -h print its usage on stdout and exit 0", async () => {
  for (const name of SCRIPTS) {
    for (const flag of ["--help", "-h"]) {
      // "--" as `deno task x -- --help` passes it; an option that would fail later is ignored.
      const r = await runScript(`scripts/${name}.ts`, ["--", flag]);
      equal(r.code, 0, `${name} ${flag}: ${r.stderr}`);
      match(r.stdout, new RegExp(`^usage: deno task ${name} `), `${name} ${flag}`);
      equal(r.stderr, "", `${name} ${flag}`);
    }
  }
});

Deno.test("a bad --model names the kinds there are, with the script's usage, and exits 2", async () => {
  for (const name of ["classify", "pilot", "train", "view1"]) {
    const r = await runScript(`scripts/${name}.ts`, ["--model", "vgg"]);
    equal(r.code, 2, `${name}: ${r.stderr}`);
    const [problem, usage] = r.stderr.trim().split("\n");
    equal(problem, "--model must be zf or inception", name);
    match(usage, new RegExp(`^usage: deno task ${name} `), name);
  }
});
