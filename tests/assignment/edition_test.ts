/**
 * The student edition end to end (slow: about two minutes, most of it loading the test suite once per
 * exercise): generate it into a temporary folder, check that it type-checks, grades 0/M through
 * `deno task grade` (exit code 1), that putting back one exercise's solution makes exactly that
 * exercise pass, and that no solution line appears anywhere in it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deepEqual, equal, ok } from "../assert.ts";
import {
  ASSIGNMENT_ROOT,
  findLeaks,
  gradeRepo,
  restoreSolution,
  scanExercises,
  solutionLines,
  writeEdition,
} from "../../lib/assignment/mod.ts";

async function run(cwd: string, ...args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

Deno.test("student edition: type-checks, grades 0/M, each solution passes exactly its exercise, no solution text", async () => {
  const out = mkdtempSync(join(tmpdir(), "edition-"));
  try {
    const root = ASSIGNMENT_ROOT;
    const exercises = scanExercises(root);
    const m = exercises.length;
    ok(m >= 5, `${m} exercises`);
    writeEdition(root, out);

    // No solution text: every exercise contributes lines to look for, and none is in the edition.
    const lines = solutionLines(root);
    for (const e of exercises) {
      ok(
        e.regions.some((r) => r.body.some((l) => lines.includes(l.trim()))),
        `exercise ${e.n} has distinctive solution lines`,
      );
    }
    deepEqual(findLeaks(out, lines), []);

    const install = await run(out, "install", "--frozen");
    equal(install.code, 0, install.out);
    const check = await run(out, "check", "lib/", "tests/", "scripts/", "bench/");
    equal(check.code, 0, check.out);

    const grade = await run(out, "task", "grade", "--", "--no-check");
    equal(grade.code, 1, grade.out);
    const printed = grade.out.trim().split("\n").filter((l) => /^(✓|✗|grade:)/.test(l));
    deepEqual(printed, [
      ...exercises.map((e) => `✗ Exercise ${e.n}: ${e.title} — not implemented yet`),
      `grade: 0/${m} exercises`,
    ]);

    for (const e of exercises) {
      const files = [...new Set(e.regions.map((r) => r.file))];
      const stubbed = new Map(files.map((f) => [f, readFileSync(join(out, f), "utf8")]));
      for (const f of files) {
        writeFileSync(
          join(out, f),
          restoreSolution(f, stubbed.get(f)!, readFileSync(join(root, f), "utf8"), e.n),
        );
      }
      const c = await run(out, "check", ...files);
      equal(c.code, 0, `exercise ${e.n} restored: ${c.out}`);
      const r = await gradeRepo(out, { check: false });
      deepEqual(
        r.grades.map((g) => g.passed),
        exercises.map((x) => x.n === e.n),
        `only exercise ${e.n} restored:\n${r.grades.map((g) => g.line).join("\n")}`,
      );
      for (const f of files) writeFileSync(join(out, f), stubbed.get(f)!);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
