/**
 * The CUDA route's preconditions: tfjs-node-gpu 4.22 loads libtensorflow 2.9.1, built against
 * CUDA 11.2 and cuDNN 8.1, which dlopens the libraries below by soname. When one is missing,
 * TensorFlow only logs "Could not load dynamic library" and computes on the CPU, so this module
 * looks for them itself to say which is missing, and sets TensorFlow's GPU settings before load.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

/** Sonames libtensorflow 2.9.1's GPU build opens (CUDA 11.x, cuDNN 8.x), and the driver's libcuda. */
export const CUDA_LIBRARIES = [
  "libcuda.so.1",
  "libcudart.so.11.0",
  "libcublas.so.11",
  "libcublasLt.so.11",
  "libcufft.so.10",
  "libcurand.so.10",
  "libcusolver.so.11",
  "libcusparse.so.11",
  "libcudnn.so.8",
] as const;

const DEFAULT_DIRS = [
  "/usr/local/cuda/lib64",
  "/usr/local/cuda/targets/x86_64-linux/lib",
  "/usr/lib/x86_64-linux-gnu",
  "/usr/lib/wsl/lib",
  "/usr/lib64",
  "/usr/lib",
];

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** Sonames the dynamic loader knows from its cache (`ldconfig -p`), empty when it cannot be asked. */
function ldconfigNames(): Set<string> {
  for (const bin of ["/sbin/ldconfig", "/usr/sbin/ldconfig"]) {
    if (!existsSync(bin)) continue;
    try {
      const out = new Deno.Command(bin, { args: ["-p"], stdout: "piped", stderr: "null" }).outputSync();
      const text = new TextDecoder().decode(out.stdout);
      return new Set([...text.matchAll(/^\s*(\S+)\s+\(/gm)].map((m) => m[1]));
    } catch {
      return new Set();
    }
  }
  return new Set();
}

/** Where each CUDA library is found (LD_LIBRARY_PATH, the usual CUDA folders, the loader cache). */
export function findCudaLibraries(
  dirs: string[] = [...(env("LD_LIBRARY_PATH") ?? "").split(":").filter((d) => d), ...DEFAULT_DIRS],
  cache: Set<string> = ldconfigNames(),
): { found: Record<string, string>; missing: string[] } {
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const lib of CUDA_LIBRARIES) {
    const dir = dirs.find((d) => existsSync(join(d, lib)));
    if (dir) found[lib] = join(dir, lib);
    else if (cache.has(lib)) found[lib] = "(ldconfig cache)";
    else missing.push(lib);
  }
  return { found, missing };
}

/** Names of the NVIDIA GPUs `nvidia-smi` lists, or undefined when it is not there. */
export function nvidiaGpus(): string[] | undefined {
  try {
    const out = new Deno.Command("nvidia-smi", {
      args: ["--query-gpu=name,driver_version,compute_cap", "--format=csv,noheader"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    if (!out.success) return undefined;
    return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.trim()).filter((l) => l)
      .map((l) => {
        const [name, driver, cap] = l.split(",").map((s) => s.trim());
        return `${name} (driver ${driver}, compute capability ${cap})`;
      });
  } catch {
    return undefined;
  }
}

/** The settings `applyCudaSettings` puts in place (see there). */
export const CUDA_SETTINGS: Record<string, string> = {
  TF_FORCE_GPU_ALLOW_GROWTH: "true",
  CUDA_CACHE_MAXSIZE: "4294967296",
  TF_CPP_MIN_LOG_LEVEL: "1",
};

/**
 * TensorFlow's GPU settings, applied to this process's environment before libtensorflow loads
 * unless already set: memory growth instead of taking all GPU memory, and a CUDA JIT cache large
 * enough (4 GiB, the driver's maximum) that PTX compiled for a GPU newer than the build's kernels
 * (Ada, Hopper) is compiled once, not at every process start. Returns what was set.
 */
export function applyCudaSettings(): Record<string, string> {
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(CUDA_SETTINGS)) {
    if (env(k) !== undefined) continue;
    try {
      Deno.env.set(k, v);
      set[k] = v;
    } catch {
      // no --allow-env: TensorFlow keeps its defaults
    }
  }
  return set;
}

/** Why TensorFlow sees no GPU, as precisely as this machine tells. */
export function whyNoCudaGpu(): string {
  const { missing } = findCudaLibraries();
  const gpus = nvidiaGpus();
  const parts: string[] = [];
  if (gpus === undefined) parts.push("nvidia-smi not found (no NVIDIA driver?)");
  else if (gpus.length === 0) parts.push("nvidia-smi lists no GPU");
  if (missing.length) {
    parts.push(
      `missing ${
        missing.join(", ")
      } (tfjs-node-gpu 4.22 = libtensorflow 2.9.1 needs CUDA 11.x and cuDNN 8.x ` +
        "on LD_LIBRARY_PATH)",
    );
  }
  return parts.length ? parts.join("; ") : "the CUDA libraries are present but TensorFlow did not open a GPU";
}
