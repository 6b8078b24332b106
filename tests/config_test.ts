import { join, resolve } from "node:path";
import { deepEqual, equal } from "./assert.ts";
import { displayPath } from "../lib/config.ts";
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
