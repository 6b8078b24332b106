/**
 * Kernels the wasm backend lacks or runs slowly for training. (Being filled in by the CPU-training
 * work: until then this registers nothing and wasm can only run inference.)
 */
export function installWasmTrainingKernels(): string[] {
  return [];
}

/** Whether the multi-threaded wasm build can run here. */
export function wasmThreadsAvailable(): boolean {
  return false;
}
