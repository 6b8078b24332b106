import { deepEqual, equal, ok, throws } from "../assert.ts";
import {
  ExerciseNotImplemented,
  exercisesOf,
  gradeExercises,
  parseJunit,
  parseRegions,
  plainMessage,
  restoreSolution,
  stubFile,
} from "../../lib/assignment/mod.ts";

const SOURCE = `/** A module. */
import { x } from "./x.ts";

export function f(a: number): number {
  // #region exercise 1: Add one
  // Task: return a plus one,
  //   as a number.
  // Hint: use +.
  // Tests: f adds one
  const b = a + 1;
  return b;
  // #endregion exercise 1
}

export function g(): string {
  const s = "keep";
    // #region exercise 2: Shout
    // Task (part 1): upper case.
    // Hint: toUpperCase.
    // Tests: g shouts
    return s.toUpperCase();
    // #endregion exercise 2
}
`;

Deno.test("parseRegions reads titles, fields and solution lines", () => {
  const [r1, r2] = parseRegions("lib/m.ts", SOURCE);
  equal(r1.exercise, 1);
  equal(r1.title, "Add one");
  deepEqual(r1.task, ["return a plus one, as a number."]);
  deepEqual(r1.hints, ["use +."]);
  deepEqual(r1.tests, ["f adds one"]);
  deepEqual(r1.body, ["  const b = a + 1;", "  return b;"]);
  equal(r2.indent, "    ");
  deepEqual(r2.task, ["upper case."]);
  deepEqual(exercisesOf([r1, r2]).map((e) => [e.n, e.title, e.regions.length]), [[1, "Add one", 1], [
    2,
    "Shout",
    1,
  ]]);
});

Deno.test("stubFile replaces solutions, keeps headers, adds the import; restoreSolution undoes one exercise", () => {
  const stubbed = stubFile("lib/sub/m.ts", SOURCE);
  ok(!stubbed.includes("a + 1") && !stubbed.includes("toUpperCase()"), "solutions gone");
  ok(stubbed.includes(`  throw new ExerciseNotImplemented(1, "Add one");`));
  ok(stubbed.includes(`    throw new ExerciseNotImplemented(2, "Shout");`));
  ok(stubbed.includes(`import { ExerciseNotImplemented } from "../assignment/mod.ts";\nimport { x }`));
  ok(stubbed.includes("// Hint: use +."), "header kept");
  const one = restoreSolution("lib/sub/m.ts", stubbed, SOURCE, 1);
  ok(one.includes("const b = a + 1;") && !one.includes("toUpperCase()"));
  const both = restoreSolution("lib/sub/m.ts", one, SOURCE, 2);
  equal(
    both.split("\n").filter((l) => !SOURCE.split("\n").includes(l)).length,
    2,
    "only the lint directive and the import added",
  );
  equal(stubFile("lib/n.ts", "export const a = 1;\n"), "export const a = 1;\n", "no regions: unchanged");
});

Deno.test("malformed regions and exercise lists are errors naming the file", () => {
  throws(
    () => parseRegions("lib/a.ts", "// #region exercise 1: T\n// Task: t\nx;\n"),
    /lib\/a.ts:1: .*not closed/,
  );
  throws(() => parseRegions("lib/a.ts", "// #region exercise one\n"), /lib\/a.ts:1: malformed marker/);
  throws(
    () => parseRegions("lib/a.ts", "// #region exercise 1: T\n// Note: t\nx;\n// #endregion exercise 1\n"),
    /lib\/a.ts:2: .*Task:, Hint: or Tests:/,
  );
  throws(
    () => parseRegions("lib/a.ts", "// #region exercise 1: T\nx;\n// #endregion exercise 2\n"),
    /closes exercise 1/,
  );
  const r = (n: number, text = "// Task: t\n// Hint: h\n// Tests: t") =>
    parseRegions(
      "lib/a.ts",
      `// #region exercise ${n}: T${n}\n${text}\nx;\n// #endregion exercise ${n}\n`,
    )[0];
  throws(() => exercisesOf([r(1), r(3)]), /numbered 1…M: found 3 \(lib\/a.ts\)/);
  throws(() => exercisesOf([r(1, "// Task: t\n// Hint: h")]), /exercise 1 \(lib\/a.ts\) has no "Tests:"/);
});

Deno.test("a stub's error shows its message as its stack (what a notebook cell prints)", () => {
  const e = new ExerciseNotImplemented(3, "The LFW protocol");
  equal(e.message, "Exercise 3: The LFW protocol — not implemented yet");
  equal(e.stack, e.message);
});

Deno.test("grading from a JUnit report: passed, the stub's message, the first failing check, a missing test", () => {
  const xml = `<testsuites><testsuite name="./t.ts">
    <testcase name="f adds one" classname="./t.ts" time="0.000" line="2" col="6">
    </testcase>
    <testcase name="f adds one to &quot;big&quot; numbers" classname="./t.ts">
      <failure message="Uncaught AssertionError: got 3 &amp; 4&#10;more">AssertionError: …</failure>
    </testcase>
    <testcase name="g shouts" classname="./t.ts">
      <failure message="Uncaught ExerciseNotImplemented: Exercise 2: Shout — not implemented yet">…</failure>
    </testcase>
  </testsuite></testsuites>`;
  const cases = parseJunit(xml);
  deepEqual(cases.map((c) => c.name), ["f adds one", 'f adds one to "big" numbers', "g shouts"]);
  equal(cases[0].failure, undefined);
  equal(plainMessage(cases[1].failure!), "got 3 & 4");
  const ex = exercisesOf(parseRegions("lib/m.ts", SOURCE));
  const g = gradeExercises(ex, cases);
  deepEqual(g.map((x) => x.passed), [false, false]);
  equal(g[0].line, `✗ Exercise 1: Add one — “f adds one to "big" numbers” failed: got 3 & 4`);
  equal(g[1].line, "✗ Exercise 2: Shout — not implemented yet");
  const ok1 = gradeExercises(ex, cases.slice(0, 1));
  equal(ok1[0].line, "✓ Exercise 1: Add one — passed (1 test)");
  equal(ok1[1].line, "✗ Exercise 2: Shout — no test named like “g shouts” was found");
});
