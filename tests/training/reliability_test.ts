/**
 * Issue #14's training cases: run names cannot leave the models root, a run folder is locked while a
 * training writes it, and a damaged checkpoint (truncated weights or optimizer, an empty state.json)
 * or other data is refused with the file or value named and what to do.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { deepEqual, equal, match, ok, rejects, throws } from "../assert.ts";
import type { FaceSet } from "../../lib/data/faceset.ts";
import { Rng } from "../../lib/rng.ts";
import { weightBytes } from "../../lib/models/io.ts";
import {
  checkRunName,
  loadCheckpoint,
  LOCK_FILE,
  lockRunDir,
  runFolder,
  RunInUseError,
  runLockHolder,
  train,
  type TrainConfig,
} from "../../lib/training/mod.ts";

/** Random 24×24 images of `ids` identities (nothing to learn: these tests only write and read runs). */
function noiseFaces(ids: number, per: number, seed = 1): FaceSet {
  const rng = new Rng(seed);
  const n = ids * per;
  return {
    pixels: Uint8Array.from({ length: n * 24 * 24 }, () => Math.floor(rng.uniform(0, 256))),
    n,
    height: 24,
    width: 24,
    labels: Int32Array.from({ length: n }, (_, i) => Math.floor(i / per)),
    classNames: Array.from({ length: ids }, (_, i) => `p${i}`),
    paths: Array.from({ length: n }, (_, i) => `noise/${i}.png`),
  };
}

const TINY: Partial<TrainConfig> = {
  modelOptions: { width: 1 / 16 },
  epochs: 2,
  batchesPerEpoch: 1,
  batchSize: 12,
  k: 3,
  maxIdentities: null,
  distanceEpochs: [],
  microBatch: 12,
};
const quiet = { progress: false, log: () => {} };

async function withRun(fn: (dir: string, faces: FaceSet) => Promise<void>, trained = true) {
  await tf.setBackend("cpu");
  const dir = await Deno.makeTempDir({ prefix: "facenet_rel_" });
  const faces = noiseFaces(6, 4);
  try {
    if (trained) {
      (await train("zf", faces, { ...quiet, runDir: dir, config: TINY, stopAfter: 1 })).model.dispose();
    }
    await fn(dir, faces);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The pid of a process that has exited (for a stale lock) or of a running `sleep` (a live holder). */
async function deadPid(): Promise<number> {
  const c = new Deno.Command("true").spawn();
  await c.status;
  return c.pid;
}

function writeLock(dir: string, pid: number, started = "2020-01-01T00:00:00.000Z") {
  Deno.writeTextFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, host: Deno.hostname(), started }));
}

Deno.test("run names: one plain folder under the models root; '../../escape' and paths are refused", () => {
  for (const bad of ["../../escape", "..", ".", "", "a/b", "/abs", "a\\b", "x\n"]) {
    throws(() => checkRunName(bad), /must be a plain folder name/, JSON.stringify(bad));
    throws(() => runFolder(bad, "/tmp/models"), RangeError);
  }
  equal(runFolder("zf-smoke", "/tmp/models"), "/tmp/models/zf-smoke");
  equal(runFolder("my run..2", "models"), join("models", "my run..2"));
});

Deno.test("train refuses a run name outside the models root and creates nothing there", async () => {
  const base = await Deno.makeTempDir({ prefix: "facenet_rel_" });
  const before = Deno.env.get("FACENET_MODELS");
  Deno.env.set("FACENET_MODELS", join(base, "a", "models"));
  try {
    await rejects(
      train("zf", noiseFaces(6, 4), { ...quiet, run: "../../escape", config: TINY }),
      /run name "..\/..\/escape" must be a plain folder name/,
    );
    deepEqual([...Deno.readDirSync(base)], []);
  } finally {
    if (before === undefined) Deno.env.delete("FACENET_MODELS");
    else Deno.env.set("FACENET_MODELS", before);
    await Deno.remove(base, { recursive: true });
  }
});

for (const [file, spec] of [["weights.bin", "model.json"], ["optimizer.bin", "optimizer.json"]]) {
  Deno.test(`a truncated ${file} is named, with its expected size and --fresh, instead of a tfjs shape error`, async () => {
    await withRun(async (dir, faces) => {
      const path = join(dir, "checkpoint", file);
      const size = Deno.statSync(path).size;
      await Deno.truncate(path, 1000);
      const want = new RegExp(
        `${path} has 1000 bytes but the weights listed in .*${spec} need ${size}: it is truncated; ` +
          `start the run over with --fresh .* or delete ${dir}`,
      );
      await rejects(loadCheckpoint(dir), want);
      await rejects(train("zf", faces, { ...quiet, runDir: dir, config: TINY }), want);
      equal(runLockHolder(dir), undefined, "the lock is released after the error");
      // --fresh (resume: false) still starts the run over.
      const r = await train("zf", faces, {
        ...quiet,
        runDir: dir,
        config: TINY,
        resume: false,
        stopAfter: 1,
      });
      r.model.dispose();
      equal(Deno.statSync(path).size, size);
    });
  });
}

Deno.test("weightBytes adds up dtype sizes × shapes, counting quantized weights at their stored size", () => {
  equal(
    weightBytes([{ name: "a", shape: [2, 3], dtype: "float32" }, { name: "b", shape: [], dtype: "int32" }]),
    28,
  );
  equal(
    weightBytes([{
      name: "q",
      shape: [10],
      dtype: "float32",
      quantization: { dtype: "uint8", scale: 1, min: 0 },
    }]),
    10,
  );
  equal(weightBytes([{ name: "s", shape: [1], dtype: "string" }]), undefined);
});

