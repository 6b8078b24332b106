import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { join } from "node:path";
import { assertAllClose, deepEqual, equal, match, ok, rejects } from "../assert.ts";
import { REPO_ROOT } from "../../lib/config.ts";
import type { FaceSet } from "../../lib/data/faceset.ts";
import { buildNetwork } from "../../lib/models/networks.ts";
import { loadModel } from "../../lib/models/io.ts";
import { cachedEmbeddings, notebookNetwork } from "../../lib/notebook/pipeline.ts";
import {
  canonicalJson,
  findReference,
  loadShipped,
  MANIFEST,
  type Manifest,
  readManifest,
  referenceNetwork,
  runOrigin,
  shipRun,
  verifyShipped,
} from "../../lib/reference/mod.ts";
import {
  type CheckpointState,
  fingerprint,
  makeOptimizer,
  recipeConfig,
  referenceConfig,
  saveCheckpoint,
  train,
  type TrainConfig,
  trainingConfig,
  trainingFaces,
} from "../../lib/training/mod.ts";
import { view1TrainConfig } from "../../lib/verify/view1.ts";

const SIZE = 24;

/** 10 identities × 4 images of 24×24 stripes plus noise (a deterministic hash, no RNG needed). */
function stripeFaces(ids = 10, per = 4, salt = 0): FaceSet {
  const n = ids * per, px = SIZE * SIZE;
  const pixels = new Uint8Array(n * px);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / per);
    for (let p = 0; p < px; p++) {
      const noise = ((i * 7919 + p * 104729 + salt) % 61) - 30;
      const v = 128 + 90 * Math.sin((0.2 + 0.05 * c) * (p % SIZE) + 0.1 * c * Math.floor(p / SIZE)) + noise;
      pixels[i * px + p] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return {
    pixels,
    n,
    height: SIZE,
    width: SIZE,
    labels: Int32Array.from({ length: n }, (_, i) => Math.floor(i / per)),
    classNames: Array.from({ length: ids }, (_, i) => `person_${i}`),
    paths: Array.from({ length: n }, (_, i) => `synthetic/${i}.png`),
  };
}

/** A tiny ZF run config (same code paths as a real run: batch norm, Adam, snapshots). */
const TINY: Partial<TrainConfig> = {
  modelOptions: { width: 1 / 16 },
  epochs: 2,
  batchesPerEpoch: 2,
  batchSize: 12,
  k: 3,
  maxIdentities: null,
  optimizer: "adam",
  schedule: { kind: "step", start: 1e-3, end: 1e-4, stages: 2 },
  distanceEpochs: [1, 2],
  distanceImages: 16,
  distancePairs: 30,
  embedBatchSize: 8,
  microBatch: 6,
};
const quiet = { progress: false, log: () => {}, warn: () => {} };

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  await tf.setBackend("cpu");
  const dir = await Deno.makeTempDir({ prefix: "facenet_ship_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Train the tiny run into `runDir` (stopping after `stopAfter` epochs if given); returns the model. */
async function tinyRun(runDir: string, stopAfter?: number) {
  return await train("zf", stripeFaces(), { ...quiet, runDir, profile: "smoke", config: TINY, stopAfter });
}

/**
 * A finished run folder with config `config`, written by the project's own checkpoint writer around an
 * untrained tiny network (the loader reads model.json, never rebuilds the network from the config).
 */
async function fakeRun(runDir: string, config: TrainConfig, epochs = config.epochs): Promise<tf.Tensor> {
  const net = buildNetwork("zf", { width: 1 / 16, inputSize: SIZE, seed: 3 });
  const opt = makeOptimizer(config);
  const history = Array.from({ length: epochs }, (_, i) => ({
    epoch: i + 1,
    loss: 0.19 - 0.001 * i,
    lr: 1e-4,
    activeFraction: 0.9,
    seconds: 10,
    imagesPerSecond: 20,
  }));
  const state: CheckpointState = {
    version: 1,
    config,
    epoch: epochs,
    rng: [1, 2, 3, 4],
    schedule: { lr: 1e-4, best: Infinity, wait: 0 },
    history,
    data: { n: 40, classes: 10, hash: "abc" },
    backend: "cpu",
    savedAt: "2026-01-01T00:00:00.000Z",
  };
  await saveCheckpoint(runDir, net, opt, state);
  const out = net.predict(probe()) as tf.Tensor;
  net.dispose();
  opt.dispose();
  return out;
}

/** Four fixed input images to compare networks by their outputs. */
function probe(): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: 4 * SIZE * SIZE }, (_, i) => Math.sin(i) * 0.9), [
    4,
    SIZE,
    SIZE,
    1,
  ]);
}

