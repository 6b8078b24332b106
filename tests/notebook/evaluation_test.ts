import { deepEqual, equal, hasSharedData, SHARED_DATA } from "../assert.ts";
import { classifierGrid, verificationPairs } from "../../lib/notebook/evaluation.ts";
import { loadDevPairs, loadPairs } from "../../lib/data/protocol.ts";
import { compactGrid, defaultGrid } from "../../lib/classify/grid.ts";

Deno.test("classifierGrid is the slides' grid in full and the compact one otherwise", () => {
  const x = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i));
  deepEqual(classifierGrid(x, 4, "full"), defaultGrid(x, 4));
  deepEqual(classifierGrid(x, 4, "quick"), compactGrid(x, 4));
  deepEqual(classifierGrid(x, 4, "smoke"), compactGrid(x, 4));
  equal(defaultGrid(x, 4).length, 18);
  equal(compactGrid(x, 4).length, 9);
});

Deno.test({
  name:
    "verificationPairs: every pair in quick/full, the first 50 + 50 per fold and 100 + 100 per dev split in smoke (shared data)",
  ignore: !hasSharedData(),
  fn() {
    const full = verificationPairs("full", SHARED_DATA);
    deepEqual(full.folds, loadPairs(SHARED_DATA).folds);
    deepEqual(full.dev, [loadDevPairs("train", SHARED_DATA), loadDevPairs("test", SHARED_DATA)]);
    equal(full.complete, true);
    equal(verificationPairs("quick", SHARED_DATA).cacheName, full.cacheName);
    const smoke = verificationPairs("smoke", SHARED_DATA);
    equal(smoke.complete, false);
    equal(smoke.folds.length, 10);
    for (const [k, f] of smoke.folds.entries()) {
      equal(f.filter((p) => p.same).length, 50);
      equal(f.filter((p) => !p.same).length, 50);
      deepEqual(
        f.filter((p) => p.same),
        full.folds[k].filter((p) => p.same).slice(0, 50),
        "the first ones, in order",
      );
    }
    deepEqual(smoke.dev.map((d) => d.length), [200, 200]);
    equal(smoke.cacheName === full.cacheName, false, "a smaller pair set gets its own embedding cache");
  },
});
