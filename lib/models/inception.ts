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
  // #region exercise 2: The Inception module
  // Task: build one inception block of NN2 (paper Table 2, one row `r` of it) on the input `x`:
  //   parallel branches concatenated on the channel axis by a layer named r.key. The branches, in
  //   this order: a 1×1 convolution with r.n1x1 filters (only if r.n1x1 > 0); a 1×1 reduction to
  //   r.n3x3Reduce channels then a 3×3 convolution with r.n3x3 filters and stride r.stride; the same
  //   with 5×5 (r.n5x5Reduce, r.n5x5); a 3×3 max pool with stride r.stride, then a 1×1 projection to
  //   r.poolProj channels if r.poolProj > 0. Layer names are r.key followed by _1x1, _3x3_reduce,
  //   _3x3, _5x5_reduce, _5x5, _pool and _pool_proj: the summary table groups layers by that prefix.
  // Hint: the Builder `b` (./common.ts) makes ReLU convolutions, conv(input, name, filters, kernel,
  //   strides), and max pools, maxPool(input, name, size, strides), all with 'same' padding.
  // Hint: tfjs-layers' concatenate layer (axis −1) applied to an array of tensors joins the branches.
  // Tests: Inception NN2 at 96×96×1: 7,450,032 parameters
  // Tests: tiny versions of both networks output unit-length 128-d embeddings
  const p = r.key;
  const branches: SymbolicTensor[] = [];
  if (r.n1x1 > 0) branches.push(b.conv(x, `${p}_1x1`, r.n1x1, 1));
  branches.push(b.conv(b.conv(x, `${p}_3x3_reduce`, r.n3x3Reduce, 1), `${p}_3x3`, r.n3x3, 3, r.stride));
  branches.push(b.conv(b.conv(x, `${p}_5x5_reduce`, r.n5x5Reduce, 1), `${p}_5x5`, r.n5x5, 5, r.stride));
  const pooled = b.maxPool(x, `${p}_pool`, 3, r.stride);
  branches.push(r.poolProj > 0 ? b.conv(pooled, `${p}_pool_proj`, r.poolProj, 1) : pooled);
  return tfl.layers.concatenate({ name: p, axis: -1 }).apply(branches) as SymbolicTensor;
  // #endregion exercise 2
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
