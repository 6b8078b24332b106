/**
 * The FaceNet paper's two architecture tables as data (Schroff, Kalenichenko & Philbin 2015,
 * Table 1 "NN1" and Table 2 "NN2"), transcribed for side-by-side comparison with the networks
 * built here. The paper's inputs are 220×220×3 (NN1) and 224×224×3 (NN2); its parameter column
 * counts weights without biases, rounded (K = thousand, M = million).
 */

/** One row of Table 1 (the Zeiler&Fergus-based NN1). */
export interface Nn1Row {
  layer: string;
  sizeIn: string;
  sizeOut: string;
  kernel: string;
  params: string;
  flops: string;
}

export const NN1_TABLE: readonly Nn1Row[] = [
  {
    layer: "conv1",
    sizeIn: "220×220×3",
    sizeOut: "110×110×64",
    kernel: "7×7×3, 2",
    params: "9K",
    flops: "115M",
  },
  { layer: "pool1", sizeIn: "110×110×64", sizeOut: "55×55×64", kernel: "3×3×64, 2", params: "0", flops: "" },
  { layer: "rnorm1", sizeIn: "55×55×64", sizeOut: "55×55×64", kernel: "", params: "0", flops: "" },
  {
    layer: "conv2a",
    sizeIn: "55×55×64",
    sizeOut: "55×55×64",
    kernel: "1×1×64, 1",
    params: "4K",
    flops: "13M",
  },
  {
    layer: "conv2",
    sizeIn: "55×55×64",
    sizeOut: "55×55×192",
    kernel: "3×3×64, 1",
    params: "111K",
    flops: "335M",
  },
  { layer: "rnorm2", sizeIn: "55×55×192", sizeOut: "55×55×192", kernel: "", params: "0", flops: "" },
  { layer: "pool2", sizeIn: "55×55×192", sizeOut: "28×28×192", kernel: "3×3×192, 2", params: "0", flops: "" },
  {
    layer: "conv3a",
    sizeIn: "28×28×192",
    sizeOut: "28×28×192",
    kernel: "1×1×192, 1",
    params: "37K",
    flops: "29M",
  },
  {
    layer: "conv3",
    sizeIn: "28×28×192",
    sizeOut: "28×28×384",
    kernel: "3×3×192, 1",
    params: "664K",
    flops: "521M",
  },
  { layer: "pool3", sizeIn: "28×28×384", sizeOut: "14×14×384", kernel: "3×3×384, 2", params: "0", flops: "" },
  {
    layer: "conv4a",
    sizeIn: "14×14×384",
    sizeOut: "14×14×384",
    kernel: "1×1×384, 1",
    params: "148K",
    flops: "29M",
  },
  {
    layer: "conv4",
    sizeIn: "14×14×384",
    sizeOut: "14×14×256",
    kernel: "3×3×384, 1",
    params: "885K",
    flops: "173M",
  },
  {
    layer: "conv5a",
    sizeIn: "14×14×256",
    sizeOut: "14×14×256",
    kernel: "1×1×256, 1",
    params: "66K",
    flops: "13M",
  },
  {
    layer: "conv5",
    sizeIn: "14×14×256",
    sizeOut: "14×14×256",
    kernel: "3×3×256, 1",
    params: "590K",
    flops: "116M",
  },
  {
    layer: "conv6a",
    sizeIn: "14×14×256",
    sizeOut: "14×14×256",
    kernel: "1×1×256, 1",
    params: "66K",
    flops: "13M",
  },
  {
    layer: "conv6",
    sizeIn: "14×14×256",
    sizeOut: "14×14×256",
    kernel: "3×3×256, 1",
    params: "590K",
    flops: "116M",
  },
  { layer: "pool4", sizeIn: "14×14×256", sizeOut: "7×7×256", kernel: "3×3×256, 2", params: "0", flops: "" },
  { layer: "concat", sizeIn: "7×7×256", sizeOut: "7×7×256", kernel: "", params: "0", flops: "" },
  {
    layer: "fc1",
    sizeIn: "7×7×256",
    sizeOut: "1×32×128",
    kernel: "maxout p=2",
    params: "103M",
    flops: "103M",
  },
  {
    layer: "fc2",
    sizeIn: "1×32×128",
    sizeOut: "1×32×128",
    kernel: "maxout p=2",
    params: "34M",
    flops: "34M",
  },
  { layer: "fc7128", sizeIn: "1×32×128", sizeOut: "1×1×128", kernel: "", params: "524K", flops: "0.5M" },
  { layer: "L2", sizeIn: "1×1×128", sizeOut: "1×1×128", kernel: "", params: "0", flops: "" },
  { layer: "total", sizeIn: "", sizeOut: "", kernel: "", params: "140M", flops: "1.6B" },
];

