import { deepEqual, equal } from "../assert.ts";
import { runSettings } from "../../lib/notebook/settings.ts";
import { trainingConfig } from "../../lib/training/mod.ts";

Deno.test("runSettings: the notebooks' settings table, worked out by hand for a two-epoch run", () => {
  const history = [
    { epoch: 1, loss: 0.2, lr: 1e-4, activeFraction: 1, seconds: 90, imagesPerSecond: 20 },
    { epoch: 2, loss: 0.19, lr: 1e-4, activeFraction: 1, seconds: 150, imagesPerSecond: 15 },
  ];
  const summary =
    "TensorFlow.js backend: wasm (2 threads), + 11 project kernels — skipped node: not installed";
  const zf = runSettings({ config: trainingConfig("zf", "quick"), history }, 901, summary);
  deepEqual(zf, [
    { setting: "backend", value: "wasm (2 threads), + 11 project kernels" },
    { setting: "identities × images", value: "901 × ≥ 3" },
    { setting: "epochs", value: 10 },
    { setting: "batches per epoch × batch size (how drawn)", value: "10 × 200 (P×K, K = 4)" },
    { setting: "loss", value: "triplet, semi-hard, margin 0.2, squared distances" },
    { setting: "optimizer, learning rate", value: "Adam 0.0001 → 0.000025 in 3 steps" },
    { setting: "dropout (drop1, drop2), batch-norm momentum", value: "0, 0.9" },
    { setting: "augmentation", value: "rotation 10, shift 0.1, zoom 0.1, flip true" },
    // (90 + 150) s = 4.0 min; (20 + 15) / 2 = 17.5 images/s
    { setting: "training time", value: "4.0 min, 17.5 images/s" },
  ]);
  // The slides' ZF settings fill in the network's defaults; Inception has no such row.
  const full = runSettings({ config: trainingConfig("zf", "full"), history }, 901, summary);
  equal(full.find((r) => r.setting.startsWith("dropout"))?.value, "0.5, 0.99");
  // …and the slides' batches and loss: any 200 images, the hinge on plain L2 distances.
  equal(full.find((r) => r.setting.startsWith("batches"))?.value, "pass × 200 (random images)");
  equal(full.find((r) => r.setting === "loss")?.value, "triplet, semi-hard, margin 0.2, plain L2 distances");
  const soft = runSettings(
    {
      config: { ...trainingConfig("zf", "quick"), loss: { softMargin: true, distance: "euclidean" } },
      history,
    },
    901,
    summary,
  );
  equal(soft.find((r) => r.setting === "loss")?.value, "triplet, semi-hard, soft margin, plain L2 distances");
  const inc = runSettings(
    { config: { ...trainingConfig("inception", "quick"), augment: false }, history },
    5,
    summary,
  );
  equal(inc.some((r) => r.setting.startsWith("dropout")), false);
  equal(inc.find((r) => r.setting === "augmentation")?.value, "none");
});