Deno.test("runOrigin names the training command that makes a config, and none for an unknown one", () => {
  const ref = runOrigin(referenceConfig("zf", 1200), "zf-reference")!;
  equal(ref.command, "deno task train -- --model zf --recipe reference --steps 1200");
  equal(ref.name, "reference");
  equal(ref.recipeName, "semihard-200");
  equal(ref.steps, 1200);
  equal(
    runOrigin(referenceConfig("inception", 1201), "inc-ref")!.command,
    "deno task train -- --model inception --recipe reference --steps 1201 --run inc-ref",
  );
  equal(
    runOrigin(referenceConfig("inception", 2000, [1200]), "inception-reference")!.command,
    "deno task train -- --model inception --recipe reference --steps 2000 --restart 1200",
    "a warm restart is named",
  );
  equal(runOrigin(referenceConfig("inception", 2000, [1200]), "x")!.steps, 2000);
  equal(
    runOrigin(referenceConfig("inception", 2000, [1200, 800]), "inception-reference")!.command,
    "deno task train -- --model inception --recipe reference --steps 2000 --restart 1200,800",
  );
  // Steps 1 and 2 make the same config (one epoch, decay over steps 1–2): either command reproduces it.
  for (const steps of [1, 2, 3, 49, 50, 51, 999]) {
    const again = runOrigin(referenceConfig("zf", steps), "zf-reference")!.steps!;
    equal(
      canonicalJson(referenceConfig("zf", again)),
      canonicalJson(referenceConfig("zf", steps)),
      `${steps}`,
    );
  }
  equal(
    runOrigin(view1TrainConfig("zf", 800), "zf-view1-reference")!.command,
    "deno task train -- --model zf --recipe reference --steps 800 --people view1",
  );
  equal(
    runOrigin(recipeConfig("pk-50x4", "inception", 2000), "inception-pk-50x4")!.command,
    "deno task train -- --model inception --recipe pk-50x4 --steps 2000",
  );
  equal(
    runOrigin(trainingConfig("zf", "quick"), "zf-quick")!.command,
    "deno task train -- --model zf --profile quick",
  );
  equal(
    runOrigin({ ...trainingConfig("zf", "smoke"), epochs: 5 }, "zf-smoke")!.command,
    "deno task train -- --model zf --profile smoke --epochs 5",
  );
  // Key order does not matter, any other change does.
  const shuffled = Object.fromEntries(Object.entries(referenceConfig("zf", 600)).reverse()) as TrainConfig;
  equal(runOrigin(shuffled, "zf-reference")!.steps, 600);
  equal(runOrigin({ ...referenceConfig("zf", 600), margin: 0.3 }, "zf-reference"), undefined);
  equal(runOrigin({ ...trainingConfig("zf", "smoke"), ...TINY } as TrainConfig, "x"), undefined);
});

