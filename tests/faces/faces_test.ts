import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { assertClose, deepEqual, equal, hasSharedData, match, ok, rejects, SHARED_DATA } from "../assert.ts";
import {
  type Box,
  composeGroupPhoto,
  cropFace,
  cropWindow,
  defaultUnseenPeople,
  detectFaces,
  faceModelDir,
  iou,
  LFW_REFERENCE,
  type LfwReference,
  listPeoplePhotos,
  loadOwnFaces,
  memberAt,
  ownGroupPhotos,
  readImage,
  type RgbImage,
  sampleWindow,
  trainingWindow,
  windowFromBox,
  windowFromEyes,
} from "../../lib/faces/mod.ts";
import { LFW_PREPROCESS, preprocessImage } from "../../lib/data/preprocess.ts";

/** A test image whose pixel (x, y) has value f(x, y) in all three channels. */
function grayRgb(width: number, height: number, f: (x: number, y: number) => number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.fill(f(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return { data, width, height };
}

function region(img: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let r = 0; r < height; r++) {
    data.set(
      img.data.subarray(((top + r) * img.width + left) * 3, ((top + r) * img.width + left + width) * 3),
      r * width * 3,
    );
  }
  return { data, width, height };
}

async function pngOf(img: RgbImage): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer(),
  );
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ma = 0, mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i] / a.length;
    mb += b[i] / b.length;
  }
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

// face-api ships demo photos beside its models; sample1.jpg holds three people, and these regions
// (picked by eye) each hold one of them with room around the face.
const SAMPLE = join(faceModelDir(), "..", "demo", "sample1.jpg");
const SAMPLE_PEOPLE = [
  { name: "left", left: 300, top: 255 },
  { name: "middle", left: 730, top: 315 },
  { name: "right", left: 1380, top: 100 },
];
const SAMPLE_W = 400, SAMPLE_H = 440;

Deno.test("readImage decodes a binary PGM like the PNG of the same pixels", async () => {
  const w = 5, h = 3;
  const gray = Array.from({ length: w * h }, (_, i) => (i * 37) % 256);
  const header = new TextEncoder().encode(`P5\n# made by a test\n${w} ${h}\n255\n`);
  const pgm = new Uint8Array([...header, ...gray]);
  const fromPgm = await readImage(pgm);
  const fromPng = await readImage(await pngOf(grayRgb(w, h, (x, y) => gray[y * w + x])));
  equal(fromPgm.width, w);
  equal(fromPgm.height, h);
  deepEqual(fromPgm, fromPng);
  equal(fromPgm.data[3 * 7 + 1], gray[7]);
  await rejects(readImage(new Uint8Array([0x50, 0x35, 0x0a, 0x35])), /PGM/);
  await rejects(readImage(new TextEncoder().encode("not an image")), /cannot decode image/);
});

Deno.test("sampleWindow copies an axis-aligned whole-pixel window exactly, repeating edges outside", () => {
  const img = grayRgb(7, 5, (x, y) => 10 * y + x);
  // Window centred at (1.5, 1.5) with side 5 spans −1…4 in both directions: pixels −1…3, the first outside.
  const win = sampleWindow(img, { cx: 1.5, cy: 1.5, side: 5, angle: 0 });
  equal(win.width, 5);
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 5; j++) {
      const x = Math.min(Math.max(j - 1, 0), 6), y = Math.min(Math.max(i - 1, 0), 4);
      equal(win.data[(i * 5 + j) * 3], 10 * y + x, `pixel (${i}, ${j})`);
    }
  }
});

Deno.test("sampleWindow with a quarter turn reads rows of the photo as columns", () => {
  const img = grayRgb(10, 10, (x, y) => 10 * y + x);
  // Centre (5, 5), side 4, angle π/2: window point (u, v) → photo (5 − v, 5 + u), so result pixel
  // (i, j) is the photo pixel at column 6 − i, row 3 + j (worked out by hand with u, v = ±0.5, ±1.5).
  const win = sampleWindow(img, { cx: 5, cy: 5, side: 4, angle: Math.PI / 2 });
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      equal(win.data[(i * 4 + j) * 3], 10 * (3 + j) + (6 - i), `pixel (${i}, ${j})`);
    }
  }
});

