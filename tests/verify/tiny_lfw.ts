/** Test fixture shared by the verification tests: a tiny LFW-shaped FaceSet. */
import type { FaceSet } from "../../lib/data/faceset.ts";
import { lfwImagePath } from "../../lib/data/lfw.ts";

/** A 1×1-pixel "LFW": `people[name]` images each, whose pixel value is the image's row (mod 256), so a
 * gathered image says where it came from. */
export function tinyLfw(people: Record<string, number>): FaceSet {
  const paths: string[] = [], labels: number[] = [], classNames = Object.keys(people);
  classNames.forEach((name, c) => {
    for (let k = 1; k <= people[name]; k++) {
      paths.push(lfwImagePath(name, k));
      labels.push(c);
    }
  });
  return {
    pixels: Uint8Array.from(paths, (_, i) => i % 256),
    n: paths.length,
    height: 1,
    width: 1,
    labels: Int32Array.from(labels),
    classNames,
    paths,
  };
}