Deno.test("ship: weights, history, state and snapshots with a manifest whose sha256s and numbers check out", async () => {
  await withTemp(async (tmp) => {
    const runDir = join(tmp, "zf-tiny");
    const r = await tinyRun(runDir);
    const want = r.model.predict(probe()) as tf.Tensor;
    r.model.dispose();
    const to = join(tmp, "weights", "reference", "zf");
    const lines: string[] = [];
    const m = await shipRun(runDir, to, { log: (s) => lines.push(s) });
    match(lines.join("\n"), /Shipped .*zf-tiny \(2\/2 epochs\)/);
    equal(m.dir, to);

    const files = Object.keys(m.files).sort();
    deepEqual(files, [
      "distances/epoch_0001.json",
      "distances/epoch_0002.json",
      "history.csv",
      "model.json",
      "state.json",
      "weights.bin",
    ]);
    ok(!(await exists(join(to, "optimizer.bin"))), "Adam's moments are not shipped");
    for (const f of files) {
      const path = join(to, ...f.split("/"));
      equal(m.files[f].sha256, await sha256(path), f);
      equal(m.files[f].bytes, (await Deno.stat(path)).size, f);
    }
    // The shipped files are the run's own.
    for (const f of ["model.json", "weights.bin", "state.json"]) {
      equal(await sha256(join(to, f)), await sha256(join(runDir, "checkpoint", f)), f);
    }
    equal(
      await Deno.readTextFile(join(to, "history.csv")),
      await Deno.readTextFile(join(runDir, "history.csv")),
    );

    const state: CheckpointState = JSON.parse(
      await Deno.readTextFile(join(runDir, "checkpoint", "state.json")),
    );
    equal(m.format, "facenet-shipped-run/1");
    equal(m.network, "zf");
    equal(m.finished, true);
    equal(m.partial, undefined);
    deepEqual(m.config, state.config);
    deepEqual(m.epochs, { done: 2, planned: 2 });
    equal(m.batches, 4);
    equal(m.imagesTrained, 2 * 2 * 12, "epochs × batches × batch size");
    equal(m.trainingSeconds, Math.round(state.history.reduce((a, h) => a + h.seconds, 0) * 10) / 10);
    deepEqual(m.data, fingerprint(trainingFaces(stripeFaces(), state.config)));
    equal(m.backend.name, "cpu");
    equal(m.recipe, null, "a tiny test config: no training command makes it");
    equal(m.command, null);
    equal(m.source.run, "zf-tiny");
    // The repository's own commit, asked independently.
    const head = new TextDecoder().decode(
      (await new Deno.Command("git", { args: ["rev-parse", "HEAD"], cwd: REPO_ROOT, stdout: "piped" })
        .output())
        .stdout,
    ).trim();
    equal(m.git?.commit, head);
    equal(typeof m.git?.dirty, "boolean");
    // The code that trained it: this checkout, from epoch 1 (the run trained in this process).
    deepEqual(m.trainedBy, state.code);
    equal(m.trainedBy?.length, 1);
    equal(m.trainedBy?.[0].commit, head);
    equal(m.trainedBy?.[0].fromEpoch, 1);
    deepEqual(await readManifest(to), JSON.parse(JSON.stringify({ ...m, dir: undefined })));

    // The shipped model computes what the trained one did.
    const loaded = await loadModel(to);
    assertAllClose(await (loaded.predict(probe()) as tf.Tensor).data(), await want.data(), 1e-6);
    loaded.dispose();
    want.dispose();
    await verifyShipped(to);
    // Shipping again replaces the folder whole.
    await Deno.writeTextFile(join(to, "stray.txt"), "x");
    await shipRun(runDir, to, { log: () => {} });
    ok(!(await exists(join(to, "stray.txt"))));
  });
});

