/**
 * The GPU routes' selection rules: software WebGPU adapters are recognised and never chosen
 * automatically, FACENET_BACKEND=webgpu takes one anyway, and a forced node-gpu that cannot compute
 * on a GPU is an error naming it. Each setup runs in a child process (one backend per process).
 */
import { assert, deepEqual, equal, match } from "../assert.ts";
import { classifyAdapter, probeWebGpu } from "../../lib/gpu/mod.ts";
import { CUDA_LIBRARIES, findCudaLibraries } from "../../lib/gpu/cuda.ts";

async function child(backend: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./backend_child.ts", import.meta.url).pathname],
    env: { FACENET_BACKEND: backend },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

Deno.test("classifyAdapter: lavapipe, SwiftShader and WARP are software; real GPUs are not", () => {
  // Deno 2.9.6's adapter info on this machine with mesa-vulkan-drivers (lavapipe).
  const lavapipe = classifyAdapter({
    vendor: "65541",
    architecture: "",
    device: "0",
    description: "llvmpipe (LLVM 15.0.6, 256 bits)",
    isFallbackAdapter: true,
  });
  assert(lavapipe.software);
  match(lavapipe.softwareReason, /fallback/);
  match(lavapipe.softwareReason, /llvmpipe/);
  // Name alone (an implementation that does not set isFallbackAdapter).
  assert(classifyAdapter({ vendor: "google", description: "SwiftShader Device (Subzero)" }).software);
  assert(classifyAdapter({ vendor: "4098", description: "Microsoft Basic Render Driver" }).software);
  for (
    const hw of [
      { vendor: "4318", architecture: "", device: "8837", description: "NVIDIA GeForce RTX 4090" },
      { vendor: "apple", architecture: "metal-3", device: "", description: "Apple M2 Pro" },
      {
        vendor: "4098",
        architecture: "",
        device: "29772",
        description: "AMD Radeon RX 7900 XTX (RADV NAVI31)",
      },
    ]
  ) {
    const c = classifyAdapter({ ...hw, isFallbackAdapter: false });
    equal(c.software, false, hw.description);
    equal(c.softwareReason, "");
  }
});

Deno.test("findCudaLibraries names every library that is in none of the folders", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/libcudnn.so.8`, "");
    const r = findCudaLibraries([dir], new Set(["libcuda.so.1"]));
    equal(r.found["libcudnn.so.8"], `${dir}/libcudnn.so.8`);
    equal(r.found["libcuda.so.1"], "(ldconfig cache)");
    deepEqual(r.missing, CUDA_LIBRARIES.filter((l) => l !== "libcudnn.so.8" && l !== "libcuda.so.1"));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

const probe = await probeWebGpu();

Deno.test({
  name: "auto never picks a software WebGPU adapter; FACENET_BACKEND=webgpu does, and says so",
  ignore: !probe.adapter?.software,
  async fn() {
    const auto = await child("auto");
    equal(auto.code, 0, auto.stderr);
    const a = JSON.parse(auto.stdout.trim().split("\n").pop()!);
    assert(a.choice !== "webgpu", `auto chose ${a.choice}`);
    const skip = a.skipped.find((s: { choice: string }) => s.choice === "webgpu");
    assert(skip, `webgpu not among the skipped: ${JSON.stringify(a.skipped)}`);
    match(skip.reason, /software adapter/);

    const forced = await child("webgpu");
    equal(forced.code, 0, forced.stderr);
    const f = JSON.parse(forced.stdout.trim().split("\n").pop()!);
    equal(f.choice, "webgpu");
    equal(f.tfBackend, "webgpu");
    equal(f.gpu, false);
    match(f.device, /software adapter/);
    match(forced.stderr, /warning: webgpu runs on a software adapter/);
  },
});

Deno.test({
  name: "FACENET_BACKEND=node-gpu without a usable GPU exits 1 naming node-gpu and what is missing",
  // Where CUDA, the addon and a GPU are all present, the forced route must simply work instead.
  async fn() {
    const r = await child("node-gpu");
    if (r.code === 0) {
      const info = JSON.parse(r.stdout.trim().split("\n").pop()!);
      equal(info.choice, "node-gpu");
      equal(info.gpu, true);
      return;
    }
    equal(r.code, 1);
    match(r.stderr, /FACENET_BACKEND=node-gpu cannot be used here/);
    match(r.stderr, /no native addon|TensorFlow sees no GPU|missing lib/);
  },
});
