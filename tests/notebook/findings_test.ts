import { match, ok } from "../assert.ts";
import { projectFindings } from "../../lib/notebook/findings.ts";
import { trainingConfig } from "../../lib/training/config.ts";
import { join } from "node:path";

const nets = {
  "Zeiler&Fergus": { config: { ...trainingConfig("zf", "smoke"), margin: 0.2, loss: undefined } },
  "Inception": { config: { ...trainingConfig("inception", "smoke"), loss: { softMargin: true } } },
};
const pairsSummary = [
  { network: "Zeiler&Fergus", "accuracy %": 71.23, "± SE": 0.45 },
  { network: "Inception", "accuracy %": 68.9, "± SE": 0.61 },
];

function write(root: string, notebook: string, file: string, lines: string[]): void {
  Deno.mkdirSync(join(root, notebook), { recursive: true });
  Deno.writeTextFileSync(join(root, notebook, file), lines.join("\n") + "\n");
}

Deno.test("projectFindings names every missing table instead of a number", () => {
  const root = Deno.makeTempDirSync();
  try {
    const md = projectFindings({ figuresRoot: root, nets, pairsSummary, view1: null });
    const bullets = md.split("\n");
    ok(bullets.length === 6 && bullets.every((b) => b.startsWith("- **")), md);
    match(
      bullets[0],
      /Zeiler&Fergus, training:\*\* not reported yet \(run notebook 02: .*loss_table\.csv, .*distance_thresholds\.csv\)/,
    );
    match(bullets[1], /Inception, training:\*\* not reported yet \(run notebook 03: .*03_inception/);
    match(
      bullets[2],
      /Classifiers:\*\* not reported yet \(run notebook 04: .*04_classifiers[/\\]cv_summary\.csv\)/,
    );
    match(bullets[3], /not reported yet \(.*05_own_faces[/\\]separation\.csv\)/);
    match(bullets[4], /Zeiler&Fergus: 71\.23% ± 0\.45; Inception: 68\.9% ± 0\.61/);
    match(bullets[5], /View 1, people never seen:\*\* not computed yet/);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("projectFindings states the numbers of the tables notebooks 02–05 wrote", () => {
  const root = Deno.makeTempDirSync();
  try {
    write(root, "02_zeiler_fergus", "loss_table.csv", [
      "slide_epoch,epoch,loss,lr,slides_loss",
      "1,1,0.19829,0.0001,0.2",
      "230,10,0.123456,0.0001,0.0812",
    ]);
    write(root, "02_zeiler_fergus", "distance_thresholds.csv", [
      "slide epoch,epoch here,++ pairs,+− pairs,threshold,balanced accuracy",
      "72,3,7281,7281,0.619,0.68719",
      "230,10,7281,7281,0.834,0.73616",
    ]);
    // Notebook 03's loss table predates the slides' column: not this run's report.
    write(root, "03_inception", "loss_table.csv", ["slide_epoch,epoch,loss,lr", "1,1,0.5,0.0001"]);
    write(root, "03_inception", "distance_thresholds.csv", [
      "slide epoch,epoch here,++ pairs,+− pairs,threshold,balanced accuracy",
      "72,3,10,10,0.5,0.6",
    ]);
    write(root, "04_classifiers", "cv_summary.csv", [
      "network,classifier,embeddings,accuracy (here),accuracy (slides),min fold,max fold,seconds",
      "Zeiler&Fergus,SVM rbf C=1 γ=scale,plain,16.63% ± 0.52,49.83%,15.9%,17.6%,85",
      "Inception,KNN k=5,flip-averaged,14.48% ± 0.92,,13.1%,16.4%,3",
    ]);
    write(root, "05_own_faces", "separation.csv", [
      "network,mean d² same,mean d² different,threshold,balanced accuracy",
      "Zeiler&Fergus,0.32,1.27,0.87,0.8512260536398467",
      "Inception,0.19,0.78,0.31,0.8580459770114943",
    ]);
    const row = (network: string, accuracy: number, se: number) => ({
      network,
      "training people": 4038,
      "training images": 9525,
      "test pairs": 1000,
      "test people trained on": 0,
      "accuracy %": accuracy,
      SE: se,
      AUC: 0.7,
      "EER %": 35,
      "VAL @ FAR=1e-3 %": 2,
    });
    const view1 = { summary: [row("Zeiler&Fergus (raw)", 60, 1), row("Zeiler&Fergus (chosen)", 64.5, 1.25)] };
    const bullets = projectFindings({ figuresRoot: root, nets, pairsSummary, view1 }).split("\n");
    match(
      bullets[0],
      /^- \*\*Zeiler&Fergus, training\.\*\* Loss 0\.1235 at epoch 10 of this run; the slides had 0\.081 at their epoch 230/,
    );
    // A collapsed embedding scores the margin (0.2) under the plain triplet loss.
    match(bullets[0], /maps every face to one point scores 0\.2\)/);
    match(bullets[0], /balanced accuracy of 0\.687 at epoch 3 and 0\.736 at epoch 10/);
    match(bullets[1], /Inception, training:\*\* not reported yet/);
    match(
      bullets[2],
      /Zeiler&Fergus, SVM rbf C=1 γ=scale, plain embeddings: 16\.63% ± 0\.52 \(slides: 49\.83%\); Inception, KNN k=5, flip-averaged embeddings: 14\.48% ± 0\.92 \(/,
    );
    ok(!bullets[2].includes("KNN k=5: 14.48% ± 0.92 (slides"), "no slides' number where the slides ran none");
    match(bullets[3], /Best balanced accuracy Zeiler&Fergus 0\.851, Inception 0\.858/);
    match(bullets[5], /Zeiler&Fergus \(chosen\): 64\.5% ± 1\.25\.$/);
    ok(!bullets[5].includes("(raw)"), "only the chosen variant is the headline");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
