/**
 * Setup's reliability cases on tiny fixture trees: images that do not decode, a PNG named `.jpg`,
 * a missing image, a data root one level too deep, a cache damaged in place, and the setup script
 * ending with one line instead of a stack trace. No network.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { checkImageFile, decodeErrorMessage, sniffImageFormat } from "../../lib/data/imagecheck.ts";
import { lfwImageList, readLfwIndex } from "../../lib/data/lfw.ts";
import { loadLfwFaces, preprocessImage } from "../../lib/data/preprocess.ts";
import { verifyImages, verifyLfw } from "../../lib/data/integrity.ts";
import { checkDataRoot, type DataSource, ensureSources, setupLfw } from "../../lib/data/sources.ts";
import { deepEqual, equal, ok, rejects } from "../assert.ts";
import { makeLfwTree, makeProtocol, scramble, syntheticRgb } from "./fixtures.ts";

const PEOPLE = { Ann_A: 3, Bo_B: 1, Cy_C: 2 };

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "facenet-setup-"));
}

/** Sources for a fixture root whose files are all present (nothing is ever fetched). */
function presentSources(): DataSource[] {
  return [{
    label: "images",
    url: "http://127.0.0.1:1/never-contacted.tgz",
    md5: "0".repeat(32),
    file: "lfw-deepfunneled.tgz",
    kind: "tgz",
    installs: "lfw-deepfunneled",
  }];
}

async function message(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    return (e as Error).message;
  }
  return "(no error)";
}

Deno.test("sniffImageFormat reads the magic bytes, not the name", async () => {
  const rgb = syntheticRgb(3, 8, 8);
  const raw = { raw: { width: 8, height: 8, channels: 3 as const } };
  equal(sniffImageFormat(new Uint8Array(await sharp(rgb, raw).jpeg().toBuffer())), "jpeg");
  equal(sniffImageFormat(new Uint8Array(await sharp(rgb, raw).png().toBuffer())), "png");
  equal(sniffImageFormat(new TextEncoder().encode("<html>404</html>")), undefined);
  equal(sniffImageFormat(new TextEncoder().encode("P5\n2 2\n255\n")), "pgm");
  // Decoder messages become one line that says what is wrong.
  equal(decodeErrorMessage(new Error("VipsJpeg: a\nVipsJpeg: b\nVipsJpeg: a\n")), "VipsJpeg: a; VipsJpeg: b");
  ok(
    /^damaged image data/.test(
      decodeErrorMessage(new Error("Warning treated as error due to failOn setting")),
    ),
  );
});

Deno.test("a corrupt JPEG (same size) fails setup naming the file and --repair; setup remembers good images", async () => {
  const root = tmp();
  try {
    await makeLfwTree(root, PEOPLE);
    makeProtocol(root, PEOPLE);
    const stampFile = join(root, "cache", "verified.json");
    const opts = { progress: false, log: () => {}, stampFile };
    const first = await setupLfw(root, presentSources(), opts);
    equal(first.index.nImages, 6);
    const paths = lfwImageList(first.index).map((i) => i.path);
    deepEqual(
      await verifyImages(root, paths, opts),
      { bad: [], decoded: 0 },
      "unchanged images are not decoded again",
    );

    const bad = join(root, "lfw-deepfunneled/Ann_A/Ann_A_0002.jpg");
    scramble(bad);
    // Damaged entropy-coded data is only a libjpeg warning: the old `failOn: "error"` decode passed it.
    await sharp(readFileSync(bad), { failOn: "error" }).raw().toBuffer();
    utimesSync(bad, new Date(), new Date()); // a real corruption changes the mtime
    const err = await message(setupLfw(root, presentSources(), opts));
    ok(
      err.startsWith(`${bad}: does not decode (`) &&
        err.endsWith(
          "; run `deno task setup -- --repair` to restore it " +
            "from the LFW archive (re-extracts only the bad images)",
        ),
      err,
    );
    ok(!err.includes("\n"), "one line");
    const again = await verifyImages(root, paths, opts);
    equal(again.decoded, 1, "only the changed image is decoded again");
    deepEqual(again.bad.map((b) => b.path), ["lfw-deepfunneled/Ann_A/Ann_A_0002.jpg"]);

    // The cache build names the file and the fix too (one line), instead of a decoder message alone.
    const build = await message(
      loadLfwFaces({ root, cacheDir: join(root, "c"), progress: false, log: () => {} }),
    );
    ok(
      build.startsWith(`cannot read image ${bad}: `) &&
        build.endsWith(
          "; run `deno task setup -- --repair` to restore it from the LFW archive " +
            "(re-extracts only the bad images)",
        ) && !build.includes("\n"),
      build,
    );
  } finally {
    rmSync(root, { recursive: true });
  }
});

