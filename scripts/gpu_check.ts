/**
 * `deno task gpu-check`: which GPU routes work on this machine, and whether they train correctly.
 *
 * 1. Each route (node-gpu: tfjs-node-gpu on CUDA; webgpu: Deno's WebGPU) is started in its own
 *    process with FACENET_BACKEND forcing it; a route counts as available only when it computes on
 *    a GPU (a software WebGPU adapter is reported, with the reason, as unavailable).
 * 2. On each available route: `--steps` training steps of the Zeiler&Fergus network at batch
 *    `--batch` (200, the slides'; 1 untimed warm-up step first) with the training loop's own
 *    gradient function, giving img/s; then `--compare-steps` steps from fresh weights with
 *    micro-batches of 50, whose losses are compared with the same steps on the CPU (wasm, which
 *    needs those micro-batches): equal chunks give equal batch-norm statistics, so the losses must
 *    agree to float32 rounding (relative tolerance 1e-3 after a few SGD steps).
 * 3. One JSON line at the end: {"routes": {...}, "reference": ..., "ok": ...}.
 *
 * Options: --batch N (200), --steps N (5), --compare-steps N (3), --software (also run webgpu on a
 * software adapter; slow: use a small --batch). Exit status 0 when every available route agrees
 * with the CPU (also when none is available), 1 otherwise.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers";
import { exitWithUsage, parseScriptArgs } from "./args.ts";
import { BackendUnavailableError, setupBackend } from "../lib/backend.ts";
import { findCudaLibraries, nvidiaGpus, probeWebGpu } from "../lib/gpu/mod.ts";
import { computeBatchGradientsAsync } from "../lib/gpu/train_step.ts";
import { buildZeilerFergus } from "../lib/models/zeiler_fergus.ts";
import {
  chunkRanges,
  computeBatchGradients,
  makeOptimizer,
  microBatchFor,
  trainingConfig,
} from "../lib/training/mod.ts";
import { Rng } from "../lib/rng.ts";

const ROUTES = ["node-gpu", "webgpu"] as const;
const TOLERANCE = 1e-3;
const USAGE = "usage: deno task gpu-check [--batch N] [--steps N] [--compare-steps N] [--software]";
const OPTIONS = {
  batch: { type: "string", default: "200" },
  steps: { type: "string", default: "5" },
  "compare-steps": { type: "string", default: "3" },
  software: { type: "boolean", default: false },
  child: { type: "string" },
} as const;

interface ChildResult {
  backend: string;
  device: string;
  gpu: boolean;
  img_s?: number;
  microBatch?: number;
  losses: number[];
}

/** `steps` training steps on synthetic faces (4 images for each of batch/4 identities). */
async function trainSteps(batch: number, steps: number, micro: number, timed: boolean) {
  const cfg = { ...trainingConfig("zf", "full"), microBatch: micro };
  const net = buildZeilerFergus({ seed: 1 });
  const vars = net.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = makeOptimizer(cfg);
  const rng = new Rng(2);
  const pixels = Float32Array.from({ length: batch * 96 * 96 }, () => rng.next());
  const labels = Int32Array.from({ length: batch }, (_, i) => Math.floor(i / 4));
  const asyncReads = tf.getBackend() === "webgpu";
  const losses: number[] = [];
  let t0 = 0;
  for (let s = 0; s <= steps; s++) {
    if (s === 1) t0 = performance.now(); // step 0 is the warm-up (kernel compilation)
    const x = tf.tensor4d(pixels, [batch, 96, 96, 1]);
    const chunks = chunkRanges(batch, micro);
    const seeds = chunks.map((_, i) => 1000 * s + i);
    const r = asyncReads
      ? await computeBatchGradientsAsync(net, optimizer, vars, x, labels, chunks, seeds, cfg)
      : computeBatchGradients(net, optimizer, vars, x, labels, chunks, seeds, cfg);
    optimizer.applyGradients(r.grads);
    tf.dispose(r.grads);
    losses.push(r.loss);
  }
  // Wait for the last update before stopping the clock.
  await vars[vars.length - 1].data();
  const seconds = (performance.now() - t0) / 1000;
  optimizer.dispose();
  net.dispose();
  return { losses, img_s: timed ? Math.round((batch * steps / seconds) * 100) / 100 : undefined };
}

