/** Types for tfjs-backend-wasm's pthread worker script module (shipped without declarations). */
export const wasmWorkerContents: string;
