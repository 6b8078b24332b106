// Runs one emscripten pthread of tfjs-backend-wasm's threaded SIMD build inside a Deno
// node:worker_threads worker. Deno exposes `process`, which would make emscripten take its
// Node code path (require, fs); hiding it makes the pthread script take the web-worker path,
// whose only needs (importScripts, postMessage, self.onmessage) are provided here.
import { parentPort, workerData } from "node:worker_threads";

delete globalThis.process;
globalThis.self = globalThis;
globalThis.importScripts = (source) => (0, eval)(source);
globalThis.postMessage = (msg, transfer) => parentPort.postMessage(msg, transfer);
// The script is kept in a template literal upstream, which turned its "\\n" escapes into newlines.
(0, eval)(workerData.workerScript.replace(/\n/g, "\\n"));
parentPort.on("message", (data) => globalThis.onmessage({ data }));