/** One row of Table 2 (the Inception-based NN2). Filter counts 0 mean "no such branch". */
export interface Nn2Row {
  /** Row label as printed in the paper. */
  type: string;
  /** Key used in layer names here (`inception_3a_…`), or the stem/head layer's name. */
  key: string;
  outputSize: string;
  depth: number;
  n1x1: number;
  n3x3Reduce: number;
  n3x3: number;
  n5x5Reduce: number;
  n5x5: number;
  /** Pooling branch: "max" or "L2" (this project replaces L2 pooling by max pooling). */
  pool: "max" | "L2" | "";
  /** 1×1 projection after the pooling branch; 0 = the pooled input is passed through. */
  poolProj: number;
  /** Stride of the 3×3, 5×5 and pooling branches (2 in the reduction blocks 3c and 4e). */
  stride: number;
  params: string;
  flops: string;
}

const row = (
  type: string,
  key: string,
  outputSize: string,
  depth: number,
  f: [number, number, number, number, number],
  pool: Nn2Row["pool"],
  poolProj: number,
  stride: number,
  params: string,
  flops: string,
): Nn2Row => ({
  type,
  key,
  outputSize,
  depth,
  n1x1: f[0],
  n3x3Reduce: f[1],
  n3x3: f[2],
  n5x5Reduce: f[3],
  n5x5: f[4],
  pool,
  poolProj,
  stride,
  params,
  flops,
});

export const NN2_TABLE: readonly Nn2Row[] = [
  row("conv1 (7×7×3, 2)", "conv1", "112×112×64", 1, [0, 0, 0, 0, 0], "", 0, 2, "9K", "119M"),
  row("max pool + norm", "pool1", "56×56×64", 0, [0, 0, 0, 0, 0], "max", 0, 2, "", ""),
  row("inception (2)", "inception_2", "56×56×192", 2, [0, 64, 192, 0, 0], "", 0, 1, "115K", "360M"),
  row("norm + max pool", "pool2", "28×28×192", 0, [0, 0, 0, 0, 0], "max", 0, 2, "", ""),
  row("inception (3a)", "inception_3a", "28×28×256", 2, [64, 96, 128, 16, 32], "max", 32, 1, "164K", "128M"),
  row("inception (3b)", "inception_3b", "28×28×320", 2, [64, 96, 128, 32, 64], "L2", 64, 1, "228K", "179M"),
  row("inception (3c)", "inception_3c", "14×14×640", 2, [0, 128, 256, 32, 64], "max", 0, 2, "398K", "108M"),
  row("inception (4a)", "inception_4a", "14×14×640", 2, [256, 96, 192, 32, 64], "L2", 128, 1, "545K", "107M"),
  row(
    "inception (4b)",
    "inception_4b",
    "14×14×640",
    2,
    [224, 112, 224, 32, 64],
    "L2",
    128,
    1,
    "595K",
    "117M",
  ),
  row(
    "inception (4c)",
    "inception_4c",
    "14×14×640",
    2,
    [192, 128, 256, 32, 64],
    "L2",
    128,
    1,
    "654K",
    "128M",
  ),
  row(
    "inception (4d)",
    "inception_4d",
    "14×14×640",
    2,
    [160, 144, 288, 32, 64],
    "L2",
    128,
    1,
    "722K",
    "142M",
  ),
  row("inception (4e)", "inception_4e", "7×7×1024", 2, [0, 160, 256, 64, 128], "max", 0, 2, "717K", "56M"),
  row("inception (5a)", "inception_5a", "7×7×1024", 2, [384, 192, 384, 48, 128], "L2", 128, 1, "1.6M", "78M"),
  row(
    "inception (5b)",
    "inception_5b",
    "7×7×1024",
    2,
    [384, 192, 384, 48, 128],
    "max",
    128,
    1,
    "1.6M",
    "78M",
  ),
  row("avg pool", "avg_pool", "1×1×1024", 0, [0, 0, 0, 0, 0], "", 0, 1, "", ""),
  row("fully conn", "fc", "1×1×128", 1, [0, 0, 0, 0, 0], "", 0, 1, "131K", "0.1M"),
  row("L2 normalization", "l2", "1×1×128", 0, [0, 0, 0, 0, 0], "", 0, 1, "", ""),
  row("total", "total", "", 0, [0, 0, 0, 0, 0], "", 0, 1, "7.5M", "1.6B"),
];

/** The inception block rows only (3a … 5b), in order. */
export const NN2_INCEPTION_BLOCKS: readonly Nn2Row[] = NN2_TABLE.filter((r) =>
  /^inception_\d[a-z]$/.test(r.key)
);
