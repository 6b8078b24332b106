/**
 * The GPU routes and how to tell whether one really computes on a GPU.
 *
 * - CUDA: `@tensorflow/tfjs-node-gpu` (libtensorflow 2.9.1, CUDA 11.x, cuDNN 8.x). TensorFlow falls
 *   back to the CPU silently when a CUDA library is missing, so the backend asks the addon whether
 *   it uses a GPU device and, when not, names the missing libraries (cuda.ts).
 * - WebGPU: Deno's built-in WebGPU with `@tensorflow/tfjs-backend-webgpu`, no CUDA needed; software
 *   adapters (lavapipe) are recognised and never chosen automatically (webgpu.ts).
 *
 * lib/backend.ts puts them first in its automatic order (node-gpu, then webgpu); `deno task
 * gpu-check` (scripts/gpu_check.ts) reports both.
 */
export {
  applyCudaSettings,
  CUDA_LIBRARIES,
  CUDA_SETTINGS,
  findCudaLibraries,
  nvidiaGpus,
  whyNoCudaGpu,
} from "./cuda.ts";
export {
  classifyAdapter,
  describeAdapter,
  probeWebGpu,
  startWebGpuBackend,
  type WebGpuAdapterInfo,
} from "./webgpu.ts";
