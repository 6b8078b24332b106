import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAttFaces, readAttIndex } from "../../lib/data/att.ts";
import { deepEqual, equal, hasSharedData, SHARED_DATA, throws } from "../assert.ts";

function pgm(w: number, h: number, value: (x: number, y: number) => number): Uint8Array {
  const head = new TextEncoder().encode(`P5\n${w} ${h}\n255\n`);
  const out = new Uint8Array(head.length + w * h);
  out.set(head);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[head.length + y * w + x] = value(x, y);
  return out;
}

Deno.test("AT&T index orders subjects numerically; faces load through the cache with the right pixels", async () => {
  const root = mkdtempSync(join(tmpdir(), "att-"));
  try {
    // s10 before s2 in string order: the index must sort numerically.
    for (const s of [2, 10]) {
      mkdirSync(join(root, "att_faces", `s${s}`), { recursive: true });
      for (const n of [1, 2]) {
        // 8×12 image, rows 0-1 and 10-11 black, central 8×8 flat at 10·s + n.
        writeFileSync(
          join(root, "att_faces", `s${s}`, `${n}.pgm`),
          pgm(8, 12, (_x, y) => (y < 2 || y >= 10 ? 0 : 10 * s + n)),
        );
      }
    }
    writeFileSync(join(root, "att_faces", "README"), "orl");
    const idx = readAttIndex(root);
    deepEqual(idx.people.map((p) => p.name), ["s2", "s10"]);
    equal(idx.nImages, 4);
    const faces = await loadAttFaces({
      root,
      cacheDir: join(root, "cache"),
      progress: false,
      log: () => {},
      settings: { size: 8, crop: 1 },
    });
    deepEqual(faces.classNames, ["s2", "s10"]);
    deepEqual([...faces.labels], [0, 0, 1, 1]);
    // crop 1 keeps the central 8×8 (the black rows fall outside), so each image is flat.
    for (const [i, v] of [21, 22, 101, 102].entries()) {
      deepEqual([...faces.pixels.subarray(i * 64, (i + 1) * 64)], Array(64).fill(v));
    }
    writeFileSync(join(root, "att_faces", "s2", "x.png"), "");
    throws(() => readAttIndex(root), /s2\/x\.png: expected images named N\.pgm/);
  } finally {
    rmSync(root, { recursive: true });
  }
});

Deno.test({
  name: "AT&T faces: 40 subjects × 10 images (shared data)",
  ignore: !hasSharedData() || !existsSync(join(SHARED_DATA, "att_faces")),
  fn() {
    const idx = readAttIndex(SHARED_DATA);
    equal(idx.people.length, 40);
    equal(idx.nImages, 400);
    equal(idx.people[39].name, "s40");
  },
});
