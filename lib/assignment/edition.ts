/**
 * The student edition: a plain folder copy of the repository's tracked files in which every exercise
 * region's solution is a stub that throws, plus a student's guide (STUDENTS.md). The copy is checked
 * for leaks before it is reported done: no solution line may appear anywhere in it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Exercise, parseRegions, scanExercises, stubFile } from "./regions.ts";

/** Tracked paths that stay with the teacher: the test that restores the solutions into an edition. */
export const TEACHER_ONLY: readonly string[] = ["tests/assignment/"];

/** Tracked files of the git repository at `root` (repository-relative, `/` separators). */
export function trackedFiles(root: string): string[] {
  const r = new Deno.Command("git", { args: ["ls-files", "-z"], cwd: root, stdout: "piped", stderr: "piped" })
    .outputSync();
  if (!r.success) {
    throw new Error(`git ls-files failed in ${root}: ${new TextDecoder().decode(r.stderr).trim()}`);
  }
  return new TextDecoder().decode(r.stdout).split("\0").filter((f) => f !== "");
}

function isText(bytes: Uint8Array): boolean {
  return !bytes.subarray(0, 8000).includes(0);
}

/** Whether `f` is a library source file that may hold exercise regions. */
function isLibSource(f: string): boolean {
  return f.startsWith("lib/") && f.endsWith(".ts");
}

/**
 * The solution lines worth looking for: trimmed region lines longer than 15 characters that appear
 * nowhere else in the reference's tracked text (so a line shared with other code, like a common loop
 * header, does not count as a leak).
 */
export function solutionLines(root: string, files = trackedFiles(root)): string[] {
  const candidates = new Set<string>();
  const rest: string[] = [];
  for (const f of files) {
    const p = join(root, f);
    if (!existsSync(p)) continue;
    const bytes = readFileSync(p);
    if (!isText(bytes)) continue;
    const text = new TextDecoder().decode(bytes);
    const regions = isLibSource(f) ? parseRegions(f, text) : [];
    const lines = text.split("\n");
    const inBody = new Uint8Array(lines.length);
    for (const r of regions) {
      for (let i = r.bodyStart; i < r.end; i++) {
        inBody[i] = 1;
        const t = lines[i].trim();
        if (t.length > 15) candidates.add(t);
      }
    }
    rest.push(lines.filter((_, i) => !inBody[i]).join("\n"));
  }
  const others = rest.join("\n");
  return [...candidates].filter((l) => !others.includes(l));
}

/** Text of every file under `dir` (node_modules skipped), with notebooks' JSON strings decoded too. */
function* editionTexts(dir: string, rel = ""): Generator<{ file: string; text: string }> {
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name !== "node_modules") yield* editionTexts(dir, r);
      continue;
    }
    if (!e.isFile()) continue;
    const bytes = readFileSync(join(dir, r));
    if (!isText(bytes)) continue;
    let text = new TextDecoder().decode(bytes);
    if (r.endsWith(".ipynb")) {
      try {
        const strings: string[] = [];
        JSON.parse(text, (_k, v) => (typeof v === "string" && strings.push(v), v));
        text += "\n" + strings.join("");
      } catch {
        // not JSON: the raw text is searched as it is
      }
    }
    yield { file: r, text };
  }
}

/** Where in the folder `dir` any of `lines` appears (none for a clean edition). */
export function findLeaks(dir: string, lines: string[]): { file: string; line: string }[] {
  const out: { file: string; line: string }[] = [];
  for (const { file, text } of editionTexts(dir)) {
    for (const l of lines) if (text.includes(l)) out.push({ file, line: l });
  }
  return out;
}

/** Where each exercise lives, as "file (function)" lists, for the guides. */
export function exerciseLocations(e: Exercise, textOf: (file: string) => string): string[] {
  return e.regions.map((r) => {
    const lines = textOf(r.file).split("\n");
    for (let i = r.start; i >= 0; i--) {
      const m = /^(?:export )?(?:async )?function\s+(\w+)/.exec(lines[i]);
      if (m) return `${r.file} (${m[1]})`;
    }
    return r.file;
  });
}

