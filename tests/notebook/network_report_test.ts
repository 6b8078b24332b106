import { deepEqual, equal, ok, rejects } from "../assert.ts";
import { join } from "node:path";
import pl from "nodejs-polars";
import { distanceSnapshots, lossTable } from "../../lib/notebook/network_report.ts";
import { trainingConfig } from "../../lib/training/config.ts";
import type { HistoryRow } from "../../lib/training/checkpoint.ts";
import type { TrainResult } from "../../lib/training/loop.ts";

/** A finished 10-epoch quick-profile ZF run without a model: what the report reads. */
function fakeRun(runDir: string): TrainResult {
  const history = Array.from({ length: 10 }, (_, k) => ({
    epoch: k + 1,
    loss: 0.2 - 0.01 * k,
    lr: 1e-4,
    activeFraction: 1 - 0.05 * k,
    seconds: 2,
    imagesPerSecond: 100,
  })) as unknown as HistoryRow[];
  return {
    model: undefined as unknown as TrainResult["model"],
    config: trainingConfig("zf", "quick"),
    history,
    runDir,
    epochsDone: 10,
    finished: true,
    resumedFrom: 0,
  };
}

Deno.test("lossTable writes the history and the loss at the slides' epochs mapped onto the run", () => {
  const out = Deno.makeTempDirSync();
  try {
    lossTable(fakeRun(out), [1, 230], out);
    const t = pl.readCSV(Deno.readTextFileSync(join(out, "loss_table.csv")));
    deepEqual(t.getColumn("epoch").toArray(), [1, 10], "slide epochs 1 and 230 of 230 → 1 and 10 of 10");
    deepEqual(t.getColumn("loss").toArray(), [0.2, 0.2 - 0.09]);
    equal(pl.readCSV(Deno.readTextFileSync(join(out, "history.csv"))).height, 10);
  } finally {
    Deno.removeSync(out, { recursive: true });
  }
});

Deno.test("distanceSnapshots finds the threshold per saved epoch, and names a missing snapshot", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const run = fakeRun(dir);
    Deno.mkdirSync(join(dir, "distances"));
    // Separable at 1.0: ++ below, +− above.
    const snap = (epoch: number) => ({ epoch, positive: [0.2, 0.5, 0.9], negative: [1.1, 1.5, 2.0] });
    for (const e of [3, 10]) {
      Deno.writeTextFileSync(
        join(dir, "distances", `epoch_${String(e).padStart(4, "0")}.json`),
        JSON.stringify(snap(e)),
      );
    }
    const { figures } = await distanceSnapshots(run, [72, 230], dir);
    equal(figures.length, 2);
    const t = pl.readCSV(Deno.readTextFileSync(join(dir, "distance_thresholds.csv")));
    deepEqual(t.getColumn("epoch here").toArray(), [3, 10]);
    deepEqual(t.getColumn("balanced accuracy").toArray(), [1, 1]);
    for (const th of t.getColumn("threshold").toArray() as number[]) {
      ok(th > 0.9 && th < 1.1, `threshold ${th}`);
    }
    await rejects(
      () => distanceSnapshots(run, [100], dir),
      /no distance snapshot for epoch 4 .*saved: 3, 10/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
