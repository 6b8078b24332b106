import { assertAllClose, deepEqual, equal, notDeepEqual, ok } from "../assert.ts";
import {
  augmentBatch,
  type AugmentParams,
  IDENTITY,
  sampleAugmentParams,
  transformImage,
} from "../../lib/training/augment.ts";
import { Rng } from "../../lib/rng.ts";

const S = 9;
/** A 9×9 image with all-different pixel values. */
const img = Uint8Array.from({ length: S * S }, (_, i) => (i * 37) % 251);
const px = (y: number, x: number) => img[y * S + x] / 127.5 - 1;

function run(p: AugmentParams): Float32Array {
  const out = new Float32Array(S * S);
  transformImage(img, S, S, p, out);
  return out;
}

function expected(f: (y: number, x: number) => number): number[] {
  const out: number[] = [];
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) out.push(f(y, x));
  return out;
}

const clamp = (v: number) => Math.max(0, Math.min(S - 1, v));

Deno.test("identity transform only scales pixels to v/127.5 − 1", () => {
  assertAllClose(run(IDENTITY), expected(px), 1e-6);
});

Deno.test("flip mirrors left–right", () => {
  assertAllClose(run({ ...IDENTITY, flip: true }), expected((y, x) => px(y, S - 1 - x)), 1e-6);
});

Deno.test("integer shifts move the image, borders repeat the nearest pixel", () => {
  const out = run({ ...IDENTITY, dx: 2, dy: -1 });
  assertAllClose(out, expected((y, x) => px(clamp(y + 1), clamp(x - 2))), 1e-5);
  // With a flip the shift is still to the right in the final image.
  const f = run({ ...IDENTITY, dx: 2, flip: true });
  assertAllClose(f, expected((y, x) => px(y, clamp(S - 1 - (x - 2)))), 1e-5);
});

Deno.test("a 90° rotation turns the image counter-clockwise on screen", () => {
  // Counter-clockwise: the top-right corner moves to the top-left, i.e. out[y][x] = in[x][S−1−y].
  assertAllClose(run({ ...IDENTITY, rotation: 90 }), expected((y, x) => px(x, S - 1 - y)), 1e-5);
});

Deno.test("zoom 1/2 about the centre magnifies with bilinear interpolation", () => {
  // Output (y, x) samples input at centre + (pos − centre)/2: half-pixel positions average neighbours.
  const c = (S - 1) / 2;
  const bil = (sy: number, sx: number) => {
    const y0 = Math.floor(sy), x0 = Math.floor(sx);
    const y1 = Math.min(y0 + 1, S - 1), x1 = Math.min(x0 + 1, S - 1);
    const fy = sy - y0, fx = sx - x0;
    return (1 - fy) * ((1 - fx) * px(y0, x0) + fx * px(y0, x1)) +
      fy * ((1 - fx) * px(y1, x0) + fx * px(y1, x1));
  };
  assertAllClose(
    run({ ...IDENTITY, zoom: 0.5 }),
    expected((y, x) => bil(c + (y - c) / 2, c + (x - c) / 2)),
    1e-5,
  );
});

Deno.test("augmentBatch is reproducible from the RNG, stays in range, and differs between draws", () => {
  const n = 4;
  const pixels = new Uint8Array(n * S * S);
  for (let i = 0; i < n; i++) pixels.set(img.map((v) => (v + 40 * i) % 256), i * S * S);
  const faces = { pixels, n, height: S, width: S };
  const a = augmentBatch(faces, [0, 3, 3], new Rng(1));
  const b = augmentBatch(faces, [0, 3, 3], new Rng(1));
  deepEqual(Array.from(a), Array.from(b));
  equal(a.length, 3 * S * S);
  ok(a.every((v) => v >= -1 && v <= 1));
  // The same image twice in a batch gets two different random transforms.
  notDeepEqual(Array.from(a.subarray(S * S, 2 * S * S)), Array.from(a.subarray(2 * S * S)));
  // With augmentation off the batch is just the scaled images.
  assertAllClose(
    augmentBatch(faces, [1], new Rng(1), false),
    Array.from(pixels.subarray(S * S, 2 * S * S), (v) => v / 127.5 - 1),
    1e-6,
  );
});

Deno.test("sampled parameters respect the ranges", () => {
  const rng = new Rng(3);
  let flips = 0;
  for (let i = 0; i < 2000; i++) {
    const p = sampleAugmentParams(rng, 96, { rotation: 10, shift: 0.1, zoom: 0.2 });
    ok(Math.abs(p.rotation) <= 10 && Math.abs(p.dx) <= 9.6 && Math.abs(p.dy) <= 9.6);
    ok(p.zoom >= 0.8 && p.zoom <= 1.2);
    if (p.flip) flips++;
  }
  ok(flips > 850 && flips < 1150, `flips ${flips}`);
  ok([...Array(50)].every(() => !sampleAugmentParams(rng, 96, { flip: false }).flip));
});