Deno.test("ship refuses an unfinished run (naming its state file) unless --partial, which the manifest records", async () => {
  await withTemp(async (tmp) => {
    const runDir = join(tmp, "zf-half");
    (await tinyRun(runDir, 1)).model.dispose();
    const to = join(tmp, "out", "zf");
    await rejects(
      shipRun(runDir, to, { log: () => {} }),
      (e: Error) => {
        match(e.message, /zf-half\/checkpoint\/state\.json: the run has finished 1 of its 2 planned epochs/);
        match(e.message, /--partial/);
        return true;
      },
    );
    ok(!(await exists(to)) && !(await exists(`${to}.tmp`)), "nothing is written");
    const m = await shipRun(runDir, to, { partial: true, log: () => {} });
    equal(m.finished, false);
    match(m.partial!, /after 1 of 2 epochs/);
    deepEqual(m.epochs, { done: 1, planned: 2 });
    deepEqual(Object.keys(m.files).filter((f) => f.startsWith("distances/")), ["distances/epoch_0001.json"]);
    // Neither a folder without a checkpoint nor the run itself as the target.
    await rejects(shipRun(tmp, join(tmp, "x"), { log: () => {} }), /checkpoint does not exist/);
    await rejects(shipRun(runDir, join(runDir, "inside"), { partial: true, log: () => {} }), /into itself/);
  });
});

