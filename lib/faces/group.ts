/**
 * A "group photo" for the several-people-labelled slide when the user has none: single-person photos
 * scaled to one height and set side by side on a plain background, with where each one went, so
 * detections in it can be checked against the true names.
 */
import sharp from "sharp";
import type { Box } from "./detector.ts";
import { type ImageSource, readImage, type RgbImage } from "./image.ts";

export interface GroupMember {
  name: string;
  image: ImageSource;
}

export interface GroupPhoto {
  image: RgbImage;
  /** Per member, in order: their name and the region their photo occupies in `image`. */
  members: { name: string; tile: Box }[];
}

export interface ComposeOptions {
  /** Height every photo is scaled to (default 250). */
  height?: number;
  /** Space between photos and around the row, in pixels (default half the height: with 40 px on a
   * 300 px row the SSD's scores fell to 0.3–0.5, with 150 px they were 0.97–1.0). */
  gap?: number;
  /** Background colour (default mid-grey). */
  background?: { r: number; g: number; b: number };
}

/** Set `members`' photos in one row, each scaled to `height` keeping its aspect ratio. */
export async function composeGroupPhoto(
  members: GroupMember[],
  opts: ComposeOptions = {},
): Promise<GroupPhoto> {
  if (members.length === 0) throw new RangeError("composeGroupPhoto: no members");
  const height = opts.height ?? 250;
  const gap = opts.gap ?? Math.round(height / 2);
  if (!(Number.isInteger(height) && height > 0 && Number.isInteger(gap) && gap >= 0)) {
    throw new RangeError(`composeGroupPhoto: height ${height} and gap ${gap} must be whole pixels`);
  }
  const tiles: { name: string; tile: Box; pixels: Uint8Array }[] = [];
  let x = gap;
  for (const m of members) {
    const src = await readImage(m.image);
    const width = Math.max(1, Math.round((src.width * height) / src.height));
    const buf = await sharp(src.data, { raw: { width: src.width, height: src.height, channels: 3 } })
      .resize(width, height, { fit: "fill" })
      .raw()
      .toBuffer();
    tiles.push({ name: m.name, tile: { x, y: gap, width, height }, pixels: new Uint8Array(buf) });
    x += width + gap;
  }
  const W = x, H = height + 2 * gap;
  const bg = opts.background ?? { r: 128, g: 128, b: 128 };
  const data = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) {
    data[3 * i] = bg.r;
    data[3 * i + 1] = bg.g;
    data[3 * i + 2] = bg.b;
  }
  for (const t of tiles) {
    const { x: left, y: top, width, height: h } = t.tile;
    for (let r = 0; r < h; r++) {
      data.set(t.pixels.subarray(r * width * 3, (r + 1) * width * 3), ((top + r) * W + left) * 3);
    }
  }
  return { image: { data, width: W, height: H }, members: tiles.map(({ name, tile }) => ({ name, tile })) };
}

/** The member whose tile holds the centre of `box`, or undefined (a detection between tiles). */
export function memberAt(group: GroupPhoto, box: Box): string | undefined {
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const hit = group.members.find(({ tile: t }) =>
    cx >= t.x && cx < t.x + t.width && cy >= t.y && cy < t.y + t.height
  );
  return hit?.name;
}