Deno.test("a PNG named .jpg is rejected naming the file, by setup and by preprocessing", async () => {
  const root = tmp();
  try {
    await makeLfwTree(root, PEOPLE);
    makeProtocol(root, PEOPLE);
    const png = join(root, "lfw-deepfunneled/Cy_C/Cy_C_0002.jpg");
    await sharp(syntheticRgb(9), { raw: { width: 250, height: 250, channels: 3 } }).png().toFile(png);
    // sharp itself reads it happily: only the content check catches it.
    equal((await sharp(png).metadata()).format, "png");
    const expected = `${png}: named .jpg but holds PNG data`;
    equal(await message(checkImageFile(png)), expected);
    await rejects(preprocessImage(png, { size: 8, crop: 1 }), (e: Error) => e.message === expected);
    const err = await message(
      setupLfw(root, presentSources(), { progress: false, log: () => {}, stampFile: null }),
    );
    ok(err.startsWith(`${expected}; run \`deno task setup -- --repair\``), err);
    writeFileSync(png, "");
    equal(await message(checkImageFile(png)), `${png}: empty file`);
  } finally {
    rmSync(root, { recursive: true });
  }
});

Deno.test("a deleted image is named with the fix, not only as a count mismatch", async () => {
  const root = tmp();
  try {
    await makeLfwTree(root, PEOPLE);
    makeProtocol(root, PEOPLE);
    rmSync(join(root, "lfw-deepfunneled/Ann_A/Ann_A_0002.jpg"));
    equal(
      await message(() => verifyLfw(root)),
      `${join(root, "lfw-protocol/lfw-names.txt")}:1: Ann_A has 3 images here but 2 in the image folder: ` +
        `${join(root, "lfw-deepfunneled/Ann_A/Ann_A_0002.jpg")} is missing; ` +
        "run `deno task setup -- --repair` to restore it from the LFW archive (re-extracts only the bad images)",
    );
    const ann = join(root, "lfw-deepfunneled/Ann_A");
    writeFileSync(join(ann, "Ann_A_0002.jpg"), readFileSync(join(ann, "Ann_A_0001.jpg")));
    // A person's only image deleted: the folder is empty.
    rmSync(join(root, "lfw-deepfunneled/Bo_B/Bo_B_0001.jpg"));
    ok(
      /Bo_B: person folder holds no images; run `deno task setup -- --repair`/.test(
        await message(() => readLfwIndex(root)),
      ),
    );
    rmSync(join(root, "lfw-deepfunneled/Bo_B"), { recursive: true });
    ok(
      (await message(() => verifyLfw(root))).includes(
        `Bo_B has no folder in ${join(root, "lfw-deepfunneled")}; run \`deno task setup -- --repair\``,
      ),
    );
    // An image beyond the listed count is named as not belonging.
    writeFileSync(
      join(root, "lfw-deepfunneled/Cy_C/Cy_C_0003.jpg"),
      readFileSync(join(root, "lfw-deepfunneled/Cy_C/Cy_C_0001.jpg")),
    );
    const names = join(root, "lfw-protocol/lfw-names.txt");
    writeFileSync(names, "Ann_A\t3\nCy_C\t2\n");
    ok(
      (await message(() => verifyLfw(root))).includes(
        "Cy_C_0003.jpg is not an LFW image; move it out of the data root",
      ),
    );
  } finally {
    rmSync(root, { recursive: true });
  }
});