Deno.test("crop windows: hand-worked box and eye framings", () => {
  const ref: LfwReference = {
    frame: 250,
    centreInBoxX: 0.5,
    centreInBoxY: 0.5,
    boxSize: 100,
    eyeMidX: 125,
    eyeMidY: 110,
    eyeDistance: 40,
    n: 1,
  };
  // Training keeps the central 125 px of 250 starting at floor(62.5) = 62: centre 124.5.
  deepEqual(trainingWindow(LFW_PREPROCESS, 250), { cx: 124.5, cy: 124.5, side: 125, angle: 0 });
  // Box twice the reference size, centred at (200, 300): scale 2, centre offset (−0.5, −0.5)·2.
  const b = windowFromBox({ x: 100, y: 200, width: 200, height: 200 }, { reference: ref });
  deepEqual(b, { cx: 199, cy: 299, side: 250, angle: 0 });
  // Eyes 80 px apart, the right one straight below the left (head turned a quarter): scale 2,
  // offset from the eye midpoint (−0.5, 14.5)·2 = (−1, 29), turned by π/2 → (−29, −1).
  const e = windowFromEyes({ x: 100, y: 100 }, { x: 100, y: 180 }, { reference: ref });
  assertClose(e.cx, 100 - 29, 1e-9, "cx");
  assertClose(e.cy, 140 - 1, 1e-9, "cy");
  assertClose(e.side, 250, 1e-9, "side");
  assertClose(e.angle, Math.PI / 2, 1e-12, "angle");
  // On the measured reference itself, the median box and median eyes give back the training window.
  const r = LFW_REFERENCE, t = trainingWindow();
  const medianBox: Box = {
    x: 125 - r.centreInBoxX * r.boxSize,
    y: 125 - r.centreInBoxY * r.boxSize,
    width: r.boxSize,
    height: r.boxSize,
  };
  const wb = windowFromBox(medianBox);
  const we = windowFromEyes(
    { x: r.eyeMidX - r.eyeDistance / 2, y: r.eyeMidY },
    { x: r.eyeMidX + r.eyeDistance / 2, y: r.eyeMidY },
  );
  for (const w of [wb, we]) {
    assertClose(w.cx, t.cx, 1e-9, "cx");
    assertClose(w.cy, t.cy, 1e-9, "cy");
    assertClose(w.side, t.side, 1e-9, "side");
  }
});

Deno.test("cropWindow: exact copy at the output size, a local average when shrinking", async () => {
  const img = grayRgb(300, 300, (x, y) => (x * 7 + y * 3) % 256);
  const same = await cropWindow(img, { cx: 150, cy: 140, side: 96, angle: 0 }, 96);
  for (let i = 0; i < 96; i++) {
    for (let j = 0; j < 96; j++) equal(same[i * 96 + j], ((102 + j) * 7 + (92 + i) * 3) % 256);
  }
  // A smooth ramp shrunk 2×: output pixel (i, j) covers source pixels 2i…2i+1, 2j…2j+1 of the window.
  const ramp = grayRgb(300, 300, (x, y) => Math.round((x + y) / 3));
  const half = await cropWindow(ramp, { cx: 150, cy: 150, side: 192, angle: 0 }, 96);
  for (let i = 8; i < 88; i += 9) {
    for (let j = 8; j < 88; j += 9) {
      const expect = (54 + 2 * j + 0.5 + 54 + 2 * i + 0.5) / 3;
      ok(Math.abs(half[i * 96 + j] - expect) <= 1.5, `(${i}, ${j}): ${half[i * 96 + j]} vs ${expect}`);
    }
  }
});

