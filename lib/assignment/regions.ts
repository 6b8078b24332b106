/**
 * Exercise regions: named region comments inside the library's functions mark the code a student
 * writes. One region looks like
 *
 *     // #region exercise 3: The LFW 10-fold threshold protocol
 *     // Task: what to write (continuation lines are indented: "//   …")
 *     // Hint: one hint per line
 *     // Tests: a substring of the name of a test that checks it (one per line)
 *     …the reference solution…
 *     // #endregion exercise 3
 *
 * The header (the comment lines right after `#region`) stays in the student edition; the solution
 * becomes a one-line stub that throws. An exercise may have several regions (same number and title);
 * its fields are the union of theirs. Regions are found by scanning every `lib/**\/*.ts`, and tests by
 * name, so files and tests can move without touching the tooling.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

export interface Region {
  /** Path relative to the repository root, with `/` separators. */
  file: string;
  exercise: number;
  title: string;
  /** 0-based line index of the `#region` line. */
  start: number;
  /** 0-based line index of the first line after the header (the solution's first line). */
  bodyStart: number;
  /** 0-based line index of the `#endregion` line. */
  end: number;
  /** Indentation of the `#region` line (the stub gets the same). */
  indent: string;
  task: string[];
  hints: string[];
  tests: string[];
  /** The solution's lines (between the header and `#endregion`). */
  body: string[];
}

export interface Exercise {
  n: number;
  title: string;
  task: string[];
  hints: string[];
  /** Test-name substrings: the tests that grade this exercise. */
  tests: string[];
  regions: Region[];
}

const OPEN = /^(\s*)\/\/ #region exercise (\d+): (.+?)\s*$/;
const CLOSE = /^\s*\/\/ #endregion exercise (\d+)\s*$/;
const FIELD = /^(Task|Hint|Tests)(?: \([^)]*\))?: (.*)$/;

/** Regions of one file's text; `file` names it in errors. Markers that do not pair up are errors. */
export function parseRegions(file: string, text: string): Region[] {
  const lines = text.split("\n");
  const out: Region[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (CLOSE.test(lines[i])) throw new Error(`${file}:${i + 1}: #endregion without #region`);
    const m = OPEN.exec(lines[i]);
    if (!m) {
      if (/^\s*\/\/\s*#region\s+exercise/.test(lines[i])) {
        throw new Error(`${file}:${i + 1}: malformed marker, expected "// #region exercise N: Title"`);
      }
      continue;
    }
    const [, indent, num, title] = m;
    const r: Region = {
      file,
      exercise: Number(num),
      title,
      start: i,
      bodyStart: i + 1,
      end: -1,
      indent,
      task: [],
      hints: [],
      tests: [],
      body: [],
    };
    let field: string[] | undefined;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const c = /^\s*\/\/ ?(.*)$/.exec(lines[j]);
      if (!c || CLOSE.test(lines[j])) break;
      const f = FIELD.exec(c[1]);
      if (f) {
        field = f[1] === "Task" ? r.task : f[1] === "Hint" ? r.hints : r.tests;
        field.push(f[2].trim());
      } else if (field && /^\s/.test(c[1]) && field !== r.tests) {
        field[field.length - 1] += " " + c[1].trim();
      } else {
        throw new Error(`${file}:${j + 1}: region header line must start with Task:, Hint: or Tests:`);
      }
    }
    r.bodyStart = j;
    for (; j < lines.length; j++) {
      if (OPEN.test(lines[j])) throw new Error(`${file}:${j + 1}: regions cannot nest (open at ${i + 1})`);
      const c = CLOSE.exec(lines[j]);
      if (c) {
        if (Number(c[1]) !== r.exercise) {
          throw new Error(`${file}:${j + 1}: #endregion exercise ${c[1]} closes exercise ${r.exercise}`);
        }
        break;
      }
    }
    if (j === lines.length) throw new Error(`${file}:${i + 1}: exercise ${r.exercise} region is not closed`);
    r.end = j;
    r.body = lines.slice(r.bodyStart, r.end);
    if (!r.body.some((l) => l.trim() !== "")) throw new Error(`${file}:${i + 1}: exercise region is empty`);
    out.push(r);
    i = j;
  }
  return out;
}

/** Every `.ts` file under `dir` (recursively), as repository-relative paths, sorted. */
function tsFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...tsFiles(root, p));
    else if (e.isFile() && e.name.endsWith(".ts")) out.push(p);
  }
  return out.sort();
}

/** All regions in `root`'s lib/**\/*.ts. */
export function scanRegions(root: string): Region[] {
  return tsFiles(root, "lib").flatMap((f) => parseRegions(f, readFileSync(join(root, f), "utf8")));
}

