/**
 * Grading: run the tests that belong to each exercise (found by name, see regions.ts) in one
 * `deno test` run with the JUnit reporter, and say per exercise whether all passed or which check
 * failed first, in plain words.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Exercise, scanExercises } from "./regions.ts";

export interface TestCase {
  name: string;
  /** The failure's message; undefined when the test passed. */
  failure?: string;
  skipped: boolean;
}

export interface ExerciseGrade {
  n: number;
  title: string;
  passed: boolean;
  /** Tests that matched the exercise's names. */
  tests: number;
  /** One sentence: "passed (k tests)" or the first failing check. */
  line: string;
}

export interface GradeReport {
  grades: ExerciseGrade[];
  passed: number;
  total: number;
}

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|quot|apos|lt|gt|amp);/gi, (_, e: string) => {
    if (e[0] === "#") {
      return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
    }
    return { quot: '"', apos: "'", lt: "<", gt: ">", amp: "&" }[e.toLowerCase()]!;
  });
}

/** Test cases of a `deno test --reporter=junit` report. */
export function parseJunit(xml: string): TestCase[] {
  const out: TestCase[] = [];
  const re = /<testcase name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(re)) {
    const inner = m[3] ?? "";
    const f = /<(?:failure|error) message="([^"]*)"/.exec(inner);
    out.push({
      name: unescapeXml(m[1]),
      failure: f ? unescapeXml(f[1]) : undefined,
      skipped: /<skipped/.test(inner),
    });
  }
  return out;
}

/** A failure message as one plain sentence: no "Uncaught", no error class, first line only. */
export function plainMessage(message: string): string {
  const first =
    message.replace(/^Uncaught (\(in promise\) )?/, "").split("\n").find((l) => l.trim() !== "") ??
      "failed";
  const s = first.replace(/^(?:[A-Z]\w*Error|ExerciseNotImplemented): /, "").trim();
  return s.length > 200 ? `${s.slice(0, 197)}…` : s;
}

/** Grade each exercise from the test cases of a run. */
export function gradeExercises(exercises: Exercise[], cases: TestCase[]): ExerciseGrade[] {
  return exercises.map((e) => {
    const head = `Exercise ${e.n}: ${e.title}`;
    const missing = e.tests.filter((t) => !cases.some((c) => c.name.includes(t)));
    const mine = cases.filter((c) => e.tests.some((t) => c.name.includes(t)));
    const grade = (passed: boolean, why: string): ExerciseGrade => ({
      n: e.n,
      title: e.title,
      passed,
      tests: mine.length,
      line: `${passed ? "✓" : "✗"} ${head} — ${why}`,
    });
    if (missing.length > 0) return grade(false, `no test named like “${missing[0]}” was found`);
    const failed = mine.find((c) => c.failure !== undefined || c.skipped);
    if (!failed) return grade(true, `passed (${mine.length} test${mine.length === 1 ? "" : "s"})`);
    if (failed.skipped) return grade(false, `test “${failed.name}” was skipped`);
    const msg = plainMessage(failed.failure!);
    // A stub's own message already names the exercise: print it as it is.
    if (msg.startsWith(`Exercise ${e.n}: `)) return { ...grade(false, ""), line: `✗ ${msg}` };
    return grade(false, `“${failed.name}” failed: ${msg}`);
  });
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

export interface GradeOptions {
  /** Type-check the tests (and what they import) first, as `deno task test` does (default true). */
  check?: boolean;
  /** Extra environment for the test run. */
  env?: Record<string, string>;
}

/** Run the exercises' tests of the repository (or edition) at `root` and grade them. */
export async function gradeRepo(root: string, opts: GradeOptions = {}): Promise<GradeReport> {
  const exercises = scanExercises(root);
  const names = exercises.flatMap((e) => e.tests);
  const tmp = mkdtempSync(join(tmpdir(), "grade-"));
  const junit = join(tmp, "report.xml");
  try {
    const args = [
      "test",
      "-A",
      ...(opts.check === false ? ["--no-check"] : []),
      "--reporter=junit",
      `--junit-path=${junit}`,
      `--filter=/${names.map(escapeRegExp).join("|")}/`,
      "tests/",
    ];
    const r = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: root,
      env: { NO_COLOR: "1", ...opts.env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    let xml: string | undefined;
    try {
      xml = readFileSync(junit, "utf8");
    } catch {
      xml = undefined;
    }
    const cases = xml ? parseJunit(xml) : [];
    let grades: ExerciseGrade[];
    if (cases.length === 0) {
      // The run stopped before any test: say why (a type error, a module that does not load).
      const err = new TextDecoder().decode(r.stderr).split("\n").map((l) => l.trim()).filter((l) =>
        l !== "" && !/^(Check|Download|Warning)/.test(l)
      );
      const why = err.slice(0, 3).join(" ").slice(0, 300) || "no test ran";
      grades = exercises.map((e) => ({
        n: e.n,
        title: e.title,
        passed: false,
        tests: 0,
        line: `✗ Exercise ${e.n}: ${e.title} — the tests did not run: ${why}`,
      }));
    } else {
      grades = gradeExercises(exercises, cases);
    }
    return { grades, passed: grades.filter((g) => g.passed).length, total: grades.length };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The report as printed by `deno task grade`. */
export function formatReport(r: GradeReport): string {
  return [...r.grades.map((g) => g.line), `grade: ${r.passed}/${r.total} exercises`].join("\n");
}
