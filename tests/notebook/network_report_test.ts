import { deepEqual, equal, match, ok, rejects } from "../assert.ts";
import { join } from "node:path";
import pl from "nodejs-polars";
import {
  collapsedLoss,
  distanceSnapshots,
  lossTable,
  trainingCurve,
} from "../../lib/notebook/network_report.ts";
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
    deepEqual(t.getColumn("slides_loss").toArray(), [0.196, 0.034], "the slides' own loss beside ours");
    equal(pl.readCSV(Deno.readTextFileSync(join(out, "history.csv"))).height, 10);
    const shown = String(lossTable(fakeRun(out), [1, 10, 25, 50, 100, 230], out));
    match(shown, /\| slide epoch \| loss \(slides\) \| epoch here \| loss here \|/);
    match(shown, /\| 25 \| 0\.0920 \| 1 \| 0\.2000 \|/);
    // An epoch the slides' table does not list has no slides' loss.
    lossTable(fakeRun(out), [72], out);
    const one = pl.readCSV(Deno.readTextFileSync(join(out, "loss_table.csv")));
    ok(Number.isNaN(one.getColumn("slides_loss").toArray()[0] as number));
  } finally {
    Deno.removeSync(out, { recursive: true });
  }
});

Deno.test("distanceSnapshots finds the threshold per saved epoch, the nearest saved one for a missing epoch", async () => {
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
    // Epoch 10's distances lie further right: the ++ and the +− medians both grow by 0.5.
    Deno.writeTextFileSync(
      join(dir, "distances", "epoch_0010.json"),
      JSON.stringify({ epoch: 10, positive: [0.7, 1.0, 1.4], negative: [1.6, 2.0, 2.5] }),
    );
    const { figures, figure, shift } = await distanceSnapshots(run, [72, 230], dir);
    equal(figures.length, 2);
    // Both separate figures and the two-panel one share the x range 0–2.5 (the largest distance).
    for (const f of [...figures, figure]) {
      match(f.svg, /X-axis titled 'squared L2 distance' for a linear scale with values from 0\.0 to 2\.5/);
    }
    equal((figure.svg.match(/class="mark-rect role-mark/g) ?? []).length, 2, "two panels");
    equal(figure.svgPath, join(dir, "distances_by_epoch.svg"));
    deepEqual([shift!.positive.direction, shift!.negative.direction], ["right", "right"]);
    match(shift!.sentence, /^From epoch 3 to epoch 10, /);
    const t = pl.readCSV(Deno.readTextFileSync(join(dir, "distance_thresholds.csv")));
    deepEqual(t.getColumn("epoch here").toArray(), [3, 10]);
    deepEqual(t.getColumn("balanced accuracy").toArray(), [1, 1]);
    const [th3, th10] = t.getColumn("threshold").toArray() as number[];
    ok(th3 > 0.9 && th3 < 1.1, `threshold ${th3}`);
    ok(th10 > 1.4 && th10 < 1.6, `threshold ${th10}`);
    // Epoch 4 (the slides' 100 of 230, scaled) was not saved: the nearest saved one, 3, stands in, named.
    const near = await distanceSnapshots(run, [100, 200], dir);
    match(near.figures[0].svg, /epoch 3 \(slides: 100; the nearest saved to 4\)/);
    match(near.figures[1].svg, /epoch 10 \(slides: 200; the nearest saved to 9\)/);
    const t2 = pl.readCSV(Deno.readTextFileSync(join(dir, "distance_thresholds.csv")));
    deepEqual(t2.getColumn("scaled epoch").toArray(), [4, 9]);
    deepEqual(t2.getColumn("epoch here").toArray(), [3, 10]);
    Deno.removeSync(join(dir, "distances"), { recursive: true });
    Deno.mkdirSync(join(dir, "distances"));
    await rejects(() => distanceSnapshots(run, [72], dir), /no distance snapshots in .*distances/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("trainingCurve: the loss axis runs from 0 past the margin, with the slides' loss scaled onto the run", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const run = fakeRun(dir);
    equal(collapsedLoss(run.config), 0.2);
    equal(collapsedLoss({ ...run.config, loss: { softMargin: true } }), Math.LN2);
    const f = await trainingCurve(run, "ZF", dir);
    equal(f.pngPath, join(dir, "loss_curve.png"));
    match(f.svg, /Y-axis titled 'loss' for a linear scale with values from 0\.00 to 0\.20/);
    match(f.svg, /Y-axis titled 'share of triplets' for a linear scale with values from 0\.0 to 1\.0/);
    match(f.svg, /margin 0\.2: every face at one point/);
    match(f.svg, /slides \(the slides' epochs × 10\/230\)/);
    // The slides' six points: ZF's epoch 230 sits at this run's epoch 10, its loss 0.034.
    match(f.svg, /aria-label="epoch: 10; loss: 0\.034; series: slides/);
    match(f.svg, /aria-label="epoch: 0\.04\d*; loss: 0\.196; series: slides/, "epoch 1 of 230 at 10/230");
    const plain = await trainingCurve(run, "ZF", dir, { slides: false });
    ok(!plain.svg.includes("series: slides"));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