Deno.test("verifyShipped and referenceNetwork name a changed, missing or unlisted-format file", async () => {
  await withTemp(async (tmp) => {
    const runDir = join(tmp, "zf-tiny");
    (await tinyRun(runDir)).model.dispose();
    const root = join(tmp, "shipped");
    const to = join(root, "zf");
    await shipRun(runDir, to, { log: () => {} });
    const opts = { modelsRoot: join(tmp, "models"), shippedRoot: root, log: () => {} };
    (await referenceNetwork("zf", opts)).model.dispose();

    // One byte of the weights changed.
    const bin = join(to, "weights.bin");
    const good = await Deno.readFile(bin);
    const bad = good.slice();
    bad[100] ^= 1;
    await Deno.writeFile(bin, bad);
    await rejects(verifyShipped(to), (e: Error) => {
      match(e.message, /weights\.bin is not the file .*manifest\.json lists \(sha256 [0-9a-f]{12}…/);
      return true;
    });
    await rejects(referenceNetwork("zf", opts), /weights\.bin is not the file/);
    await rejects(loadShipped(to), /weights\.bin is not the file/);
    await Deno.writeFile(bin, good);
    await verifyShipped(to);
    // loadShipped (View 1's shipped network): the same network and state as the run it came from.
    const shipped = await loadShipped(to);
    const own = await loadModel(join(runDir, "checkpoint"));
    const [a, b] = [shipped.model, own].map((m) => (m.predict(probe()) as tf.Tensor).dataSync());
    assertAllClose(a, b, 0);
    equal(shipped.state.epoch, shipped.manifest.epochs.done);
    shipped.model.dispose();
    own.dispose();

    // A snapshot removed, the history edited.
    const snap = join(to, "distances", "epoch_0001.json");
    const snapText = await Deno.readTextFile(snap);
    await Deno.remove(snap);
    await rejects(verifyShipped(to), /epoch_0001\.json, listed in .*manifest\.json, cannot be read/);
    await Deno.writeTextFile(snap, snapText);
    await Deno.writeTextFile(join(to, "history.csv"), "epoch,loss\n1,0.1\n");
    await rejects(verifyShipped(to), /history\.csv is not the file/);

    // A manifest of another format, or of another network.
    const m: Manifest = await readManifest(to);
    await Deno.writeTextFile(join(to, MANIFEST), JSON.stringify({ ...m, format: "other/9" }));
    await rejects(readManifest(to), /manifest .*manifest\.json has format "other\/9"/);
    await Deno.rename(to, join(root, "inception"));
    await Deno.writeTextFile(join(root, "inception", MANIFEST), JSON.stringify(m));
    await rejects(findReference("inception", opts), /manifest of a zf network, not of inception/);
  });
});

Deno.test("referenceNetwork prefers your own finished reference run, then the shipped weights, else says how to make them", async () => {
  await withTemp(async (tmp) => {
    const models = join(tmp, "models");
    const root = join(tmp, "shipped");
    const notes: string[] = [];
    const opts = { modelsRoot: models, shippedRoot: root, log: (s: string) => notes.push(s) };

    // Neither.
    await rejects(referenceNetwork("zf", opts), (e: Error) => {
      match(e.message, /no reference weights for zf: no finished reference run in .*models\/zf-reference/);
      match(e.message, /shipped\/zf\/manifest\.json/);
      match(e.message, /deno task train -- --model zf --recipe reference --steps N --minutes M/);
      match(e.message, /deno task ship/);
      return true;
    });

    // Shipped only.
    const tiny = join(tmp, "zf-tiny");
    const r = await tinyRun(tiny);
    const shippedOut = r.model.predict(probe()) as tf.Tensor;
    r.model.dispose();
    await shipRun(tiny, join(root, "zf"), { log: () => {} });
    let net = await referenceNetwork("zf", opts);
    equal(net.source, "shipped");
    equal(net.dir, join(root, "zf"));
    equal(net.epochsDone, 2);
    ok(net.finished);
    assertAllClose(await (net.model.predict(probe()) as tf.Tensor).data(), await shippedOut.data(), 1e-6);
    net.model.dispose();
    match(notes.at(-1)!, /^zf: using the shipped reference weights .*shipped\/zf \(2\/2 epochs/);
    ok(net.cacheDir.includes(join("reference", "zf-")), "shipped weights cache outside the repository");
    await rejects(referenceNetwork("inception", opts), /no reference weights for inception/);

    // An unfinished own reference run is passed over, saying how to finish it.
    const own = join(models, "zf-reference");
    const cfg = referenceConfig("zf", 100); // 2 epochs of 50 batches
    await fakeRun(own, cfg, 1);
    notes.length = 0;
    net = await referenceNetwork("zf", opts);
    equal(net.source, "shipped");
    net.model.dispose();
    match(notes[0], /Not using your reference run .*zf-reference yet: it has finished 1 of 2 epochs/);
    match(notes[0], /deno task train -- --model zf --recipe reference --steps 100/);

    // A finished own run that is not the reference recipe is passed over too.
    await Deno.remove(own, { recursive: true });
    await fakeRun(own, { ...trainingConfig("zf", "smoke") });
    notes.length = 0;
    net = await referenceNetwork("zf", opts);
    equal(net.source, "shipped");
    net.model.dispose();
    match(notes[0], /its config is not the zf reference recipe's/);

    // A finished own reference run wins over the shipped weights.
    await Deno.remove(own, { recursive: true });
    const ownOut = await fakeRun(own, cfg);
    notes.length = 0;
    net = await referenceNetwork("zf", opts);
    equal(net.source, "run");
    equal(net.dir, own);
    equal(net.cacheDir, own);
    deepEqual(net.config, JSON.parse(JSON.stringify(cfg))); // as saved: undefined fields are left out
    equal(net.epochsDone, 2);
    assertAllClose(await (net.model.predict(probe()) as tf.Tensor).data(), await ownOut.data(), 1e-6);
    net.model.dispose();
    match(
      notes.at(-1)!,
      /^zf: using your finished reference run .*zf-reference \(2 epochs, recipe semihard-200, 100 steps\)/,
    );
    tf.dispose([shippedOut, ownOut]);
  });
});

Deno.test("loading reference weights notes data other than they were trained on", async () => {
  await withTemp(async (tmp) => {
    const tiny = join(tmp, "zf-tiny");
    (await tinyRun(tiny)).model.dispose();
    await shipRun(tiny, join(tmp, "shipped", "zf"), { log: () => {} });
    const notes: string[] = [];
    const opts = {
      modelsRoot: join(tmp, "models"),
      shippedRoot: join(tmp, "shipped"),
      log: (s: string) => notes.push(s),
    };
    (await referenceNetwork("zf", { ...opts, faces: stripeFaces() })).model.dispose();
    ok(!notes.some((n) => n.startsWith("Note")), notes.join("\n"));
    (await referenceNetwork("zf", { ...opts, faces: stripeFaces(10, 4, 1) })).model.dispose();
    match(
      notes.find((n) => n.startsWith("Note"))!,
      /were trained on \{"n":40,"classes":10,"hash":"[0-9a-f]+"\}, but your data give/,
    );
  });
});

Deno.test("notebookNetwork: reference weights where the profile uses them, the profile's training otherwise or with FACENET_RETRAIN=1", async () => {
  await withTemp(async (tmp) => {
    const tiny = join(tmp, "zf-tiny");
    (await tinyRun(tiny)).model.dispose();
    const root = join(tmp, "shipped");
    await shipRun(tiny, join(root, "zf"), { log: () => {} });
    const reference = { modelsRoot: join(tmp, "models"), shippedRoot: root, log: () => {} };
    const faces = stripeFaces();
    const was = Deno.env.get("FACENET_RETRAIN");
    try {
      Deno.env.delete("FACENET_RETRAIN");
      // quick uses reference weights: nothing is trained, the shipped run's history is the history.
      const q = await notebookNetwork("zf", faces, {
        ...quiet,
        profile: "quick",
        reference,
        runDir: join(tmp, "q"),
      });
      q.model.dispose();
      match(q.source, /shipped reference weights/);
      equal(q.runDir, join(root, "zf"));
      equal(q.history.length, 2);
      equal(q.trainedOn, "cpu");
      ok(!(await exists(join(tmp, "q"))), "no training run was started");
      // Its embeddings are cached under the cache root, never in the shipped folder.
      const cacheWas = Deno.env.get("FACENET_CACHE");
      Deno.env.set("FACENET_CACHE", join(tmp, "cache"));
      try {
        const q2 = await notebookNetwork("zf", faces, { ...quiet, profile: "quick", reference });
        ok(q2.cacheDir!.startsWith(join(tmp, "cache", "reference", "zf-")));
        const e = await cachedEmbeddings(q2, faces, "train");
        q2.model.dispose();
        equal(e.fromCache, false);
        ok(await exists(join(q2.cacheDir!, "embeddings-train.f32")));
        await verifyShipped(join(root, "zf"));
        ok(!(await exists(join(root, "zf", "embeddings-train.f32"))));
      } finally {
        if (cacheWas === undefined) Deno.env.delete("FACENET_CACHE");
        else Deno.env.set("FACENET_CACHE", cacheWas);
      }
      // smoke trains (CI checks training); so does quick with FACENET_RETRAIN=1.
      const s = await notebookNetwork("zf", faces, {
        ...quiet,
        profile: "smoke",
        config: TINY,
        reference,
        runDir: join(tmp, "s"),
      });
      s.model.dispose();
      equal(s.runDir, join(tmp, "s"));
      match(s.source, /smoke profile's run/);
      Deno.env.set("FACENET_RETRAIN", "1");
      const t = await notebookNetwork("zf", faces, {
        ...quiet,
        profile: "quick",
        config: TINY,
        reference,
        runDir: join(tmp, "t"),
      });
      t.model.dispose();
      equal(t.runDir, join(tmp, "t"));
      Deno.env.set("FACENET_RETRAIN", "yes");
      await rejects(
        notebookNetwork("zf", faces, { ...quiet, profile: "quick", reference }),
        /FACENET_RETRAIN="yes" must be 0 or 1/,
      );
      // Without reference weights quick trains as before.
      Deno.env.delete("FACENET_RETRAIN");
      const none = { ...reference, shippedRoot: join(tmp, "nothing") };
      const u = await notebookNetwork("zf", faces, {
        ...quiet,
        profile: "quick",
        config: TINY,
        reference: none,
        runDir: join(tmp, "u"),
      });
      u.model.dispose();
      equal(u.runDir, join(tmp, "u"));
    } finally {
      if (was === undefined) Deno.env.delete("FACENET_RETRAIN");
      else Deno.env.set("FACENET_RETRAIN", was);
    }
  });
});
