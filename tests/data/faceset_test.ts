import { deepEqual, equal, throws } from "../assert.ts";
import { type FaceSet, largestClasses, selectClasses, selectFaces } from "../../lib/data/faceset.ts";

function tiny(): FaceSet {
  // 4 images of 1×2 pixels; pixel values encode the image index so copies are traceable.
  return {
    pixels: Uint8Array.from([0, 1, 10, 11, 20, 21, 30, 31]),
    n: 4,
    height: 1,
    width: 2,
    labels: Int32Array.from([2, 0, 2, 1]),
    classNames: ["A", "B", "C"],
    paths: ["a", "b", "c", "d"],
  };
}

Deno.test("selectFaces copies the chosen images and re-indexes labels in first-seen order", () => {
  const s = selectFaces(tiny(), [3, 0, 2]);
  equal(s.n, 3);
  deepEqual([...s.pixels], [30, 31, 0, 1, 20, 21]);
  deepEqual(s.classNames, ["B", "C"]);
  deepEqual([...s.labels], [0, 1, 1]);
  deepEqual(s.paths, ["d", "a", "c"]);
});

Deno.test("selectFaces rejects an index outside the set, naming it", () => {
  throws(() => selectFaces(tiny(), [4]), /image index 4/);
});

Deno.test("largestClasses ranks by image count, ties by name", () => {
  // Counts: A 1, B 1, C 2.
  deepEqual(largestClasses(tiny(), 2), ["C", "A"]);
  deepEqual(largestClasses(tiny(), 5), ["C", "A", "B"]);
});

Deno.test("selectClasses keeps exactly the named classes' images and rejects unknown names", () => {
  const s = selectClasses(tiny(), ["C", "B"]);
  deepEqual(s.paths, ["a", "c", "d"]);
  deepEqual(s.classNames, ["C", "B"]);
  throws(() => selectClasses(tiny(), ["Z"]), /no class named "Z"/);
});
