/**
 * Training and embedding throughput of the two FaceNet networks on this machine's TensorFlow.js
 * backends, optionally side by side with the PyTorch peer (../shared/bench/peer_torch.py).
 *
 *   deno task bench                                   table: every available backend, both models
 *   deno task bench -- --model zf --batch 32 --steps 5 --json    one JSON line (this process's backend)
 *   deno task bench -- --peer                         table plus PyTorch and the ratios
 * Options: --model zf|inception, --batch N, --steps N, --backend wasm|cpu|node|node-gpu|webgpu,
 * --threads N (wasm), --peer, --cpu (include the pure-JS backend in the table; slow), --profile,
 * --repeat N (JSON: N rounds alternating with the peer; medians, and the median per-round ratio).
 *
 * train_img_s: one SGD step of a triplet-style loss (forward, backward, update) per batch, timed
 * over --steps steps after one warm-up step; embed_img_s: inference, likewise.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { exitWithUsage, parseScriptArgs } from "../scripts/args.ts";
import { type BackendChoice, setupBackend } from "../lib/backend.ts";
import { buildNetwork, isModelKind, MODEL_KINDS, type ModelKind } from "../lib/models/networks.ts";
import { embed, halvesDistanceLoss, trainableVariables, trainStep } from "./train_step.ts";

type ModelName = ModelKind;
const PEER = new URL("../../shared/bench/peer_torch.py", import.meta.url).pathname;

export interface BenchResult {
  backend: string;
  /** What computed: `CPU`, or the GPU (lib/backend.ts's BackendInfo.device). */
  device?: string;
  threads: number;
  model: ModelName;
  params: number;
  batch: number;
  steps: number;
  train_img_s: number;
  embed_img_s: number;
  /** Live tensors after the warm-up step and after the last timed step (equal: no leak). */
  tensors_after_warmup: number;
  tensors_after_steps: number;
}

interface PeerResult {
  peer: string;
  model: string;
  train_img_s: number;
  embed_img_s: number;
  params: number;
}

function countParams(model: tfl.LayersModel): number {
  return model.weights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

/** Top kernels of one training step by time, from tf.profile. */
async function profileStep(step: () => void): Promise<string> {
  const info = await tf.profile(step);
  const by = new Map<string, number>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = Number(k.kernelTimeMs);
    total += ms;
    by.set(k.name, (by.get(k.name) ?? 0) + ms);
  }
  const rows = [...by].sort((a, b) => b[1] - a[1]).slice(0, 15);
  return [`kernel time ${total.toFixed(0)} ms in ${info.kernels.length} kernels:`]
    .concat(
      rows.map(([n, ms]) =>
        `  ${n.padEnd(24)} ${ms.toFixed(1).padStart(8)} ms ${(100 * ms / total).toFixed(1).padStart(5)}%`
      ),
    )
    .join("\n");
}

