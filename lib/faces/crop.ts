/**
 * Cropping a detected face so that it is framed like the training images. Those are LFW
 * deep-funneled 250×250 photos (faces already aligned by the funneling), centre-cropped to a square
 * and resized to 96×96 grayscale (`lib/data/preprocess.ts`). A detector box or landmarks in a new photo are mapped to the
 * square that the training crop would have taken, using where the same detector lands on LFW
 * images (`LFW_REFERENCE`, measured by `measureLfwReference`).
 */
import sharp from "sharp";
import { LFW_PREPROCESS, type PreprocessSettings } from "../data/preprocess.ts";
import type { Box, Face, Point } from "./detector.ts";
import { checkRgbImage, type ImageSource, readImage, type RgbImage } from "./image.ts";

/** Where the SSD detector lands on LFW deep-funneled images, in the 250×250 frame. */
export interface LfwReference {
  /** Side of the LFW images (250). */
  frame: number;
  /** Median of (frame centre − box.x) / box.width: the frame centre in box-relative units. */
  centreInBoxX: number;
  /** Median of (frame centre − box.y) / box.height. */
  centreInBoxY: number;
  /** Median box size √(width·height), pixels. */
  boxSize: number;
  /** Median midpoint between the eye centres (landmarks 36–41 and 42–47), pixels. */
  eyeMidX: number;
  eyeMidY: number;
  /** Median distance between the eye centres, pixels. */
  eyeDistance: number;
  /** How many LFW images with a detected face the medians come from. */
  n: number;
}

/**
 * Measured with `measureLfwReference` on the first image of every 28th person of LFW
 * deep-funneled (200 images, 189 with a face; SSD, minScore 0.3, the face nearest the centre).
 * The eye midpoint is far steadier than the box centre (interquartile range ±1.2 px against ±7 px
 * horizontally), because deep funneling aligns the eyes; the eye framing is therefore preferred.
 */
export const LFW_REFERENCE: LfwReference = {
  frame: 250,
  centreInBoxX: 0.52,
  centreInBoxY: 0.47,
  boxSize: 109.3,
  eyeMidX: 124.4,
  eyeMidY: 111.9,
  eyeDistance: 41.5,
  n: 189,
};

/** A square (possibly rotated) region of a photo: centre, side and rotation, in source pixels. */
export interface CropWindow {
  cx: number;
  cy: number;
  side: number;
  /** Rotation of the window in radians (positive turns the window's x axis towards +y). */
  angle: number;
}

export interface CropOptions {
  /** Output side (default: the training size, 96). */
  size?: number;
  /** The training preprocessing whose framing to reproduce (default `LFW_PREPROCESS`: central 125 of 250). */
  preprocess?: Readonly<PreprocessSettings>;
  /** Extra zoom-out factor on the window (1 = exactly the training framing). */
  margin?: number;
  /** `eyes` (needs landmarks) rotates and scales by the eyes; `box` uses the detector box; `auto`
   * (default) takes eyes when the face has landmarks. */
  framing?: "auto" | "eyes" | "box";
  reference?: LfwReference;
}

/** The square the training preprocessing keeps of a `frame × frame` LFW image, exactly as
 * `preprocessImage` computes it (whole pixels, left/top rounded down). */
export function trainingWindow(
  settings: Readonly<PreprocessSettings> = LFW_PREPROCESS,
  frame = 250,
): CropWindow {
  const side = Math.max(1, Math.round(settings.crop * frame));
  const left = Math.floor((frame - side) / 2);
  return { cx: left + side / 2, cy: left + side / 2, side, angle: 0 };
}

/** Centre of landmarks `from`…`to` inclusive. */
function mean(points: Point[], from: number, to: number): Point {
  let x = 0, y = 0;
  for (let i = from; i <= to; i++) {
    x += points[i].x;
    y += points[i].y;
  }
  return { x: x / (to - from + 1), y: y / (to - from + 1) };
}

/** Eye centres (image-left eye first) from 68-point landmarks. */
export function eyeCentres(landmarks: Point[]): [Point, Point] {
  if (landmarks.length !== 68) throw new RangeError(`expected 68 landmarks, got ${landmarks.length}`);
  return [mean(landmarks, 36, 41), mean(landmarks, 42, 47)];
}

/** The window that frames `box` as the training crop frames an LFW face. */
export function windowFromBox(box: Box, opts: CropOptions = {}): CropWindow {
  const ref = opts.reference ?? LFW_REFERENCE;
  if (!(box.width > 0 && box.height > 0)) throw new RangeError(`box has no area: ${JSON.stringify(box)}`);
  const scale = Math.sqrt(box.width * box.height) / ref.boxSize;
  const t = trainingWindow(opts.preprocess, ref.frame);
  // The reference frame's centre sits at a fixed box-relative point; the training window is placed
  // relative to that centre, scaled by the box size.
  return {
    cx: box.x + ref.centreInBoxX * box.width + (t.cx - ref.frame / 2) * scale,
    cy: box.y + ref.centreInBoxY * box.height + (t.cy - ref.frame / 2) * scale,
    side: t.side * (opts.margin ?? 1) * scale,
    angle: 0,
  };
}

