/**
 * FaceNet's Inception network NN2 (paper Table 2) at the slides' 96×96×1 input, as the course
 * built it: the paper's filter counts, L2 pooling replaced by max pooling, local response
 * normalisation after conv1's pool and after inception (2), global average pooling, a 128-unit
 * fully connected layer and L2 normalisation. 7,450,032 parameters, all trainable.
 */
import * as tfl from "@tensorflow/tfjs-layers";
import { Builder, type ModelOptions, type SymbolicTensor } from "./common.ts";
import { L2Normalize, LocalResponseNorm } from "./layers.ts";
import { NN2_INCEPTION_BLOCKS, type Nn2Row } from "./paper_tables.ts";

export type { ModelOptions };

/** One inception block: parallel 1×1, 1×1→3×3, 1×1→5×5 and pool(→1×1) branches, concatenated on channels. */
function inceptionBlock(b: Builder, x: SymbolicTensor, r: Nn2Row): SymbolicTensor {
  const p = r.key;
  const branches: SymbolicTensor[] = [];
  if (r.n1x1 > 0) branches.push(b.conv(x, `${p}_1x1`, r.n1x1, 1));
  branches.push(b.conv(b.conv(x, `${p}_3x3_reduce`, r.n3x3Reduce, 1), `${p}_3x3`, r.n3x3, 3, r.stride));
  branches.push(b.conv(b.conv(x, `${p}_5x5_reduce`, r.n5x5Reduce, 1), `${p}_5x5`, r.n5x5, 5, r.stride));
  const pooled = b.maxPool(x, `${p}_pool`, 3, r.stride);
  branches.push(r.poolProj > 0 ? b.conv(pooled, `${p}_pool_proj`, r.poolProj, 1) : pooled);
  return tfl.layers.concatenate({ name: p, axis: -1 }).apply(branches) as SymbolicTensor;
}

/** Build the NN2 Inception network (a functional tfjs-layers model named `inception_nn2`). */
export function buildInception(opts: ModelOptions = {}): tfl.LayersModel {
  const b = new Builder(opts);
  const input = b.input();
  let x = b.conv(input, "conv1", 64, 7, 2);
  x = b.maxPool(x, "pool1");
  x = new LocalResponseNorm({ name: "norm1" }).apply(x) as SymbolicTensor;
  x = b.conv(x, "inception_2_3x3_reduce", 64, 1);
  x = b.conv(x, "inception_2_3x3", 192, 3);
  x = new LocalResponseNorm({ name: "norm2" }).apply(x) as SymbolicTensor;
  x = b.maxPool(x, "pool2");
  for (const r of NN2_INCEPTION_BLOCKS) x = inceptionBlock(b, x, r);
  x = tfl.layers.globalAveragePooling2d({ name: "avg_pool" }).apply(x) as SymbolicTensor;
  x = b.dense(x, "fc", b.embeddingDim, "linear", false);
  const out = new L2Normalize({ name: "l2" }).apply(x) as SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: "inception_nn2" });
}