async function child(route: string, batch: number, steps: number, compareSteps: number, software: boolean) {
  const info = await setupBackend({ quiet: true });
  const out: ChildResult = { backend: info.choice, device: info.device, gpu: info.gpu, losses: [] };
  if (route !== "wasm" && !info.gpu && !software) {
    console.log(JSON.stringify(out));
    return;
  }
  if (route !== "wasm") {
    const micro = microBatchFor({ microBatch: "auto" }, batch);
    out.microBatch = micro;
    out.img_s = (await trainSteps(batch, steps, micro, true)).img_s;
  }
  out.losses = (await trainSteps(batch, compareSteps - 1, 50, false)).losses;
  console.log(JSON.stringify(out));
}

async function runChild(route: string, args: string[]): Promise<ChildResult | string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--child", route, ...args],
    env: { FACENET_BACKEND: route },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (out.success && text) return JSON.parse(text);
  const err = new TextDecoder().decode(out.stderr).split("\n").find((l) => l.startsWith("error:")) ??
    `exit ${out.code}`;
  return err.replace(/^error: (Uncaught \(in promise\) )?/, "");
}

/** Put the route's losses next to the CPU reference's in `row`; false when they differ beyond TOLERANCE. */
function compareWithCpu(row: Record<string, unknown>, r: ChildResult, ref: ChildResult | string): boolean {
  if (typeof ref === "string") {
    row.compare = `no CPU reference: ${ref}`;
    return true;
  }
  const rel = Math.max(
    ...r.losses.map((l, i) => Math.abs(l - ref.losses[i]) / Math.max(1e-12, Math.abs(ref.losses[i]))),
  );
  row.cpu_losses = ref.losses;
  row.max_rel_loss_diff = rel;
  row.agrees = rel <= TOLERANCE;
  return row.agrees as boolean;
}

async function main() {
  const v = parseScriptArgs(OPTIONS, USAGE);
  const batch = Number(v.batch);
  const steps = Number(v.steps);
  const compareSteps = Number(v["compare-steps"]);
  for (
    const [k, n, min] of [["batch", batch, 2], ["steps", steps, 1], [
      "compare-steps",
      compareSteps,
      1,
    ]] as const
  ) {
    if (!Number.isInteger(n) || n < min) exitWithUsage(`--${k} must be an integer ≥ ${min}, got ${n}`, USAGE);
  }
  if (v.child) {
    try {
      await child(v.child, batch, steps, compareSteps, v.software);
    } catch (e) {
      if (!(e instanceof BackendUnavailableError)) throw e;
      console.error(`error: ${e.message}`);
      Deno.exit(1);
    }
    return;
  }
  const args = ["--batch", String(batch), "--steps", String(steps), "--compare-steps", String(compareSteps)];
  if (v.software) args.push("--software");

  // What the machine offers, independently of the backends.
  const cuda = findCudaLibraries();
  const gpus = nvidiaGpus();
  const probe = await probeWebGpu();
  console.log(
    `NVIDIA GPUs (nvidia-smi): ${gpus === undefined ? "nvidia-smi not found" : gpus.join("; ") || "none"}`,
  );
  console.log(
    `CUDA 11 / cuDNN 8 libraries: ${
      cuda.missing.length ? `missing ${cuda.missing.join(", ")}` : "all found"
    }`,
  );
  console.log(`WebGPU adapter: ${probe.adapter ? JSON.stringify(probe.adapter) : probe.reason}`);

  const routes: Record<string, Record<string, unknown>> = {};
  let reference: ChildResult | string | undefined;
  let ok = true;
  for (const route of ROUTES) {
    const r = await runChild(route, args);
    if (typeof r === "string") {
      routes[route] = { available: false, reason: r };
    } else if (!r.gpu && !(v.software && route === "webgpu")) {
      routes[route] = { available: false, reason: `computes on the CPU: ${r.device}`, device: r.device };
    } else {
      reference ??= await runChild("wasm", args);
      const row: Record<string, unknown> = {
        available: r.gpu,
        device: r.device,
        batch,
        steps,
        micro_batch: r.microBatch,
        img_s: r.img_s,
        losses: r.losses,
      };
      if (!compareWithCpu(row, r, reference)) ok = false;
      routes[route] = row;
    }
    const row = routes[route];
    console.log(
      `${route}: ${
        row.available || row.img_s !== undefined
          ? `${row.device}, ${row.img_s} img/s at batch ${batch}, losses ${
            JSON.stringify(row.losses)
          } vs cpu ${JSON.stringify(row.cpu_losses)}`
          : `unavailable — ${row.reason}`
      }`,
    );
  }
  console.log(JSON.stringify({ routes, tolerance: TOLERANCE, ok }));
  if (!ok) Deno.exit(1);
}

if (import.meta.main) {
  await main().catch((e) => {
    console.error(`gpu-check failed: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  });
}
