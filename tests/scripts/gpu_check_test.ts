/**
 * `deno task gpu-check` runs to the end on a machine without a usable GPU route and reports each
 * route with the reason it is unavailable (on a machine with one, the route must be available and
 * agree with the CPU). Only the reports are checked here; training on a route needs a GPU.
 */
import { assert, equal, match } from "../assert.ts";
import { probeWebGpu } from "../../lib/gpu/mod.ts";

Deno.test("gpu-check reports both routes, with reasons when unavailable, and one JSON line at the end", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../scripts/gpu_check.ts", import.meta.url).pathname, "--steps", "1"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const last = JSON.parse(lines[lines.length - 1]);
  equal(out.code, last.ok ? 0 : 1);
  for (const route of ["node-gpu", "webgpu"]) {
    const r = last.routes[route];
    assert(r, `no report for ${route}`);
    if (!r.available) assert(typeof r.reason === "string" && r.reason.length > 10, `${route}: ${r.reason}`);
    else assert(r.agrees === true && r.img_s > 0, JSON.stringify(r));
  }
  const probe = await probeWebGpu();
  if (probe.adapter?.software) {
    equal(last.routes.webgpu.available, false);
    match(last.routes.webgpu.reason, /software adapter/);
  }
  if (!last.routes["node-gpu"].available) match(last.routes["node-gpu"].reason, /node-gpu/);
});
