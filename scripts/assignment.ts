/**
 * `deno task assignment -- --out DIR`: write the student edition of this repository into DIR (a new or
 * empty folder): every exercise region's solution replaced by a stub, a student's guide STUDENTS.md,
 * and a check that no solution line made it into the copy.
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { ASSIGNMENT_ROOT, notImplementedMessage, writeEdition } from "../lib/assignment/mod.ts";

const USAGE = "usage: deno task assignment -- --out DIR";
let out: string | undefined;
try {
  out = parseArgs({
    args: Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args,
    options: { out: { type: "string" } },
  }).values.out;
} catch (e) {
  console.error(`${(e as Error).message}\n${USAGE}`);
  Deno.exit(2);
}
if (!out) {
  console.error(USAGE);
  Deno.exit(2);
}
try {
  const r = writeEdition(ASSIGNMENT_ROOT, resolve(out));
  console.log(`student edition: ${r.out} (${r.files} files)`);
  for (const e of r.exercises) {
    const files = [...new Set(e.regions.map((g) => g.file))].join(", ");
    console.log(
      `  stubbed ${notImplementedMessage(e.n, e.title).replace(/ — not implemented yet$/, "")}  [${files}]`,
    );
  }
  console.log(`no solution text in the edition (${r.checkedLines} solution lines searched for)`);
  console.log(
    `next: cd ${out} && deno install --frozen && deno task grade   # expect grade: 0/${r.exercises.length}`,
  );
} catch (e) {
  console.error(`assignment: ${(e as Error).message}`);
  Deno.exit(1);
}