/** Measure one model on the backend this process has set up. */
export async function benchModel(
  name: ModelName,
  batch: number,
  steps: number,
  opts: { profile?: boolean } = {},
): Promise<BenchResult & { profile?: string }> {
  const model = buildNetwork(name);
  const optimizer = tf.train.sgd(0.05);
  const vars = trainableVariables(model);
  const x = tf.randomNormal([batch, 96, 96, 1], 0, 1, "float32", 1);
  const step = async () => {
    const loss = trainStep(model, optimizer, halvesDistanceLoss, x, {}, vars);
    await loss.data(); // wait for the backend to finish
    loss.dispose();
  };
  await step();
  const tensorsAfterWarmup = tf.memory().numTensors;
  let t = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const train = (batch * steps) / ((performance.now() - t) / 1000);
  const tensorsAfterSteps = tf.memory().numTensors;
  const profile = opts.profile ? await profileStep(() => void step()) : undefined;

  const inferOnce = async () => {
    const e = embed(model, x);
    await e.data();
    e.dispose();
  };
  await inferOnce();
  t = performance.now();
  for (let i = 0; i < steps; i++) await inferOnce();
  const embedRate = (batch * steps) / ((performance.now() - t) / 1000);
  const info = await setupBackend({ quiet: true });
  const params = countParams(model);
  x.dispose();
  optimizer.dispose();
  model.dispose();
  return {
    backend: info.name,
    device: info.device,
    threads: info.threads,
    model: name,
    params,
    batch,
    steps,
    train_img_s: round(train),
    embed_img_s: round(embedRate),
    tensors_after_warmup: tensorsAfterWarmup,
    tensors_after_steps: tensorsAfterSteps,
    ...(profile ? { profile } : {}),
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * One JSON line: our throughputs (medians over the rounds), the peer's, and the median of the
 * per-round ratios; with more than one round, every round's figures too.
 */
export function summarise(
  ours: BenchResult[],
  peers: PeerResult[],
  peerError?: string,
): Record<string, unknown> {
  const last = ours[ours.length - 1];
  const line: Record<string, unknown> = {
    ...last,
    train_img_s: round(median(ours.map((r) => r.train_img_s))),
    embed_img_s: round(median(ours.map((r) => r.embed_img_s))),
  };
  if (ours.length > 1) {
    line.rounds = ours.length;
    line.train_img_s_rounds = ours.map((r) => r.train_img_s);
    line.embed_img_s_rounds = ours.map((r) => r.embed_img_s);
  }
  if (peerError) return { ...line, peer_error: peerError };
  if (peers.length === 0) return line;
  const trainRatios = peers.map((p, i) => ours[i].train_img_s / Number(p.train_img_s));
  const embedRatios = peers.map((p, i) => ours[i].embed_img_s / Number(p.embed_img_s));
  Object.assign(line, {
    peer: peers[0].peer,
    peer_train_img_s: round(median(peers.map((p) => Number(p.train_img_s)))),
    peer_embed_img_s: round(median(peers.map((p) => Number(p.embed_img_s)))),
    train_ratio: round(median(trainRatios)),
    embed_ratio: round(median(embedRatios)),
  });
  if (peers.length > 1) {
    line.peer_train_img_s_rounds = peers.map((p) => Number(p.train_img_s));
    line.peer_embed_img_s_rounds = peers.map((p) => Number(p.embed_img_s));
    line.train_ratio_rounds = trainRatios.map(round);
  }
  return line;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

async function runJson(args: string[]): Promise<Record<string, unknown> | string> {
  const out = await new Deno.Command(args[0], { args: args.slice(1), stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (!out.success || !text) {
    // deno prints "error: Uncaught (in promise) Error: <message>" before the stack.
    const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
    const lines = new TextDecoder().decode(out.stderr).replace(ansi, "").split("\n");
    const err = lines.find((l) => /error/i.test(l)) ?? lines.filter((l) => l.trim()).pop() ?? "";
    return `failed (exit ${out.code}): ${err.trim()}`;
  }
  return JSON.parse(text);
}

function peerCommand(model: ModelName, batch: number, steps: number, threads: number): string[] {
  return [
    "/usr/bin/python3",
    PEER,
    "--model",
    model,
    "--batch",
    String(batch),
    "--threads",
    String(threads),
    "--steps",
    String(steps),
  ];
}

const USAGE = "usage: deno task bench [--model zf|inception] [--batch N] [--steps N]\n" +
  "         [--backend wasm|cpu|node|node-gpu|webgpu] [--threads N] [--json] [--peer] [--cpu] [--profile] [--repeat N]";

const OPTIONS = {
  model: { type: "string" },
  batch: { type: "string", default: "32" },
  steps: { type: "string", default: "5" },
  backend: { type: "string" },
  threads: { type: "string" },
  json: { type: "boolean", default: false },
  peer: { type: "boolean", default: false },
  cpu: { type: "boolean", default: false },
  profile: { type: "boolean", default: false },
  repeat: { type: "string", default: "1" },
} as const;

async function main() {
  const o = benchArgs();
  if (o.values.json) await measureHere(o);
  else await tableOfProcesses(o);
}

/** The command line, checked: a wrong value exits with the usage. */
function benchArgs() {
  const values = parseScriptArgs(OPTIONS, USAGE);
  const batch = Number(values.batch);
  const steps = Number(values.steps);
  if (!Number.isInteger(batch) || batch < 2) {
    exitWithUsage(`--batch must be an integer ≥ 2, got ${values.batch}`, USAGE);
  }
  if (!Number.isInteger(steps) || steps < 1) {
    exitWithUsage(`--steps must be a positive integer, got ${values.steps}`, USAGE);
  }
  if (values.model !== undefined && !isModelKind(values.model)) {
    exitWithUsage(`--model must be one of ${MODEL_KINDS.join(", ")}, got ${values.model}`, USAGE);
  }
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) {
    exitWithUsage(`--repeat must be a positive integer, got ${values.repeat}`, USAGE);
  }
  return { values, batch, steps, threads, repeat };
}

type BenchArgs = ReturnType<typeof benchArgs>;

/** `--json`: measure in this process (and, with `--peer`, the PyTorch peer after each round). */
async function measureHere({ values, batch, steps, threads, repeat }: BenchArgs) {
  // Measurements in this process; with --repeat, rounds alternate with the peer's so that each
  // ratio compares runs made moments apart (this machine's speed drifts by ±20% over minutes).
  const model = (values.model ?? "zf") as ModelName;
  await setupBackend({ choice: values.backend as BackendChoice | undefined, threads, quiet: true });
  const ours: BenchResult[] = [];
  const peers: PeerResult[] = [];
  let peerError: string | undefined;
  for (let i = 0; i < repeat; i++) {
    const r = await benchModel(model, batch, steps, { profile: values.profile && i === 0 });
    const { profile, ...row } = r;
    if (profile) console.error(profile);
    ours.push(row);
    if (values.peer && !peerError) {
      const p = await runJson(peerCommand(model, batch, steps, r.threads > 1 ? r.threads : 2));
      if (typeof p === "string") peerError = p;
      else peers.push(p as unknown as PeerResult);
    }
  }
  console.log(JSON.stringify(summarise(ours, peers, peerError)));
}

/** The table: each configuration in a fresh process (a process holds one backend). */
async function tableOfProcesses({ values, batch, steps, threads }: BenchArgs) {
  const models = values.model ? [values.model as ModelName] : [...MODEL_KINDS];
  const cores = navigator.hardwareConcurrency || 1;
  const configs: { backend: string; threads?: number; steps: number }[] = [];
  if (values.backend) configs.push({ backend: values.backend, threads, steps });
  else {
    configs.push({ backend: "node", steps }, { backend: "wasm", threads: 1, steps });
    if (cores > 1) configs.push({ backend: "wasm", threads: cores, steps });
    if (values.cpu) configs.push({ backend: "cpu", steps: 1 });
  }
  const rows: string[][] = [];
  const notes: string[] = [];
  if (!values.cpu && !values.backend) {
    notes.push("cpu (pure JS) skipped: ~100× slower than wasm; add --cpu to run it with 1 step");
  }
  for (const m of models) {
    let peer: PeerResult | undefined;
    if (values.peer) {
      const p = await runJson(peerCommand(m, batch, steps, cores));
      if (typeof p === "string") notes.push(`PyTorch peer (${m}): ${p}`);
      else {
        peer = p as unknown as PeerResult;
        rows.push([
          m,
          `${peer.peer}`,
          String(cores),
          String(peer.params),
          fmt(peer.train_img_s),
          fmt(peer.embed_img_s),
          "1.00",
          "1.00",
        ]);
      }
    }
    for (const c of configs) await measureConfig(m, c, batch, peer, rows, notes);
  }
  printTable([
    "model",
    "engine",
    "threads",
    "params",
    "train img/s",
    "embed img/s",
    "train ×peer",
    "embed ×peer",
  ], rows);
  console.log(`batch ${batch}, ${steps} timed steps after 1 warm-up step; ${cores} logical cores`);
  for (const n of notes) console.log(`note: ${n}`);
}

/** One configuration of the table, run as `deno run bench.ts --json` in a child process: its row goes
 * to `rows`, what went wrong or looks off to `notes`. */
async function measureConfig(
  m: ModelName,
  c: { backend: string; threads?: number; steps: number },
  batch: number,
  peer: PeerResult | undefined,
  rows: string[][],
  notes: string[],
) {
  const self = new URL(import.meta.url).pathname;
  const args = [
    "run",
    "-A",
    self,
    "--json",
    "--model",
    m,
    "--batch",
    String(batch),
    "--steps",
    String(c.steps),
    "--backend",
    c.backend,
  ];
  if (c.threads !== undefined) args.push("--threads", String(c.threads));
  const r = await runJson([Deno.execPath(), ...args]);
  if (typeof r === "string") {
    notes.push(`${c.backend}${c.threads ? ` ×${c.threads}` : ""} (${m}): ${r}`);
    return;
  }
  const res = r as unknown as BenchResult;
  if (c.threads !== undefined && res.threads !== c.threads) {
    notes.push(`wasm asked for ${c.threads} threads, got ${res.threads}`);
  }
  const ratio = (v: number, p?: number) => (p ? (v / p).toFixed(2) : "");
  rows.push([
    m,
    `tfjs ${res.backend}`,
    String(res.threads),
    String(res.params),
    fmt(res.train_img_s),
    fmt(res.embed_img_s),
    ratio(res.train_img_s, peer?.train_img_s),
    ratio(res.embed_img_s, peer?.embed_img_s),
  ]);
  if (res.tensors_after_steps !== res.tensors_after_warmup) {
    notes.push(
      `${m} on ${res.backend}: live tensors grew ${res.tensors_after_warmup} → ${res.tensors_after_steps}`,
    );
  }
}

function fmt(v: number): string {
  return v.toFixed(v < 10 ? 2 : 1);
}

function printTable(head: string[], rows: string[][]) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  console.log(line(head));
  console.log(w.map((n) => "-".repeat(n)).join("  "));
  for (const r of rows) console.log(line(r));
}

if (import.meta.main) {
  // Any failure is one line, not a stack: e.g. a forced backend that cannot start (node-gpu without a
  // GPU) says what is missing (BackendUnavailableError's message).
  await main().catch((e) => {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  });
}
