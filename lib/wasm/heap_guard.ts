/**
 * A clear error when the wasm heap is full. tfjs-backend-wasm allocates every tensor with its
 * module's `malloc` and does not check the result: once the heap cannot grow (wasm32 stops at
 * 4 GiB), `malloc` returns 0, the tensor is placed at address 0 over the runtime's own data, and
 * the process ran on without output: `deno task bench -- --model inception --batch 160` spun one
 * core for 15 minutes (2-core Intel Xeon, before Identity stopped copying tensors; an Inception
 * training step at batch 200 with Adam reached a 3.98 GiB heap afterwards). With the guard such an
 * allocation throws, naming its size and the heap's: with Identity copying again, the same bench
 * at batch 200 stopped after 20 s with "wasm heap full: cannot allocate 21.1 MiB for a tensor (heap
 * 4.00 GiB …)".
 */
import type * as tf from "@tensorflow/tfjs-core";

interface WasmModule {
  _malloc(bytes: number): number;
  _free(at: number): void;
  HEAPU8: Uint8Array;
  /** Set once this module's malloc is guarded. */
  facenetHeapGuard?: true;
}

/** Make `backend`'s tensor allocations throw when the heap is full (idempotent). */
export function guardWasmHeap(backend: tf.KernelBackend): void {
  const wasm = (backend as unknown as { wasm?: WasmModule }).wasm;
  if (!wasm || wasm.facenetHeapGuard) return;
  // Emscripten's `_malloc` replaces itself with the raw export on its first call, which would
  // overwrite a wrapper installed before it: make that first call here.
  wasm._free(wasm._malloc(1));
  const malloc = wasm._malloc.bind(wasm);
  wasm._malloc = (bytes: number) => {
    const at = malloc(bytes);
    if (at === 0 && bytes > 0) {
      const heap = wasm.HEAPU8.buffer.byteLength / 2 ** 30;
      throw new Error(
        `wasm heap full: cannot allocate ${(bytes / 2 ** 20).toFixed(1)} MiB for a tensor ` +
          `(heap ${heap.toFixed(2)} GiB of wasm32's 4 GiB); use smaller batches or micro-batches`,
      );
    }
    return at;
  };
  wasm.facenetHeapGuard = true;
}
