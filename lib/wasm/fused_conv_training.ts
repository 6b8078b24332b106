/**
 * Convolution + bias + ReLU as one kernel in training too. tfjs-layers runs every Conv2D layer
 * through `tf.fused.conv2d` with its bias and ReLU; tfjs-core fuses them only outside gradient
 * recording, and under a gradient tape runs Conv2D, an Add of the bias and a Relu, each writing a
 * full activation. Here, on wasm, the taped call is one kernel, `Conv2DBiasRelu`: the backend's
 * FusedConv2D (oneDNN's convolution with its bias argument and a
 * ReLU post-op where oneDNN is installed), registered with the gradient tfjs-core would compute:
 * ReLU's mask from the output (y > 0 exactly where the pre-activation is), `ReluGrad`
 * (lib/wasm/relu_grad.ts), then Conv2DBackpropInput, and Conv2DBackpropFilter and the sum of the
 * masked gradient for the bias (with oneDNN both in one call, `Conv2DBackpropFilterBias`). In an Inception reference step (200 images in micro-batches
 * of 50, tf.profile, 2-core Intel Xeon) the taped Relu took 147 ms and Add, mostly these bias
 * additions, 398 ms of 3.4 s.
 *
 * Any other case (another backend, activation or layout, dilations, no bias, not taped) goes to
 * tfjs-core's own `fused.conv2d`.
 */
import * as tf from "@tensorflow/tfjs-core";
import { RELU_GRAD } from "./relu_grad.ts";
import type { KernelArgs } from "./kernel_util.ts";

type FusedConvArgs = Parameters<typeof tf.fused.conv2d>[0];

let installed = false;

function isOne(v: number | [number, number] | undefined): boolean {
  return v === undefined || (Array.isArray(v) ? v[0] === 1 && v[1] === 1 : v === 1);
}

/** Whether `args` is the taped conv + bias + ReLU this module handles. */
function handled(args: FusedConvArgs): boolean {
  const { x, filter, bias } = args;
  return tf.getBackend() === "wasm" && tf.engine().state.gradientDepth > 0 &&
    args.activation === "relu" && (args.dataFormat ?? "NHWC") === "NHWC" && isOne(args.dilations) &&
    args.dimRoundingMode == null && x instanceof tf.Tensor && x.rank === 4 && x.dtype === "float32" &&
    filter instanceof tf.Tensor && filter.rank === 4 && bias instanceof tf.Tensor && bias.rank === 1 &&
    bias.shape[0] === filter.shape[3];
}

/**
 * The filter-and-bias gradient kernel this gradient uses when the backend registers one (oneDNN's,
 * lib/native/conv.ts: dW and db in one pass over dy, where tfjs-core needs a Sum over N, H, W too).
 */
export const CONV_BACKPROP_FILTER_BIAS = "Conv2DBackpropFilterBias";

/** The kernel the taped call runs: FusedConv2D with a ReLU, under a name that carries this gradient. */
export const CONV_BIAS_RELU = "Conv2DBiasRelu";

interface ConvAttrs {
  strides: number | [number, number];
  pad: unknown;
  dimRoundingMode?: unknown;
}

function convBiasReluKernel(args: KernelArgs): tf.TensorInfo {
  const fused = tf.getKernel(tf.FusedConv2D, "wasm");
  if (!fused) throw new Error(`${CONV_BIAS_RELU}: the wasm backend has no FusedConv2D kernel`);
  const a = args.attrs as unknown as ConvAttrs;
  return fused.kernelFunc({
    inputs: args.inputs,
    backend: args.backend,
    attrs: { ...a, dataFormat: "NHWC", dilations: [1, 1], activation: "relu" } as unknown as tf.NamedAttrMap,
  }) as tf.TensorInfo;
}

/**
 * Its gradient, per input (the engine asks only for those it needs: not the input images' at the
 * first layer, which a `customGrad` would compute anyway).
 */
const convBiasReluGrad: tf.GradConfig = {
  kernelName: CONV_BIAS_RELU,
  inputsToSave: ["x", "filter"],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as ConvAttrs;
    const common = { strides: a.strides, pad: a.pad, dataFormat: "NHWC", dimRoundingMode: a.dimRoundingMode };
    const engine = tf.engine();
    // ReLU's mask from the output (y > 0 exactly where the pre-activation is), once for all three
    const masked = engine.runKernel(RELU_GRAD, { dy: dy as tf.Tensor, x: y }) as tf.Tensor4D;
    // Filter and bias gradients in one call where the backend has it (oneDNN: lib/native/conv.ts)
    const both = tf.getKernel(CONV_BACKPROP_FILTER_BIAS, "wasm")
      ? engine.runKernel(CONV_BACKPROP_FILTER_BIAS, { x, dy: masked }, {
        ...common,
        filterShape: filter.shape,
      } as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor4D, tf.Tensor1D]
      : undefined;
    return {
      x: () =>
        engine.runKernel(tf.Conv2DBackpropInput, { dy: masked, filter }, {
          ...common,
          inputShape: x.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
      filter: () =>
        both?.[0] ??
          engine.runKernel(tf.Conv2DBackpropFilter, { x, dy: masked }, {
            ...common,
            filterShape: filter.shape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
      bias: () => both?.[1] ?? tf.sum(masked, [0, 1, 2]),
    };
  },
};

/** Route taped conv + bias + ReLU on wasm through one kernel (idempotent). */
export function installFusedConvTraining(): void {
  if (installed) return;
  const base = tf.fused.conv2d;
  installed = true;
  tf.registerKernel({
    kernelName: CONV_BIAS_RELU,
    backendName: "wasm",
    kernelFunc: convBiasReluKernel as tf.KernelFunc,
  });
  tf.registerGradient(convBiasReluGrad);
  (tf.fused as { conv2d: typeof tf.fused.conv2d }).conv2d =
    ((args: FusedConvArgs) =>
      handled(args)
        ? tf.engine().runKernel(
          CONV_BIAS_RELU,
          { x: args.x as tf.Tensor, filter: args.filter as tf.Tensor, bias: args.bias as tf.Tensor },
          {
            strides: args.strides,
            pad: args.pad,
            dimRoundingMode: args.dimRoundingMode,
          } as unknown as tf.NamedAttrMap,
        )
        : base(args)) as typeof tf.fused.conv2d;
}
