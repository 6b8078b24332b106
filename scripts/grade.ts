/**
 * `deno task grade`: run the tests of every exercise and print one line per exercise (passed, or the
 * first failing check) and `grade: N/M exercises`; exits 0 only when all M pass. `--no-check` skips
 * type-checking (a type error elsewhere then does not stop the grading).
 */
import { parseArgs } from "node:util";
import { ASSIGNMENT_ROOT, formatReport, gradeRepo } from "../lib/assignment/mod.ts";

let check = true;
try {
  check = !parseArgs({
    args: Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args,
    options: { "no-check": { type: "boolean" } },
  }).values["no-check"];
} catch (e) {
  console.error(`${(e as Error).message}\nusage: deno task grade [-- --no-check]`);
  Deno.exit(2);
}
try {
  const r = await gradeRepo(ASSIGNMENT_ROOT, { check });
  console.log(formatReport(r));
  Deno.exit(r.passed === r.total ? 0 : 1);
} catch (e) {
  console.error(`grade: ${(e as Error).message}`);
  Deno.exit(2);
}