/** The window that puts the eyes where they sit in a training crop (level, same distance apart). */
export function windowFromEyes(left: Point, right: Point, opts: CropOptions = {}): CropWindow {
  const ref = opts.reference ?? LFW_REFERENCE;
  const dx = right.x - left.x, dy = right.y - left.y;
  const dist = Math.hypot(dx, dy);
  if (!(dist > 0)) throw new RangeError(`eyes coincide at (${left.x}, ${left.y})`);
  const scale = dist / ref.eyeDistance;
  const angle = Math.atan2(dy, dx);
  // Offset of the training window's centre from the eye midpoint in the reference, scaled and rotated
  // into the photo.
  const t = trainingWindow(opts.preprocess, ref.frame);
  const ox = (t.cx - ref.eyeMidX) * scale, oy = (t.cy - ref.eyeMidY) * scale;
  const c = Math.cos(angle), s = Math.sin(angle);
  return {
    cx: (left.x + right.x) / 2 + c * ox - s * oy,
    cy: (left.y + right.y) / 2 + s * ox + c * oy,
    side: t.side * (opts.margin ?? 1) * scale,
    angle,
  };
}

/** The training-framed window for a detected face (or a bare box). */
export function faceWindow(face: Face | Box, opts: CropOptions = {}): CropWindow {
  const f: Face = "box" in face ? face : { box: face, score: 1 };
  const framing = opts.framing ?? "auto";
  if (framing === "eyes" && !f.landmarks) {
    throw new Error("framing 'eyes' needs a face detected with landmarks");
  }
  if (framing !== "box" && f.landmarks) {
    const [l, r] = eyeCentres(f.landmarks);
    return windowFromEyes(l, r, opts);
  }
  return windowFromBox(f.box, opts);
}

/**
 * Sample a window at the source's resolution: pixel (i, j) of the result is the bilinear sample at
 * the window point of that pixel's centre; points outside the photo take the nearest edge pixel.
 * An axis-aligned window on whole pixels is an exact copy.
 */
export function sampleWindow(img: RgbImage, win: CropWindow): RgbImage {
  checkRgbImage(img);
  const n = Math.max(1, Math.round(win.side));
  const step = win.side / n;
  const c = Math.cos(win.angle), s = Math.sin(win.angle);
  const out = new Uint8Array(n * n * 3);
  const { width: W, height: H, data } = img;
  const clampX = (x: number) => x < 0 ? 0 : x > W - 1 ? W - 1 : x;
  const clampY = (y: number) => y < 0 ? 0 : y > H - 1 ? H - 1 : y;
  for (let i = 0; i < n; i++) {
    const v = (i + 0.5) * step - win.side / 2;
    for (let j = 0; j < n; j++) {
      const u = (j + 0.5) * step - win.side / 2;
      // Pixel k covers [k, k+1), so its centre is k + 0.5.
      const x = clampX(win.cx + c * u - s * v - 0.5), y = clampY(win.cy + s * u + c * v - 0.5);
      const x0 = Math.floor(x), y0 = Math.floor(y);
      const x1 = Math.min(x0 + 1, W - 1), y1 = Math.min(y0 + 1, H - 1);
      const fx = x - x0, fy = y - y0;
      const o = (i * n + j) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const a = data[(y0 * W + x0) * 3 + ch], b = data[(y0 * W + x1) * 3 + ch];
        const p = data[(y1 * W + x0) * 3 + ch], q = data[(y1 * W + x1) * 3 + ch];
        out[o + ch] = Math.round((a * (1 - fx) + b * fx) * (1 - fy) + (p * (1 - fx) + q * fx) * fy);
      }
    }
  }
  return { data: out, width: n, height: n };
}

/** A window of a photo as `size × size` grayscale pixels (sharp's resize and grayscale, as in training). */
export async function cropWindow(image: ImageSource, win: CropWindow, size = 96): Promise<Uint8Array> {
  const patch = sampleWindow(await readImage(image), win);
  let pipe = sharp(patch.data, { raw: { width: patch.width, height: patch.height, channels: 3 } });
  pipe = pipe.grayscale();
  if (patch.width !== size) pipe = pipe.resize(size, size, { fit: "fill" });
  const buf = await pipe.raw().toBuffer();
  if (buf.length !== size * size) {
    throw new Error(`crop came out ${buf.length} bytes, expected ${size * size}`);
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** Crop a detected face (or box) to `size × size` grayscale, framed like the training images. */
export async function cropFace(
  image: ImageSource,
  face: Face | Box,
  opts: CropOptions = {},
): Promise<Uint8Array> {
  return await cropWindow(
    image,
    faceWindow(face, opts),
    opts.size ?? (opts.preprocess ?? LFW_PREPROCESS).size,
  );
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Measure `LfwReference` from detections on LFW deep-funneled images (all `frame × frame`): per image
 * the face nearest the frame centre, with landmarks; images without a face are left out.
 */
export function measureLfwReference(faces: (Face | undefined)[], frame = 250): LfwReference {
  const got = faces.filter((f): f is Face & { landmarks: Point[] } => f !== undefined && !!f.landmarks);
  if (got.length === 0) throw new Error("measureLfwReference: no faces with landmarks");
  const h = frame / 2;
  const eyes = got.map((f) => eyeCentres(f.landmarks));
  const r = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;
  return {
    frame,
    centreInBoxX: r(median(got.map((f) => (h - f.box.x) / f.box.width))),
    centreInBoxY: r(median(got.map((f) => (h - f.box.y) / f.box.height))),
    boxSize: r(median(got.map((f) => Math.sqrt(f.box.width * f.box.height))), 1),
    eyeMidX: r(median(eyes.map(([a, b]) => (a.x + b.x) / 2)), 1),
    eyeMidY: r(median(eyes.map(([a, b]) => (a.y + b.y) / 2)), 1),
    eyeDistance: r(median(eyes.map(([a, b]) => Math.hypot(b.x - a.x, b.y - a.y))), 1),
    n: got.length,
  };
}
