import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { deepEqual, equal, ok, throws } from "../assert.ts";
import { displayPath, REPO_ROOT } from "../../lib/config.ts";
import {
  checkPhotoCounts,
  chooseUnseenPeople,
  OWN_FACES_NOTEBOOK,
  ownFacesFigureDir,
  ownPhotosDir,
  ownPhotosPresent,
  type PersonPhotos,
} from "../../lib/faces/mod.ts";
import { notebookTargets } from "../../scripts/notebook_runner.ts";

/** `<data root>/own/<Name>/<file>` for each entry in a fresh temp data root; returns the `own` folder.
 * The files are not images (never read). */
function fakeOwn(files: string[]): string {
  const dir = join(Deno.makeTempDirSync({ prefix: "facenet_data_" }), "own");
  mkdirSync(dir);
  for (const f of files) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    writeFileSync(join(dir, f), "not an image");
  }
  return dir;
}

/** The paths among `paths` that git ignores (and does not track) in this checkout. */
function gitIgnored(paths: string[]): string[] {
  const rel = paths.map((p) => relative(REPO_ROOT, p));
  const out = new Deno.Command("git", { args: ["-C", REPO_ROOT, "check-ignore", ...rel], stdout: "piped" })
    .outputSync();
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
}

const inGit = (() => {
  try {
    return new Deno.Command("git", { args: ["-C", REPO_ROOT, "rev-parse"] }).outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "with own photos, everything notebook 05 writes (figures, tables, executed copy) is git-ignored",
  ignore: !inGit,
  fn() {
    const expected =
      (JSON.parse(readFileSync(join(REPO_ROOT, "notebooks", "expected_figures.json"), "utf8")) as Record<
        string,
        string[]
      >)[OWN_FACES_NOTEBOOK];
    ok(expected.includes("unseen_faces.png") && expected.includes("heldout_predictions.csv"));
    const own = fakeOwn(["Alice/a.jpg", "Alice/b.jpg", "Bob/IMG_1.JPG", "Bob/IMG_2.JPG"]);
    const groupOnly = fakeOwn(["_group/party.jpg"]);
    const none = fakeOwn(["README.md"]);
    const before = Deno.env.get("FACENET_DATA");
    try {
      for (const dir of [own, groupOnly]) {
        ok(ownPhotosPresent(dir), dir);
        const figs = ownFacesFigureDir(dir, false);
        const t = notebookTargets(OWN_FACES_NOTEBOOK, { outDir: undefined, figures: undefined }, dir);
        equal(t.private, true);
        equal(join(t.figures!, OWN_FACES_NOTEBOOK), figs, "reproduce checks where the notebook writes");
        const written = [
          ...expected.map((f) => join(figs, f)),
          join(t.outDir!, `${OWN_FACES_NOTEBOOK}.ipynb`),
          join(REPO_ROOT, "build", "failed", `${OWN_FACES_NOTEBOOK}.ipynb`), // reproduce's copy of a failed run
        ];
        deepEqual(gitIgnored(written), written.map((p) => relative(REPO_ROOT, p)));
        // smoke's own targets and --out are overridden too; other notebooks keep theirs
        const smoke = { outDir: join(REPO_ROOT, "build", "smoke", "notebooks"), figures: "/elsewhere" };
        deepEqual(notebookTargets(OWN_FACES_NOTEBOOK, smoke, dir), t);
        deepEqual(notebookTargets("04_classifiers", smoke, dir), { ...smoke, private: false });
      }
      // The notebook finds data/own through FACENET_DATA, as the kernel run by reproduce does.
      const root = join(own, "..");
      Deno.env.set("FACENET_DATA", root);
      equal(ownPhotosDir(), join(root, "own"));
      ok(ownPhotosPresent());
      equal(notebookTargets(OWN_FACES_NOTEBOOK, {}).private, true);

      // Control: without own photos notebook 05 writes its tracked figures/ (which check-ignore must report).
      equal(ownPhotosPresent(none), false);
      const t = notebookTargets(OWN_FACES_NOTEBOOK, {}, none);
      deepEqual(t, { private: false });
      const tracked = join(ownFacesFigureDir(none, false), "heldout_predictions.csv");
      equal(relative(REPO_ROOT, tracked), join("figures", OWN_FACES_NOTEBOOK, "heldout_predictions.csv"));
      deepEqual(gitIgnored([tracked]), []);
    } finally {
      if (before === undefined) Deno.env.delete("FACENET_DATA");
      else Deno.env.set("FACENET_DATA", before);
      for (const d of [own, groupOnly, none]) Deno.removeSync(join(d, ".."), { recursive: true });
    }
  },
});

const person = (name: string, n: number): PersonPhotos => ({
  name,
  files: Array.from({ length: n }, (_, i) => `/own/${name}/${i}.jpg`),
});

Deno.test("checkPhotoCounts refuses fewer than 2 people with 2 photos, naming who has 1 and what to add", () => {
  checkPhotoCounts([person("Alice", 3), person("Bob", 2)], "/own");
  checkPhotoCounts([person("Alice", 3), person("Bob", 2), person("Carol", 1)], "/own"); // Carol: a stranger
  const D = displayPath("/own");
  const refusal = (people: PersonPhotos[]) => {
    try {
      checkPhotoCounts(people, "/own");
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error("not refused");
  };
  const head = `${D}: notebook 05 needs at least 2 people with 2 or more photos each (one to train the ` +
    `classifier on, one to test it); `;
  equal(
    refusal([person("Alice", 3), person("Carol", 1)]),
    head + `only Alice has 2 or more, Carol has 1: add another photo of Carol (${join(D, "Carol")}/)`,
  );
  equal(
    refusal([person("Carol", 1), person("Dave", 1)]),
    head + `nobody has 2 or more, Carol and Dave have 1: add another photo of Carol and Dave ` +
      `(${join(D, "Carol")}/, ${join(D, "Dave")}/)`,
  );
  equal(
    refusal([person("Alice", 4), person("Carol", 1), person("Dave", 1)]),
    head + "only Alice has 2 or more, Carol and Dave have 1: add another photo of one of them",
  );
  equal(
    refusal([person("Alice", 4)]),
    head + "only Alice has 2 or more: add a folder of photos of another person",
  );
});

Deno.test("chooseUnseenPeople refuses a one-photo person up front, before any photo is read", () => {
  // The files are not images: the refusal comes from counting them, not from decoding.
  const own = fakeOwn(["Alice/1.jpg", "Alice/2.jpg", "Alice/3.jpg", "Carol/only.jpg"]);
  try {
    throws(
      () => chooseUnseenPeople(own, "/no/data", { people: 6 }),
      /Carol has 1: add another photo of Carol/,
    );
    writeFileSync(join(own, "Carol", "second.png"), "not an image");
    const c = chooseUnseenPeople(own, "/no/data", { people: 6 });
    deepEqual([c.own, c.base, c.people.map((p) => [p.name, p.files.length])], [true, own, [["Alice", 3], [
      "Carol",
      2,
    ]]]);
    equal(c.description, `2 people from your own photos in ${displayPath(own)} (5 photos).`);
  } finally {
    Deno.removeSync(join(own, ".."), { recursive: true });
  }
});
