/**
 * The WebGPU route: Deno's built-in WebGPU (wgpu: Vulkan, Metal or DX12) with
 * `@tensorflow/tfjs-backend-webgpu` 4.22, a GPU backend that needs no CUDA.
 *
 * A machine without a GPU still has a WebGPU adapter when Mesa's lavapipe (llvmpipe) is installed:
 * a software rasteriser on the CPU, correct but slower than the wasm backend. Auto selection must
 * therefore never take a software adapter; `FACENET_BACKEND=webgpu` takes it anyway (that is how CI
 * checks the route's numbers on a machine without a GPU).
 */
import * as tf from "@tensorflow/tfjs-core";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What `navigator.gpu` offers here. */
export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a CPU implementation (lavapipe/llvmpipe, SwiftShader, WARP, …). */
  software: boolean;
  /** Why it counts as software (empty for a hardware adapter). */
  softwareReason: string;
}

/** Vulkan's vendor id for Mesa's own drivers (0x10005): lavapipe reports it; hardware Mesa drivers
 * report the PCI vendor (AMD 0x1002, Intel 0x8086, …). */
const MESA_SOFTWARE_VENDOR = "65541";
const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|software|basic render|\bwarp\b/i;

/** Classify an adapter's info as software or hardware, with the reason. */
export function classifyAdapter(
  info: Partial<Record<"vendor" | "architecture" | "device" | "description", string>> & {
    isFallbackAdapter?: boolean;
  },
): WebGpuAdapterInfo {
  const base = {
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description: info.description ?? "",
  };
  const text = [base.description, base.vendor, base.architecture, base.device].join(" ");
  const reasons: string[] = [];
  if (info.isFallbackAdapter === true) reasons.push("the adapter says it is a fallback (software) adapter");
  const name = text.match(SOFTWARE_NAMES);
  if (name) reasons.push(`its name says ${JSON.stringify(name[0])}`);
  if (base.vendor === MESA_SOFTWARE_VENDOR) reasons.push("vendor 0x10005 (Mesa's software Vulkan)");
  return { ...base, software: reasons.length > 0, softwareReason: reasons.join("; ") };
}

/** One line naming an adapter. */
export function describeAdapter(a: WebGpuAdapterInfo): string {
  const name = a.description || [a.vendor, a.architecture, a.device].filter((s) => s).join(" ") || "unnamed";
  return `${name}${a.software ? " (software adapter)" : ""}`;
}

interface GpuLike {
  requestAdapter(o?: { powerPreference?: string }): Promise<AdapterLike | null>;
}
interface AdapterLike {
  info?: Record<string, unknown>;
  isFallbackAdapter?: boolean;
}

/**
 * On Linux the first adapter request loads the Vulkan drivers, and Mesa's Wayland support prints
 * `error: XDG_RUNTIME_DIR is invalid or not set in the environment.` twice to stderr when that variable
 * is unset (as under root in CI or a container), although nothing is wrong: every script in auto mode
 * printed it. A private folder (mode 0700, as the XDG spec asks) set before the first request silences it.
 */
function ensureRuntimeDir(): void {
  if (Deno.build.os !== "linux") return;
  try {
    if (Deno.env.get("XDG_RUNTIME_DIR")) return;
    const uid = Deno.uid() ?? 0;
    const dir = join(tmpdir(), `facenet-runtime-${uid}`);
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (Deno.statSync(dir).uid !== uid) return; // someone else's folder: leave the variable unset
    Deno.chmodSync(dir, 0o700);
    Deno.env.set("XDG_RUNTIME_DIR", dir);
  } catch {
    // no env/write permission: the message stays, nothing else changes
  }
}

/**
 * The adapter tfjs-backend-webgpu would get (it asks for `high-performance`), or why there is none.
 * Reads only the adapter's info; no device is created.
 */
export async function probeWebGpu(): Promise<{ adapter?: WebGpuAdapterInfo; reason?: string }> {
  const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
  if (!gpu) return { reason: "this Deno has no navigator.gpu (WebGPU)" };
  ensureRuntimeDir();
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (e) {
    return { reason: `navigator.gpu.requestAdapter() failed: ${e instanceof Error ? e.message : e}` };
  }
  if (!adapter) {
    return {
      reason: "navigator.gpu.requestAdapter() found no adapter (no Vulkan/Metal/DX12 driver; on Linux " +
        "install the GPU's Vulkan driver, or mesa-vulkan-drivers for a software one)",
    };
  }
  const info = (adapter.info ?? {}) as Record<string, unknown>;
  return {
    adapter: classifyAdapter({
      vendor: String(info.vendor ?? ""),
      architecture: String(info.architecture ?? ""),
      device: String(info.device ?? ""),
      description: String(info.description ?? ""),
      isFallbackAdapter: (info.isFallbackAdapter ?? adapter.isFallbackAdapter) === true,
    }),
  };
}

/**
 * Start tfjs's webgpu backend on this machine's adapter; a software adapter only with
 * `allowSoftware`. Returns the adapter; throws with the reason when the route is unavailable.
 */
export async function startWebGpuBackend(opts: { allowSoftware: boolean }): Promise<WebGpuAdapterInfo> {
  const { adapter, reason } = await probeWebGpu();
  if (!adapter) throw new Error(reason);
  if (adapter.software && !opts.allowSoftware) {
    throw new Error(
      `only a software adapter (${describeAdapter(adapter)}: ${adapter.softwareReason}); ` +
        "slower than wasm, so not chosen automatically (FACENET_BACKEND=webgpu forces it)",
    );
  }
  await import("@tensorflow/tfjs-backend-webgpu");
  if (!(await tf.setBackend("webgpu"))) throw new Error("the webgpu backend did not initialise");
  return adapter;
}
