/** Running one of scripts/ as a user would (not a test file): its exit code and what it printed. */

/** The repository root, where `deno run -A scripts/…` is run from. */
export const ROOT = new URL("../..", import.meta.url).pathname;

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** `deno run -A <script> <args>` in the repository root with `env` added (and colours off). */
export async function runScript(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Ran> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
