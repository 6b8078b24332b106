import { deepEqual, equal, match, rejects } from "./assert.ts";
import { gitState, noteCodeVersion } from "../lib/code_version.ts";

const A = { commit: "a".repeat(40), dirty: false };
const B = { commit: "b".repeat(40), dirty: false };

Deno.test("noteCodeVersion adds an entry only when the code changes (commit or dirty flag)", () => {
  let v = noteCodeVersion([], A, 1);
  deepEqual(v, [{ fromEpoch: 1, ...A }]);
  v = noteCodeVersion(v, A, 2);
  equal(v.length, 1, "same code: no new entry");
  v = noteCodeVersion(v, { ...A, dirty: true }, 3);
  v = noteCodeVersion(v, B, 5);
  deepEqual(v.map((c) => [c.fromEpoch, c.commit[0], c.dirty]), [[1, "a", false], [3, "a", true], [
    5,
    "b",
    false,
  ]]);
  deepEqual(noteCodeVersion(v, null, 6), v, "unknown code is not noted");
});

Deno.test("gitState reads a repository's commit and dirty flag, and names git's error elsewhere", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await rejects(() => gitState(dir), /git rev-parse failed/);
    const git = (...args: string[]) =>
      new Deno.Command("git", {
        args: ["-c", "user.name=t", "-c", "user.email=t@t", ...args],
        cwd: dir,
        stdout: "null",
        stderr: "null",
      }).output();
    await git("init", "-q");
    await Deno.writeTextFile(`${dir}/a.txt`, "1");
    await Deno.mkdir(`${dir}/out`);
    await Deno.writeTextFile(`${dir}/out/b.txt`, "1");
    await git("add", ".");
    await git("commit", "-q", "-m", "x");
    const clean = await gitState(dir);
    match(clean.commit, /^[0-9a-f]{40}$/);
    equal(clean.dirty, false);
    await Deno.writeTextFile(`${dir}/out/b.txt`, "2");
    equal((await gitState(dir)).dirty, true);
    equal((await gitState(dir, `${dir}/out`)).dirty, false, "changes under `except` do not count");
    await Deno.writeTextFile(`${dir}/untracked.txt`, "1");
    equal((await gitState(dir, `${dir}/out`)).dirty, false, "untracked files do not count");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