Deno.test("state.json of {} or with a wrong field is refused naming the file and the field", async () => {
  await withRun(async (dir, faces) => {
    const path = join(dir, "checkpoint", "state.json");
    const good = JSON.parse(Deno.readTextFileSync(path));
    Deno.writeTextFileSync(path, "{}");
    await rejects(
      loadCheckpoint(dir),
      new RegExp(
        `checkpoint ${path} has no valid "version" \\(expected 1\\); start the run over with --fresh`,
      ),
    );
    await rejects(train("zf", faces, { ...quiet, runDir: dir, config: TINY }), /has no valid "version"/);
    const cases: [string, Record<string, unknown>][] = [
      ["epoch", { epoch: "1" }],
      ["rng", { rng: [1, 2] }],
      ["schedule.lr", { schedule: {} }],
      ["history", { history: [] }],
      ["data.hash", { data: { n: 1, classes: 1 } }],
      ["config", { config: null }],
    ];
    for (const [field, change] of cases) {
      Deno.writeTextFileSync(path, JSON.stringify({ ...good, ...change }));
      await rejects(loadCheckpoint(dir), new RegExp(`${path} has no valid "${field}"`), field);
    }
    Deno.writeTextFileSync(path, "[1]");
    await rejects(loadCheckpoint(dir), /state.json is not a JSON object/);
    Deno.writeTextFileSync(path, JSON.stringify(good));
    const ck = await loadCheckpoint(dir);
    equal(ck?.state.epoch, 1);
    ck?.model.dispose();
    tf.dispose(ck?.optimizer.map((t) => t.tensor));
  });
});

Deno.test("resuming on other data says what to do: --fresh, another --run, or the same data", async () => {
  await withRun(async (dir) => {
    await rejects(
      train("zf", noiseFaces(6, 4, 2), { ...quiet, runDir: dir, config: TINY }),
      /trained on different data .*; start over with --fresh \(resume: false\), use another --run, or train on the data it was trained on/,
    );
  });
});

Deno.test("a run folder held by a live process is refused at once, untouched", async () => {
  await withRun(async (dir, faces) => {
    const holder = new Deno.Command("sleep", { args: ["60"] }).spawn();
    try {
      writeLock(dir, holder.pid, "2024-05-01T10:00:00.000Z");
      const want = new RegExp(
        `run folder .* is in use by pid ${holder.pid} \\(started 2024-05-01T10:00:00.000Z\\); ` +
          `wait for it or use another --run`,
      );
      await rejects(
        train("zf", faces, { ...quiet, runDir: dir, config: TINY, resume: false }),
        (e: unknown) => e instanceof RunInUseError && want.test(e.message),
      );
      equal(runLockHolder(dir)?.pid, holder.pid, "the holder's lock is left alone");
      deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [LOCK_FILE], "nothing written");
    } finally {
      holder.kill();
      await holder.status;
    }
  }, false);
});

Deno.test("a stale lock (its process is gone) is taken over with a note; the lock is released after the run", async () => {
  await withRun(async (dir, faces) => {
    const pid = await deadPid();
    writeLock(dir, pid);
    const lines: string[] = [];
    const r = await train("zf", faces, {
      progress: false,
      log: (s) => lines.push(s),
      runDir: dir,
      config: TINY,
    });
    r.model.dispose();
    equal(r.epochsDone, 2);
    match(
      lines[0],
      new RegExp(`taking over a stale lock of pid ${pid} \\(started 2020-01-01.*\\), which no longer runs`),
    );
    ok(!existsSync(join(dir, LOCK_FILE)));
  });
});

Deno.test("lockRunDir: O_EXCL lock file with pid and start time, re-entrant in one process, released once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facenet_rel_" });
  try {
    const a = lockRunDir(dir);
    const info = runLockHolder(dir);
    equal(info?.pid, Deno.pid);
    ok(!Number.isNaN(Date.parse(info!.started)));
    {
      using _b = lockRunDir(dir); // the script locks, then train locks again
    }
    equal(runLockHolder(dir)?.pid, Deno.pid, "still held after the inner release");
    a.release();
    a.release();
    ok(!existsSync(join(dir, LOCK_FILE)));
    // A lock file still being written (empty, just created) is not taken for a stale one.
    Deno.writeTextFileSync(join(dir, LOCK_FILE), "");
    throws(() => lockRunDir(dir), /is in use by another process/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Ctrl-C in the middle of an epoch ends the training at once and removes its lock", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facenet_interrupt_" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tests/training/train_child.ts", dir],
    cwd: new URL("../..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("training")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    ok(out.includes("training"), `the child did not start training: ${out}`);
    ok(existsSync(join(dir, LOCK_FILE)), "the run is locked while it trains");
    await new Promise((r) => setTimeout(r, 1500)); // well inside the epoch of 100,000 batches
    const sent = performance.now();
    child.kill("SIGINT");
    const status = await child.status;
    const waited = (performance.now() - sent) / 1000;
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel();
    equal(status.code, 130, "exits as SIGINT would");
    // Before the fix the signal waited for the epoch's end: here minutes, and the 60 s guard killed it.
    ok(waited < 20, `exited ${waited.toFixed(1)} s after Ctrl-C`);
    ok(!existsSync(join(dir, LOCK_FILE)), "lock removed");
  } finally {
    clearTimeout(killer);
    await Deno.remove(dir, { recursive: true });
  }
});
