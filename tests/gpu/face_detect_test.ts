/**
 * Face detection on the WebGPU route: face-api reads its outputs synchronously, which the webgpu
 * backend cannot in Deno, so lib/faces/detector.ts runs it under the CPU backend (withCpuBackend).
 * With FACENET_BACKEND=webgpu (the software adapter here), detecting the faces and landmarks in
 * face-api's demo photo (three people; tests/faces/faces_test.ts uses it too) must not crash, must
 * leave webgpu active and no tensors behind, and must give the boxes, scores and landmarks of a
 * FACENET_BACKEND=wasm run. Both runs compute on the same wasm kernels, so they agree to float32
 * rounding; 1e-3 px leaves room only for a different summation order. Each run is a child process
 * (one backend per process). Skipped without a WebGPU adapter or the photo.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { assert, equal } from "../assert.ts";
import { probeWebGpu } from "../../lib/gpu/mod.ts";
import { type Face, faceModelDir } from "../../lib/faces/mod.ts";

const PHOTO = join(faceModelDir(), "..", "demo", "sample1.jpg");
const probe = await probeWebGpu();

interface ChildReport {
  choice: string;
  backend: string;
  sync: boolean;
  backendAfter: string;
  leaked: number;
  faces: Face[];
}

/** |a − b| ≤ tol, in pixels (or score units), naming what differed. */
function near(a: number, b: number, tol: number, what: string): void {
  assert(Math.abs(a - b) <= tol, `${what}: webgpu run ${a}, wasm run ${b} (tolerance ${tol})`);
}

async function detectIn(backend: string): Promise<ChildReport> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./detect_child.ts", import.meta.url).pathname, PHOTO],
    env: { FACENET_BACKEND: backend },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  equal(out.code, 0, `FACENET_BACKEND=${backend}: ${d.decode(out.stderr)}`);
  return JSON.parse(d.decode(out.stdout).trim().split("\n").pop()!);
}

Deno.test({
  name: "webgpu: face detection runs on the CPU backend and finds the wasm run's faces and landmarks",
  ignore: !probe.adapter || !existsSync(PHOTO),
  async fn() {
    const gpu = await detectIn("webgpu");
    equal(gpu.choice, "webgpu");
    equal(gpu.sync, false, "webgpu said it reads synchronously");
    equal(gpu.backendAfter, "webgpu", "detection did not switch back to webgpu");
    equal(gpu.leaked, 0, "tensors left behind by detection");
    const ref = await detectIn("wasm");
    equal(ref.backend, "wasm");
    equal(ref.sync, true);
    equal(ref.faces.length, 3, "the demo photo holds three people");
    equal(gpu.faces.length, ref.faces.length);
    for (const [i, r] of ref.faces.entries()) {
      const g = gpu.faces[i];
      for (const k of ["x", "y", "width", "height"] as const) {
        near(g.box[k], r.box[k], 1e-3, `face ${i} box.${k}`);
      }
      near(g.score, r.score, 1e-5, `face ${i} score`);
      equal(g.landmarks?.length, 68);
      for (const [j, p] of r.landmarks!.entries()) {
        near(g.landmarks![j].x, p.x, 1e-3, `face ${i} landmark ${j}.x`);
        near(g.landmarks![j].y, p.y, 1e-3, `face ${i} landmark ${j}.y`);
      }
    }
  },
});