Deno.test("a data root one level too deep is refused before anything is downloaded or created", async () => {
  const root = tmp();
  try {
    await makeLfwTree(root, PEOPLE);
    const images = join(root, "lfw-deepfunneled");
    const hint = (parent: string) => `; set FACENET_DATA=${parent} and run setup again`;
    for (
      const [dir, what, parent] of [
        [images, "the LFW image folder itself", root],
        [join(images, "Ann_A"), "a folder of images (it holds Ann_A_0001.jpg)", root],
      ]
    ) {
      const before = readdirSync(dir).sort();
      const err = await message(ensureSources(dir, presentSources(), { progress: false, log: () => {} }));
      ok(
        err.startsWith(`data root ${dir} is ${what}, not the folder that holds`) &&
          err.endsWith(hint(parent)),
        err,
      );
      deepEqual(readdirSync(dir).sort(), before, "nothing written");
    }
    // Loading (not setup) with the same mistake says the same.
    equal(
      await message(() => readLfwIndex(images)),
      `LFW folder not found: ${
        join(images, "lfw-deepfunneled")
      }; the data root ${images} is the image folder ` +
        `itself, set FACENET_DATA=${root}`,
    );
    // The image folder under another name is recognised by its person folders.
    const renamed = join(root, "images");
    Deno.renameSync(images, renamed);
    ok(
      (await message(() => checkDataRoot(renamed))).includes(
        `is an LFW image folder (it holds person folders such as Ann_A/)`,
      ),
    );
    // An empty folder or a proper root is fine.
    mkdirSync(join(root, "empty"));
    checkDataRoot(join(root, "empty"));
    Deno.renameSync(renamed, images);
    checkDataRoot(root);
  } finally {
    rmSync(root, { recursive: true });
  }
});

Deno.test("a cache damaged in place (same size, same mtime) is caught by its checksum and rebuilt", async () => {
  const root = tmp();
  try {
    await makeLfwTree(root, PEOPLE);
    const logs: string[] = [];
    const opts = { root, cacheDir: join(root, "c"), progress: false, log: (s: string) => logs.push(s) };
    const built = await loadLfwFaces(opts);
    const good = built.pixels.slice();
    const file = built.cacheFiles.pixels;
    const st = statSync(file);
    const b = readFileSync(file);
    b[1234] ^= 0xff;
    writeFileSync(file, b);
    utimesSync(file, st.atime, st.mtime);
    equal(statSync(file).size, st.size);
    const loaded = await loadLfwFaces(opts);
    equal(loaded.fromCache, false);
    ok(logs.at(-1)!.endsWith("(pixel file damaged (checksum mismatch))"), String(logs.at(-1)));
    deepEqual(loaded.pixels, good);
    equal((await loadLfwFaces(opts)).fromCache, true);
    // A manifest from before checksums is rebuilt, not trusted.
    const m = JSON.parse(readFileSync(built.cacheFiles.manifest, "utf8"));
    delete m.pixelSha256;
    writeFileSync(built.cacheFiles.manifest, JSON.stringify(m));
    equal((await loadLfwFaces(opts)).fromCache, false);
    ok(logs.at(-1)!.endsWith("(cache has no checksum (built by an older version))"), String(logs.at(-1)));
  } finally {
    rmSync(root, { recursive: true });
  }
});

async function runSetup(env: Record<string, string>, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(import.meta.dirname!, "../../scripts/setup.ts"), ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("scripts/setup.ts ends with its one-line message, not a stack trace", async () => {
  const root = tmp();
  try {
    await makeLfwTree(root, { Ann_A: 1 });
    const images = join(root, "lfw-deepfunneled");
    const env = {
      FACENET_DATA: images,
      FACENET_CACHE: join(root, "cache"),
      FACENET_LFW_URL: "http://127.0.0.1:1/",
    };
    const r = await runSetup(env);
    equal(r.code, 1);
    equal(
      r.stderr,
      `setup failed: data root ${images} is the LFW image folder itself, not the folder that holds lfw-deepfunneled/ ` +
        `and lfw-protocol/; set FACENET_DATA=${root} and run setup again\n`,
    );
    ok(!existsSync(join(images, "lfw-deepfunneled.tgz.part")));
    const u = await runSetup(env, "--bogus");
    equal(u.code, 2);
    equal(u.stderr, "unknown argument --bogus\nusage: deno task setup [-- --repair] [--cache]\n");
  } finally {
    rmSync(root, { recursive: true });
  }
});
