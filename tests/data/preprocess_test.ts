import { existsSync, mkdtempSync, rmSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { parsePgm } from "../../lib/data/pgm.ts";
import { loadLfwFaces, loadOrBuildFaces, preprocessImage } from "../../lib/data/preprocess.ts";
import { deepEqual, equal, ok, rejects, throws } from "../assert.ts";
import { makeLfwTree } from "./fixtures.ts";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "facenet-pre-"));
}

async function png(file: string, rgb: Uint8Array, w: number, h: number): Promise<void> {
  await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
}

/** sRGB → linear, Rec. 709 luminance, → sRGB: the independent expectation of the grayscale step. */
function srgbLuma(r: number, g: number, b: number): number {
  const lin = (v: number) => (v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  const y = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const s = y <= 0.0031308 ? 12.92 * y : 1.055 * y ** (1 / 2.4) - 0.055;
  return s * 255;
}

Deno.test("preprocessImage: central crop at output size is the grayscale of exactly those pixels", async () => {
  const dir = tmp();
  try {
    const W = 192, H = 192;
    const rgb = new Uint8Array(W * H * 3);
    let s = 7;
    for (let i = 0; i < rgb.length; i++) rgb[i] = (s = (s * 1103515245 + 12345) % 2 ** 31) >> 23;
    await png(join(dir, "a.png"), rgb, W, H);
    // crop 0.5 of 192 = 96 px starting at (48, 48): no resampling, only the colour conversion.
    const out = await preprocessImage(join(dir, "a.png"), { size: 96, crop: 0.5 });
    equal(out.length, 96 * 96);
    let maxErr = 0;
    for (let y = 0; y < 96; y++) {
      for (let x = 0; x < 96; x++) {
        const o = ((y + 48) * W + (x + 48)) * 3;
        maxErr = Math.max(maxErr, Math.abs(out[y * 96 + x] - srgbLuma(rgb[o], rgb[o + 1], rgb[o + 2])));
      }
    }
    ok(maxErr <= 1, `max |error| ${maxErr} > 1 grey level`);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

Deno.test("preprocessImage: crop keeps the centre of non-square images; neutral grey is unchanged", async () => {
  const dir = tmp();
  try {
    // 300×200: black 50-px bands left and right, a 200×200 middle of grey 180 with a white 100×100 centre.
    const W = 300, H = 200;
    const rgb = new Uint8Array(W * H * 3);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = x < 50 || x >= 250 ? 0 : (x >= 100 && x < 200 && y >= 50 && y < 150 ? 255 : 180);
        rgb.fill(v, (y * W + x) * 3, (y * W + x) * 3 + 3);
      }
    }
    await png(join(dir, "b.png"), rgb, W, H);
    // crop 1: the central 200×200 (no black), resized to 40×40: grey 180 ring, white centre.
    const full = await preprocessImage(join(dir, "b.png"), { size: 40, crop: 1 });
    // No trace of the black bands (the resampling kernel rings by a level or two at the white edge).
    ok(Math.min(...full) >= 170, `min ${Math.min(...full)}: the black bands leaked in`);
    equal(full[0], 180);
    equal(full[39 * 40 + 39], 180);
    equal(full[20 * 40 + 20], 255);
    const white = full.filter((v) => v === 255).length;
    ok(white >= 18 * 18 && white <= 20 * 20, `${white} white pixels, expected about 20×20`);
    // crop 0.5: the central 100×100, all white.
    const centre = await preprocessImage(join(dir, "b.png"), { size: 40, crop: 0.5 });
    ok(centre.every((v) => v === 255));
    await rejects(preprocessImage(join(dir, "b.png"), { size: 40, crop: 0 }), /crop must be in \(0, 1\]/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

Deno.test("parsePgm reads binary PGM, and preprocessImage accepts it", async () => {
  const dir = tmp();
  try {
    const px = Uint8Array.from({ length: 6 * 4 }, (_, i) => i * 10);
    const head = new TextEncoder().encode("P5\n# a comment\n6 4\n255\n");
    const bytes = new Uint8Array(head.length + px.length);
    bytes.set(head);
    bytes.set(px, head.length);
    const g = parsePgm(bytes, "x.pgm");
    deepEqual([g.width, g.height], [6, 4]);
    deepEqual([...g.pixels], [...px]);
    throws(() => parsePgm(bytes.subarray(0, bytes.length - 1), "x.pgm"), /x\.pgm: truncated PGM/);
    throws(() => parsePgm(new TextEncoder().encode("P2\n1 1\n255\n0"), "y.pgm"), /y\.pgm: not a binary PGM/);
    writeFileSync(join(dir, "x.pgm"), bytes);
    // crop 1 of 6×4 → central 4×4 (columns 1…4), kept at 4×4: the raw pixels themselves.
    const out = await preprocessImage(join(dir, "x.pgm"), { size: 4, crop: 1 });
    const want = [];
    for (let y = 0; y < 4; y++) for (let x = 1; x < 5; x++) want.push(px[y * 6 + x]);
    deepEqual([...out], want);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

const PEOPLE = { Ann_A: 3, Bo_B: 1, Cy_C: 2 };

/** A fixture LFW tree of PEOPLE in a temp root, and loadLfwFaces options that cache in it and log to `logs`. */
async function lfwFixture() {
  const root = tmp();
  const cacheDir = join(root, "cache");
  const logs: string[] = [];
  const opts = { root, cacheDir, progress: false, log: (s: string) => logs.push(s) };
  try {
    await makeLfwTree(root, PEOPLE);
  } catch (e) {
    rmSync(root, { recursive: true });
    throw e;
  }
  return { root, cacheDir, logs, opts };
}

Deno.test("loadLfwFaces builds the cache once, reloads it, and rebuilds when an input or setting changes", async () => {
  const { root, logs, opts } = await lfwFixture();
  try {
    const a = await loadLfwFaces(opts);
    equal(a.fromCache, false);
    equal(a.n, 6);
    deepEqual([a.height, a.width], [96, 96]);
    deepEqual(a.classNames, ["Ann_A", "Bo_B", "Cy_C"]);
    deepEqual([...a.labels], [0, 0, 0, 1, 2, 2]);
    equal(a.paths[3], "lfw-deepfunneled/Bo_B/Bo_B_0001.jpg");
    for (let i = 0; i < a.n; i++) {
      const one = await preprocessImage(join(root, a.paths[i]), { size: 96, crop: 0.5 });
      deepEqual(a.pixels.subarray(i * 9216, (i + 1) * 9216), one, `image ${i}`);
    }
    ok(existsSync(a.cacheFiles.pixels) && existsSync(a.cacheFiles.manifest));
    ok(!existsSync(`${a.cacheFiles.pixels}.tmp`));

    const b = await loadLfwFaces(opts);
    equal(b.fromCache, true);
    deepEqual(b.pixels, a.pixels);
    deepEqual(b.labels, a.labels);
    equal(logs.length, 1);

    // Touch one file: same bytes, new mtime → rebuilt.
    const f = join(root, "lfw-deepfunneled/Cy_C/Cy_C_0002.jpg");
    utimesSync(f, new Date(2001, 1, 1), new Date(2001, 1, 1));
    const c = await loadLfwFaces(opts);
    equal(c.fromCache, false);
    ok(/Cy_C_0002\.jpg changed on disk/.test(logs.at(-1)!), logs.at(-1)!);
    deepEqual(c.pixels, a.pixels);

    // Replace its content with another image → rebuilt with the new pixels.
    await sharp({ create: { width: 250, height: 250, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .jpeg().toFile(f);
    const d = await loadLfwFaces(opts);
    equal(d.fromCache, false);
    ok(d.pixels.subarray(5 * 9216).every((v) => Math.abs(v - 128) <= 1));
    deepEqual(d.pixels.subarray(0, 5 * 9216), a.pixels.subarray(0, 5 * 9216));

    // A new person → rebuilt; a truncated pixel file → rebuilt.
    await makeLfwTree(root, { Dee_D: 2 });
    const e = await loadLfwFaces(opts);
    equal(e.fromCache, false);
    equal(e.n, 8);
    truncateSync(e.cacheFiles.pixels, 100);
    equal((await loadLfwFaces(opts)).fromCache, false);
    equal((await loadLfwFaces(opts)).fromCache, true);

    // Other settings → a different cache, built separately; the first one stays valid.
    const g = await loadLfwFaces({ ...opts, settings: { size: 32, crop: 1 } });
    equal(g.fromCache, false);
    deepEqual([g.height, g.width, g.pixels.length], [32, 32, 8 * 32 * 32]);
    equal((await loadLfwFaces(opts)).fromCache, true);

    // minImages subset: people with >= 2 images, labels dense in name order.
    const h = await loadLfwFaces({ ...opts, minImages: 2 });
    deepEqual(h.classNames, ["Ann_A", "Cy_C", "Dee_D"]);
    deepEqual([...h.labels], [0, 0, 0, 1, 1, 2, 2]);
    deepEqual(h.pixels.subarray(3 * 9216, 5 * 9216), e.pixels.subarray(4 * 9216, 6 * 9216));
  } finally {
    rmSync(root, { recursive: true });
  }
});

Deno.test("an unreadable image is an error naming it, or a counted skip — never a silent hole", async () => {
  const { root, cacheDir, logs, opts } = await lfwFixture();
  try {
    writeFileSync(join(root, "lfw-deepfunneled/Bo_B/Bo_B_0001.jpg"), "this is not a JPEG");
    await rejects(loadLfwFaces(opts), /cannot read image .*Bo_B_0001\.jpg/);
    ok(!existsSync(cacheDir) || Deno.readDirSync(cacheDir).next().done, "nothing cached after a failure");

    const s = await loadLfwFaces({ ...opts, onError: "skip" });
    equal(s.n, 5);
    deepEqual(s.skipped.map((x) => x.path), ["lfw-deepfunneled/Bo_B/Bo_B_0001.jpg"]);
    deepEqual(s.classNames, ["Ann_A", "Cy_C"]); // Bo_B lost his only image
    deepEqual([...s.labels], [0, 0, 0, 1, 1]);
    ok(logs.some((l) => /skipped 1 unreadable image\(s\): lfw-deepfunneled\/Bo_B\/Bo_B_0001\.jpg/.test(l)));
    const again = await loadLfwFaces({ ...opts, onError: "skip" });
    equal(again.fromCache, true);
    deepEqual(again.skipped, s.skipped);
  } finally {
    rmSync(root, { recursive: true });
  }
});

Deno.test("loadOrBuildFaces keeps class order for items in any order and drops classes without images", async () => {
  const root = tmp();
  try {
    await makeLfwTree(root, { Ann_A: 2, Bo_B: 1 });
    const items = [
      { path: "lfw-deepfunneled/Bo_B/Bo_B_0001.jpg", label: 2 },
      { path: "lfw-deepfunneled/Ann_A/Ann_A_0002.jpg", label: 0 },
      { path: "lfw-deepfunneled/Ann_A/Ann_A_0001.jpg", label: 2 },
    ];
    const spec = { name: "t", root, items, classNames: ["x", "y", "z"], settings: { size: 16, crop: 1 } };
    const f = await loadOrBuildFaces(spec, { cacheDir: join(root, "c"), progress: false, log: () => {} });
    deepEqual(f.classNames, ["x", "z"]);
    deepEqual([...f.labels], [1, 0, 1]);
    deepEqual(f.paths, items.map((i) => i.path));
    deepEqual(
      f.pixels.subarray(16 * 16, 2 * 16 * 16),
      await preprocessImage(join(root, items[1].path), spec.settings),
    );
    await rejects(
      loadOrBuildFaces({ ...spec, classNames: ["x", "y"] }, { cacheDir: join(root, "c"), progress: false }),
      /Bo_B_0001\.jpg: label 2 outside 0…1/,
    );
  } finally {
    rmSync(root, { recursive: true });
  }
});
