import { join, resolve } from "node:path";
import { deepEqual, equal, ok } from "./assert.ts";
import { displayPath, env, ENV_VARS, REPO_ROOT } from "../lib/config.ts";
import { scriptArgs } from "../scripts/args.ts";

Deno.test("displayPath is relative to the working directory up to two levels up, else absolute", () => {
  const tmp = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "facenet_cfg_" }));
  const deep = join(tmp, "a", "b", "c", "d");
  Deno.mkdirSync(deep, { recursive: true });
  const before = Deno.cwd();
  try {
    Deno.chdir(deep);
    equal(displayPath(deep), ".");
    equal(displayPath(join(deep, "figures", "x.svg")), join("figures", "x.svg"));
    equal(displayPath("figures/x.svg"), join("figures", "x.svg"), "relative input stays relative");
    equal(displayPath(join(tmp, "a", "b", "models")), join("..", "..", "models"));
    equal(displayPath(join(tmp, "a", "models")), resolve(tmp, "a", "models"), "three levels up: absolute");
    equal(displayPath(tmp), tmp);
  } finally {
    Deno.chdir(before);
    Deno.removeSync(tmp, { recursive: true });
  }
});

Deno.test("scriptArgs drops the '--' that `deno task x -- …` passes, and nothing else", () => {
  deepEqual(scriptArgs(["--", "--only", "05"]), ["--only", "05"]);
  deepEqual(scriptArgs(["--only", "05"]), ["--only", "05"]);
  deepEqual(scriptArgs(["--only", "--", "x"]), ["--only", "--", "x"]);
  deepEqual(scriptArgs([]), []);
});

Deno.test("ENV_VARS documents every FACENET_ variable the code, scripts and tests name", () => {
  const named = new Set<string>();
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(join(REPO_ROOT, dir))) {
      const p = join(dir, e.name);
      if (e.isDirectory) walk(p);
      else if (p.endsWith(".ts")) {
        for (const m of Deno.readTextFileSync(join(REPO_ROOT, p)).matchAll(/FACENET_[A-Z_]+/g)) {
          named.add(m[0]);
        }
      }
    }
  };
  for (const d of ["lib", "scripts", "bench", "tests"]) walk(d);
  ok(named.has("FACENET_DATA") && named.has("FACENET_BACKEND"), "the scan finds the variables");
  deepEqual([...named].filter((v) => !(v in ENV_VARS)).sort(), []);
});

Deno.test("env reads empty as unset", () => {
  const was = Deno.env.get("FACENET_FIGURES");
  try {
    Deno.env.set("FACENET_FIGURES", "");
    equal(env("FACENET_FIGURES"), undefined);
    Deno.env.set("FACENET_FIGURES", "x");
    equal(env("FACENET_FIGURES"), "x");
  } finally {
    if (was === undefined) Deno.env.delete("FACENET_FIGURES");
    else Deno.env.set("FACENET_FIGURES", was);
  }
});
