/**
 * Is an image file what its name says, and does it decode? The real format comes from the file's
 * first bytes (magic numbers), so a PNG named `.jpg` is caught; the decode check runs libvips with
 * `failOn: "warning"`, because libjpeg only *warns* about damaged entropy-coded data (zeroed or
 * scrambled bytes) and pads the rest with grey: with `failOn: "error"` such a file decodes "fine".
 * All 13,233 official LFW deep-funneled JPEGs decode without a single warning.
 *
 * The check is a full decode to raw pixels. Measured over the 13,233 LFW images, 4 at a time on
 * 2 shared cores: 12–15 s (a decode plus a resize to a thumbnail, to let libjpeg scale while
 * decoding, was slower: 17–25 s). That is too slow for every `deno task setup`, so setup remembers
 * what it verified (see `verifyImages` in integrity.ts).
 */
import { extname } from "node:path";
import sharp from "sharp";

export type ImageFormat = "jpeg" | "png" | "gif" | "webp" | "tiff" | "bmp" | "pgm";

/** The format a file's first bytes say it is, or undefined when they match none we know. */
export function sniffImageFormat(head: Uint8Array): ImageFormat | undefined {
  const at = (o: number, ...bs: number[]) => bs.every((b, i) => head[o + i] === b);
  const ascii = (o: number, s: string) => at(o, ...[...s].map((c) => c.charCodeAt(0)));
  if (at(0, 0xff, 0xd8, 0xff)) return "jpeg";
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "png";
  if (ascii(0, "GIF8")) return "gif";
  if (ascii(0, "RIFF") && ascii(8, "WEBP")) return "webp";
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return "tiff";
  if (ascii(0, "BM")) return "bmp";
  if (ascii(0, "P5")) return "pgm";
  return undefined;
}

const BY_EXTENSION: Record<string, ImageFormat> = {
  ".jpg": "jpeg",
  ".jpeg": "jpeg",
  ".png": "png",
  ".gif": "gif",
  ".webp": "webp",
  ".tif": "tiff",
  ".tiff": "tiff",
  ".bmp": "bmp",
  ".pgm": "pgm",
};

/** The format a file name promises (by extension), or undefined for an extension we do not know. */
export function formatOfName(file: string): ImageFormat | undefined {
  return BY_EXTENSION[extname(file).toLowerCase()];
}

/**
 * Throw, naming the file, when its content is not the format its extension promises (an empty
 * file, a PNG named `.jpg`, an HTML error page saved as an image). Files with an unknown
 * extension are left to the decoder.
 */
export function checkImageFormat(file: string, bytes: Uint8Array): void {
  const want = formatOfName(file);
  if (want === undefined) return;
  if (bytes.length === 0) throw new Error(`${file}: empty file`);
  const got = sniffImageFormat(bytes.subarray(0, 16));
  if (got !== want) {
    throw new Error(
      `${file}: named ${extname(file)} but ${got ? `holds ${got.toUpperCase()} data` : "is not an image"}`,
    );
  }
}

/** A decoder message as one line (libvips repeats its lines and joins them with newlines). */
export function oneLine(msg: string): string {
  return [...new Set(msg.split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== ""))].join("; ");
}

/**
 * A decode error as one line that says what is wrong: sharp sometimes reports a libjpeg warning
 * only as "Warning treated as error due to failOn setting", which names neither damage nor fix.
 */
export function decodeErrorMessage(e: unknown): string {
  const msg = oneLine(e instanceof Error ? e.message : String(e));
  return /^Warning treated as error/i.test(msg)
    ? "damaged image data: the decoder warned and would fill the damaged part with grey"
    : msg;
}

/** Check that `file` is the format its name says and decodes without warnings; the error names the file. */
export async function checkImageFile(file: string): Promise<void> {
  const bytes = await Deno.readFile(file);
  checkImageFormat(file, bytes);
  if (formatOfName(file) === "pgm") return; // read by pgm.ts, which checks its own header and size
  try {
    await sharp(bytes, { failOn: "warning" }).raw().toBuffer();
  } catch (e) {
    throw new Error(`${file}: does not decode (${decodeErrorMessage(e)})`);
  }
}