/** Regions grouped into exercises 1…M; gaps, clashing titles, or an exercise without a task, a hint or
 * a test are errors naming the file. */
export function exercisesOf(regions: Region[]): Exercise[] {
  const by = new Map<number, Exercise>();
  for (const r of regions) {
    const e = by.get(r.exercise);
    if (!e) {
      by.set(r.exercise, {
        n: r.exercise,
        title: r.title,
        task: [...r.task],
        hints: [...r.hints],
        tests: [...r.tests],
        regions: [r],
      });
      continue;
    }
    if (e.title !== r.title) {
      throw new Error(
        `${r.file}:${r.start + 1}: exercise ${r.exercise} is titled "${e.title}" in ${e.regions[0].file}`,
      );
    }
    e.task.push(...r.task);
    e.hints.push(...r.hints);
    e.tests.push(...r.tests.filter((t) => !e.tests.includes(t)));
    e.regions.push(r);
  }
  const list = [...by.values()].sort((a, b) => a.n - b.n);
  list.forEach((e, i) => {
    const where = e.regions.map((r) => r.file).join(", ");
    if (e.n !== i + 1) {
      throw new Error(`exercises must be numbered 1…M: found ${e.n} (${where}) at place ${i + 1}`);
    }
    for (const [k, v] of [["Task", e.task], ["Hint", e.hints], ["Tests", e.tests]] as const) {
      if (v.length === 0) throw new Error(`exercise ${e.n} (${where}) has no "${k}:" line`);
    }
  });
  return list;
}

/** The exercises of the repository at `root`. */
export function scanExercises(root: string): Exercise[] {
  return exercisesOf(scanRegions(root));
}

/** The message a stub throws (and the notebooks show). */
export function notImplementedMessage(n: number, title: string): string {
  return `Exercise ${n}: ${title} — not implemented yet`;
}

/**
 * Thrown by the student edition's stubs. Its stack is its message alone, so a notebook cell that
 * reaches an unsolved exercise shows that sentence rather than a stack trace.
 */
export class ExerciseNotImplemented extends Error {
  constructor(readonly exercise: number, title: string) {
    super(notImplementedMessage(exercise, title));
    this.name = "ExerciseNotImplemented";
    this.stack = this.message;
  }
}

/** The import a stubbed file needs, relative to that file (`file` is repository-relative). */
export function stubImport(file: string): string {
  let rel = relative(join(file, ".."), "lib/assignment/mod.ts").replaceAll("\\", "/");
  if (!rel.startsWith(".")) rel = `./${rel}`;
  return `import { ExerciseNotImplemented } from "${rel}";`;
}

/** The stub that replaces a region's solution (one line, the region's indentation). */
export function stubLine(r: Region): string {
  return `${r.indent}throw new ExerciseNotImplemented(${r.exercise}, ${JSON.stringify(r.title)});`;
}

/**
 * `text` with the solutions of its regions replaced by stubs (headers kept), and the stub's import
 * added before the first import (or after the module comment), with a lint directive for what the
 * stubs leave unused. Unchanged if it has no regions.
 */
export function stubFile(file: string, text: string): string {
  const regions = parseRegions(file, text);
  if (regions.length === 0) return text;
  const lines = text.split("\n");
  for (const r of [...regions].reverse()) lines.splice(r.bodyStart, r.end - r.bodyStart, stubLine(r));
  let at = lines.findIndex((l) => l.startsWith("import "));
  if (at < 0) {
    at = 0;
    if (lines[0]?.startsWith("/**")) at = lines.findIndex((l) => l.includes("*/")) + 1;
  }
  // Until solved, a stub leaves parameters, imports and the code after it unused.
  lines.splice(
    at,
    0,
    "// deno-lint-ignore-file no-unused-vars no-unreachable ban-unused-ignore",
    stubImport(file),
  );
  return lines.join("\n");
}

/**
 * Put exercise `n`'s solutions from the reference file text back into a stubbed file text (the same
 * file in the edition): each stubbed region of `n` gets the body of the reference's matching region.
 */
export function restoreSolution(file: string, stubbed: string, reference: string, n: number): string {
  const ref = parseRegions(file, reference).filter((r) => r.exercise === n);
  const cur = parseRegions(file, stubbed).filter((r) => r.exercise === n);
  if (ref.length !== cur.length) {
    throw new Error(`${file}: exercise ${n} has ${ref.length} regions in the reference, ${cur.length} here`);
  }
  const lines = stubbed.split("\n");
  for (let k = cur.length - 1; k >= 0; k--) {
    lines.splice(cur[k].bodyStart, cur[k].end - cur[k].bodyStart, ...ref[k].body);
  }
  return lines.join("\n");
}
