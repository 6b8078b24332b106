import { join } from "node:path";
import { deepEqual, equal, ok } from "./assert.ts";
import { dataRoot, displayPath, env, ENV_VARS, REPO_ROOT } from "../lib/config.ts";
import { scriptArgs } from "../scripts/args.ts";

Deno.test("displayPath: repository-relative inside it, $VARIABLE/… under a moved root, else absolute", () => {
  const tmp = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "facenet_cfg_" }));
  const before = Deno.cwd();
  const saved = Object.fromEntries(
    ["FACENET_DATA", "FACENET_CACHE", "FACENET_MODELS", "FACENET_FIGURES"].map((k) => [k, Deno.env.get(k)]),
  );
  try {
    for (const k of Object.keys(saved)) Deno.env.delete(k);
    equal(displayPath(REPO_ROOT), ".");
    equal(displayPath(join(REPO_ROOT, "figures", "x.svg")), join("figures", "x.svg"));
    equal(displayPath(dataRoot()), "data", "the default data root is in the repository");
    // From the notebooks' folder (the kernel's working directory), still relative to the repository.
    Deno.chdir(join(REPO_ROOT, "notebooks"));
    equal(displayPath("../figures/01"), join("figures", "01"), "relative input is taken from the cwd");
    equal(displayPath(join(REPO_ROOT, "notebooks", "a.ipynb")), join("notebooks", "a.ipynb"));
    // Roots moved out of the repository are named by their variable, the deepest one first.
    Deno.env.set("FACENET_DATA", join(tmp, "shared", "data"));
    Deno.env.set("FACENET_CACHE", join(tmp, "shared", "data", "cache"));
    Deno.env.set("FACENET_MODELS", join(tmp, "models-x"));
    equal(displayPath(join(tmp, "shared", "data")), "$FACENET_DATA");
    equal(displayPath(join(tmp, "shared", "data", "own")), join("$FACENET_DATA", "own"));
    equal(
      displayPath(join(tmp, "shared", "data", "cache", "faces", "x.u8")),
      join("$FACENET_CACHE", "faces", "x.u8"),
    );
    equal(displayPath(join(tmp, "models-x", "zf-quick")), join("$FACENET_MODELS", "zf-quick"));
    equal(
      displayPath(join(tmp, "models-xy")),
      join(tmp, "models-xy"),
      "a sibling with a longer name is outside",
    );
    equal(displayPath(join(tmp, "elsewhere")), join(tmp, "elsewhere"), "outside every root: absolute");
    equal(displayPath(join(REPO_ROOT, "build", "own")), join("build", "own"), "the repository first");
  } finally {
    Deno.chdir(before);
    for (const [k, v] of Object.entries(saved)) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
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