/** The student's guide written into the edition. */
export function studentGuide(exercises: Exercise[], textOf: (file: string) => string): string {
  const parts = [
    "# Student's guide",
    "",
    "This is the FaceNet reproduction with the key parts left for you to write. Each exercise is a",
    "region in the library's source between `// #region exercise N: …` and `// #endregion exercise N`;",
    "its header says what to write (Task), gives hints (Hint) and names the tests that grade it (Tests).",
    "The region's code is a stub that throws `Exercise N: <title> — not implemented yet`: replace that",
    "line by your implementation (keep the two marker lines and the header).",
    "",
    "```sh",
    "deno install --frozen     # once: the npm dependencies",
    "deno task grade           # one line per exercise, then grade: N/M exercises",
    "deno test -A tests/ --filter 'stratifiedFolds'   # run some tests by name while you work",
    "deno check lib/ tests/ scripts/ bench/           # the edition type-checks; keep it so",
    "```",
    "",
    "`deno task grade` runs the tests of every exercise and prints, per exercise, `passed` or the first",
    "failing check; it exits 0 only when every exercise passes. The notebooks (`notebooks/`, see the",
    "README) use the library: a notebook stops at the first cell that needs an exercise you have not",
    "solved yet, with that exercise's message. The rest of `deno task test` also fails where it uses",
    "unsolved code.",
    "",
    "## Exercises",
  ];
  for (const e of exercises) {
    parts.push("", `### Exercise ${e.n}: ${e.title}`, "");
    parts.push(`Where: ${exerciseLocations(e, textOf).map((l) => `\`${l}\``).join(", ")}.`, "");
    for (const t of e.task) parts.push(`- Task: ${t}`);
    for (const h of e.hints) parts.push(`- Hint: ${h}`);
    parts.push(`- Graded by the tests named like: ${e.tests.map((t) => `“${t}”`).join("; ")}.`);
  }
  return parts.join("\n") + "\n";
}

export interface EditionReport {
  out: string;
  files: number;
  exercises: Exercise[];
  /** Solution lines searched for (and not found) in the edition. */
  checkedLines: number;
}

/**
 * Write the student edition of the repository at `root` into `out` (which must not exist or be
 * empty). Throws, naming file and line, if any solution line is found in what was written.
 */
export function writeEdition(root: string, out: string): EditionReport {
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    throw new Error(`${out} exists and is not an empty folder`);
  }
  const exercises = scanExercises(root);
  const files = trackedFiles(root).filter((f) => !TEACHER_ONLY.some((p) => f.startsWith(p)));
  const textOf = (f: string) => readFileSync(join(root, f), "utf8");
  let n = 0;
  for (const f of files) {
    const src = join(root, f);
    if (!existsSync(src)) continue; // deleted in the working tree
    const dst = join(out, f);
    mkdirSync(dirname(dst), { recursive: true });
    const bytes = readFileSync(src);
    writeFileSync(dst, isLibSource(f) ? stubFile(f, new TextDecoder().decode(bytes)) : bytes);
    Deno.chmodSync(dst, statSync(src).mode & 0o777);
    n++;
  }
  writeFileSync(join(out, "STUDENTS.md"), studentGuide(exercises, textOf));
  // Wrapped as the project's formatter wraps Markdown, so the edition passes `deno fmt --check`.
  new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", "STUDENTS.md"], cwd: out }).outputSync();
  const lines = solutionLines(root);
  const leaks = findLeaks(out, lines);
  if (leaks.length > 0) {
    throw new Error(
      `solution text leaked into the edition:\n${
        leaks.slice(0, 10).map((l) => `  ${l.file}: ${l.line}`).join("\n")
      }`,
    );
  }
  return { out, files: n + 1, exercises, checkedLines: lines.length };
}
