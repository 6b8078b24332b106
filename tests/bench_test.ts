import { deepEqual, equal } from "./assert.ts";
import { type BenchResult, summarise } from "../bench/bench.ts";

function ours(train: number, embed: number): BenchResult {
  return {
    backend: "wasm",
    threads: 2,
    model: "zf",
    params: 10,
    batch: 32,
    steps: 5,
    train_img_s: train,
    embed_img_s: embed,
    tensors_after_warmup: 3,
    tensors_after_steps: 3,
  };
}

const peer = (train: number, embed: number) => ({
  peer: "pytorch",
  model: "zf",
  params: 10,
  train_img_s: train,
  embed_img_s: embed,
});

Deno.test("bench summary: one round passes the figures through", () => {
  const line = summarise([ours(20, 100)], [peer(40, 200)]);
  equal(line.train_img_s, 20);
  equal(line.train_ratio, 0.5);
  equal(line.embed_ratio, 0.5);
  equal(line.rounds, undefined);
});

Deno.test("bench summary: the ratio is the median of per-round ratios, not a ratio of medians", () => {
  // Rounds where the machine ran fast for both, slow for both, and in between.
  const line = summarise(
    [ours(30, 90), ours(10, 30), ours(20, 60)],
    [peer(60, 300), peer(40, 100), peer(100, 120)],
  );
  // per round: 30/60 = 0.5, 10/40 = 0.25, 20/100 = 0.2 → median 0.25; medians' ratio would be 20/60.
  equal(line.train_ratio, 0.25);
  equal(line.embed_ratio, 0.3); // 90/300 = 0.3, 30/100 = 0.3, 60/120 = 0.5
  equal(line.train_img_s, 20);
  equal(line.peer_train_img_s, 60);
  equal(line.rounds, 3);
  deepEqual(line.train_ratio_rounds, [0.5, 0.25, 0.2]);
});

Deno.test("bench summary: a peer failure is reported, not hidden", () => {
  const line = summarise([ours(20, 100)], [], "failed (exit 1): no torch");
  equal(line.peer_error, "failed (exit 1): no torch");
  equal(line.train_ratio, undefined);
});