Deno.test("iou and memberAt: hand-worked", async () => {
  assertClose(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 10, height: 10 }), 50 / 150);
  equal(iou({ x: 0, y: 0, width: 1, height: 1 }, { x: 2, y: 2, width: 1, height: 1 }), 0);
  const a = grayRgb(20, 10, () => 200), b = grayRgb(10, 20, () => 50);
  const g = await composeGroupPhoto([{ name: "A", image: a }, { name: "B", image: b }], {
    height: 40,
    gap: 5,
  });
  deepEqual(g.members, [
    { name: "A", tile: { x: 5, y: 5, width: 80, height: 40 } },
    { name: "B", tile: { x: 90, y: 5, width: 20, height: 40 } },
  ]);
  equal(g.image.width, 115);
  equal(g.image.height, 50);
  const at = (x: number, y: number) => g.image.data[(y * g.image.width + x) * 3];
  equal(at(40, 25), 200);
  equal(at(100, 25), 50);
  equal(at(87, 25), 128);
  equal(memberAt(g, { x: 30, y: 10, width: 20, height: 20 }), "A");
  equal(memberAt(g, { x: 95, y: 10, width: 10, height: 20 }), "B");
  equal(memberAt(g, { x: 80, y: 10, width: 12, height: 20 }), undefined);
});

Deno.test("detectFaces finds each face of a composed group photo where it was placed", async () => {
  const sample = await readImage(SAMPLE);
  const singles = SAMPLE_PEOPLE.map((p) => ({
    name: p.name,
    image: region(sample, p.left, p.top, SAMPLE_W, SAMPLE_H),
  }));
  // Reference: each person's face detected alone, moved to where the composition puts that photo.
  const alone: Box[] = [];
  for (const s of singles) {
    const faces = await detectFaces(s.image);
    equal(faces.length, 1, `${s.name}: one face alone`);
    const b = faces[0].box;
    ok(
      b.x > 50 && b.x + b.width < SAMPLE_W - 50 && b.y > 50 && b.y + b.height < SAMPLE_H - 50,
      `${s.name}: face inside`,
    );
    alone.push(b);
  }
  const height = 300, scale = height / SAMPLE_H;
  const group = await composeGroupPhoto(singles, { height });
  const faces = await detectFaces(group.image, { landmarks: true });
  equal(faces.length, 3);
  group.members.forEach((m, i) => {
    const truth = {
      x: m.tile.x + alone[i].x * scale,
      y: m.tile.y + alone[i].y * scale,
      width: alone[i].width * scale,
      height: alone[i].height * scale,
    };
    const best = Math.max(...faces.map((f) => iou(f.box, truth)));
    ok(best > 0.5, `${m.name}: best IoU ${best.toFixed(2)}`);
    const hit = faces.find((f) => iou(f.box, truth) === best)!;
    equal(memberAt(group, hit.box), m.name);
    equal(hit.landmarks?.length, 68);
  });
});

Deno.test("loadOwnFaces reads data/own/<Name>/*, skips photos without a face, names unreadable files", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "own_faces_" });
  try {
    const sample = await readImage(SAMPLE);
    const [p0, p1] = SAMPLE_PEOPLE;
    mkdirSync(join(dir, "Ann"));
    mkdirSync(join(dir, "Bob"));
    mkdirSync(join(dir, "Cy"));
    writeFileSync(
      join(dir, "Ann", "1.png"),
      await pngOf(region(sample, p0.left, p0.top, SAMPLE_W, SAMPLE_H)),
    );
    writeFileSync(
      join(dir, "Ann", "2.JPG"),
      await sharp(await pngOf(region(sample, p0.left + 20, p0.top, 360, 400))).jpeg().toBuffer(),
    );
    writeFileSync(
      join(dir, "Bob", "a.png"),
      await pngOf(region(sample, p1.left, p1.top, SAMPLE_W, SAMPLE_H)),
    );
    writeFileSync(join(dir, "Bob", "notes.txt"), "not a photo");
    writeFileSync(join(dir, "Cy", "wall.png"), await pngOf(grayRgb(200, 200, () => 90)));
    writeFileSync(join(dir, "README.md"), "top-level files are not people");
    mkdirSync(join(dir, "_group"));
    writeFileSync(join(dir, "_group", "party.png"), await pngOf(sample));
    deepEqual(ownGroupPhotos(dir), [join(dir, "_group", "party.png")]);
    deepEqual(listPeoplePhotos(dir).map((p) => [p.name, p.files.map((f) => f.slice(dir.length + 1))]), [
      ["Ann", ["Ann/1.png", "Ann/2.JPG"]],
      ["Bob", ["Bob/a.png"]],
      ["Cy", ["Cy/wall.png"]],
    ]);
    const own = await loadOwnFaces(dir);
    equal(own.n, 3);
    deepEqual(own.classNames, ["Ann", "Bob"]);
    deepEqual([...own.labels], [0, 0, 1]);
    deepEqual(own.paths, ["Ann/1.png", "Ann/2.JPG", "Bob/a.png"]);
    deepEqual(own.skipped, [{ path: "Cy/wall.png", reason: "no face found" }]);
    equal(own.pixels.length, 3 * 96 * 96);
    // The two crops of Ann's face (from differently cut photos) agree far better than Ann and Bob.
    const crop = (i: number) => own.pixels.subarray(i * 96 * 96, (i + 1) * 96 * 96);
    const same = correlation(crop(0), crop(1)), other = correlation(crop(0), crop(2));
    ok(same > 0.9 && same > other + 0.1, `same ${same.toFixed(3)}, other ${other.toFixed(3)}`);

    writeFileSync(join(dir, "Bob", "broken.jpg"), new Uint8Array([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]));
    await rejects(loadOwnFaces(dir), (e: Error) => {
      match(e.message, /Bob\/broken\.jpg/);
      return true;
    });
    await rejects(loadOwnFaces(join(dir, "nobody")), /no photos in .*nobody/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name: "LFW: the crop of a detected face reproduces the training crop",
  ignore: !hasSharedData(),
  fn: async () => {
    const lfw = join(SHARED_DATA, "lfw-deepfunneled");
    for (const name of ["Aaron_Eckhart", "Gloria_Macapagal_Arroyo", "Tony_Blair"]) {
      const file = join(lfw, name, `${name}_0001.jpg`);
      const faces = await detectFaces(file, { landmarks: true });
      ok(faces.length >= 1, `${name}: a face`);
      const face = faces[0];
      const training = await preprocessImage(file, LFW_PREPROCESS);
      const crop = await cropFace(file, face);
      const shifted = await cropFace(file, {
        ...face,
        landmarks: face.landmarks!.map((p) => ({ x: p.x + 12, y: p.y })),
      });
      const c = correlation(crop, training), s = correlation(shifted, training);
      ok(c > 0.85 && c > s, `${name}: correlation ${c.toFixed(3)} (shifted 12 px: ${s.toFixed(3)})`);
    }
  },
});

Deno.test({
  name: "default unseen people: AT&T/ORL subjects and LFW people with exactly 2 images",
  ignore: !hasSharedData(),
  fn: async () => {
    const att = defaultUnseenPeople(SHARED_DATA, { people: 3 });
    deepEqual(att.people.map((p) => p.name), ["ORL s1", "ORL s2", "ORL s3"]);
    for (const p of att.people) equal(p.files.length, 10);
    match(att.description, /AT&T\/ORL/);
    // The SSD needs context around these tight crops; detectFaces supplies it by padding.
    const faces = await detectFaces(att.people[0].files[0]);
    equal(faces.length, 1);
    const b = faces[0].box;
    ok(b.x > -10 && b.y > -10 && b.x + b.width < 102 && b.y + b.height < 122, `box ${JSON.stringify(b)}`);

    const two = defaultUnseenPeople(SHARED_DATA, { source: "lfw2", people: 4 });
    equal(two.people.length, 4);
    for (const p of two.people) {
      equal(
        readdirSync(join(SHARED_DATA, "lfw-deepfunneled", p.name)).filter((f) => f.endsWith(".jpg")).length,
        2,
      );
      equal(p.files.length, 2);
    }
  },
});
