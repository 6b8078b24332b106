/** Helpers of the notebook runner (scripts/reproduce.ts), kept here so they are tested. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { figuresRoot, REPO_ROOT } from "../lib/config.ts";
import { OWN_FACES_NOTEBOOK, ownPhotosDir, ownPhotosPresent, privateOutputs } from "../lib/faces/own.ts";

/** Notebooks named `NN_name.ipynb`, in order. */
export function listNotebooks(dir: string): string[] {
  return readdirSync(dir).filter((f) => /^\d\d_.+\.ipynb$/.test(f)).sort().map((f) => join(dir, f));
}

/** The failing cell's source and error text from nbconvert/nbclient's stderr, if it reported one. */
export function parseCellError(stderr: string): { source: string; error: string } | undefined {
  const m = stderr.match(
    /An error occurred while executing the following cell:\n-+\n([\s\S]*?)\n-+\n([\s\S]*)$/,
  );
  return m ? { source: m[1], error: m[2].trim() } : undefined;
}

/** Index among the notebook's code cells of the one whose source is `source`. */
export function findCellBySource(notebookPath: string, source: string): number | undefined {
  const i = codeCellSources(notebookPath).findIndex((c) => c.trim() === source.trim());
  return i < 0 ? undefined : i;
}

/** The sources of a notebook's code cells, in order. */
export function codeCellSources(notebookPath: string): string[] {
  const nb = JSON.parse(readFileSync(notebookPath, "utf8")) as {
    cells: { cell_type: string; source: string | string[] }[];
  };
  return nb.cells
    .filter((c) => c.cell_type === "code")
    .map((c) => Array.isArray(c.source) ? c.source.join("") : c.source);
}

/**
 * A notebook's code cells as one TypeScript module, in order (the Deno kernel runs them as one module:
 * top-level await, declarations shared across cells), each cell closed with `;` so that a cell ending
 * in a bare expression (the kernel displays it) cannot run into the next. `deno check` on it catches a
 * notebook calling the library wrongly without running it.
 */
export function notebookModule(notebookPath: string): string {
  return codeCellSources(notebookPath).map((src, i) => `// code cell ${i}\n${src}\n;\n`).join("");
}

/** Where one notebook's executed copy and figures go. */
export interface NotebookTargets {
  /** Folder for the executed notebook; undefined: in place. */
  outDir?: string;
  /** Figures root; undefined: `figures/`. */
  figures?: string;
  /** True when the outputs show the user's own photos and were moved under `build/own/`. */
  private: boolean;
}

/**
 * The profile's targets (`outDir`, `figures`), except for notebook 05 when `ownDir` holds any of the
 * user's photos: then its executed copy and figures go under `build/own/` (git-ignored) whatever the
 * profile or `--out`, so crops and names of the user's people never reach the committed notebook or
 * `figures/` (the notebook picks the same figure folder itself: ownFacesFigureDir).
 */
export function notebookTargets(
  name: string,
  profileTargets: { outDir?: string; figures?: string },
  ownDir: string = ownPhotosDir(),
): NotebookTargets {
  if (name !== OWN_FACES_NOTEBOOK || !ownPhotosPresent(ownDir)) return { ...profileTargets, private: false };
  const p = privateOutputs();
  return { outDir: p.notebooks, figures: p.figures, private: true };
}

/** Files a notebook must have written, from `expected_figures.json` ({ "01_x": ["a.svg", …] }), that are missing. */
export function checkExpectedFigures(manifestPath: string, notebook: string, root = figuresRoot()): string[] {
  if (!existsSync(manifestPath)) return [];
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, string[]>;
  return (manifest[notebook] ?? []).filter((f) => !existsSync(join(root, notebook, f))).map((f) =>
    `${notebook}/${f}`
  );
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The signal this process received while the command ran, and passed on to it (see `sh`). */
  interrupted?: "SIGINT" | "SIGTERM";
}

const FORWARDED = ["SIGINT", "SIGTERM"] as const;

/**
 * Run a command to its end, collecting its output. With `forwardSignals`, a SIGINT or SIGTERM this process
 * receives meanwhile is passed on to the command instead of ending this process: `jupyter nbconvert` then
 * shuts its kernel down before it exits (a KeyboardInterrupt unwinding through nbclient's cleanup; our
 * executor makes SIGTERM one too), whereas a reproduce stopped by `timeout` or `kill` used to leave the Deno
 * kernel running, orphaned. The caller decides what to do then.
 */
async function sh(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
  forwardSignals = false,
): Promise<CommandResult> {
  const child = new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).spawn();
  let interrupted: CommandResult["interrupted"];
  const listeners = (forwardSignals ? FORWARDED : []).map((sig) => {
    const pass = () => {
      interrupted ??= sig;
      try {
        child.kill(sig);
      } catch { /* it has just ended */ }
    };
    Deno.addSignalListener(sig, pass);
    return () => Deno.removeSignalListener(sig, pass);
  });
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr), interrupted };
  } finally {
    for (const remove of listeners) remove();
  }
}

/** Whether `jupyter nbconvert` runs here. */
export async function hasNbconvert(): Promise<boolean> {
  const v = await sh("jupyter", ["nbconvert", "--version"]).catch(() => undefined);
  return v !== undefined && v.code === 0;
}

/** Check that nbconvert is installed (else say how to install it) and register the Deno kernel if needed. */
export async function ensureJupyter(): Promise<void> {
  if (!(await hasNbconvert())) {
    throw new Error(
      "Jupyter's nbconvert is not installed. Debian/Ubuntu: apt-get install -y jupyter-nbconvert python3-nbclient " +
        "python3-ipykernel; elsewhere: pip install nbconvert nbclient ipykernel",
    );
  }
  const home = Deno.env.get("JUPYTER_DATA_DIR") ?? join(Deno.env.get("HOME") ?? "", ".local/share/jupyter");
  if (!existsSync(join(home, "kernels", "deno", "kernel.json"))) {
    console.log("Registering the Deno Jupyter kernel (deno jupyter --install)…");
    const r = await sh(Deno.execPath(), ["jupyter", "--install"]);
    if (r.code !== 0) throw new Error(`deno jupyter --install failed:\n${r.stderr}`);
  }
}

export interface ExecuteOptions {
  /** Write the executed notebook here (same file name); default: in place. */
  outDir?: string;
  /** Seconds a cell may run; -1: no limit. */
  timeout?: number;
  /** Jupyter kernel; default "deno". */
  kernel?: string;
  /** Extra environment for the kernel. */
  env?: Record<string, string>;
  /** If the run fails, write the notebook as executed so far here (nbconvert itself writes nothing). */
  failedCopy?: string;
}

/**
 * Execute a notebook headless: `jupyter nbconvert` with nbconvert's executor changed in one respect,
 * outputs the Deno kernel publishes after a cell's end are kept, and errors the kernel would lose (a
 * throw in a timer, an unawaited rejection, Deno.exit, a dead kernel) fail the cell they surface in
 * (scripts/jupyter/late_outputs.py). A failing cell fails the command, with nbconvert's usual report
 * on stderr (see parseCellError). A SIGINT or SIGTERM meanwhile goes to nbconvert, which shuts the kernel
 * down and exits; the result then says `interrupted`.
 */
export function executeNotebook(notebook: string, opts: ExecuteOptions = {}): Promise<CommandResult> {
  const pythonPath = [join(REPO_ROOT, "scripts", "jupyter"), Deno.env.get("PYTHONPATH")].filter(Boolean).join(
    ":",
  );
  const args = [
    "nbconvert",
    "--to",
    "notebook",
    "--Exporter.preprocessors=late_outputs.LateOutputExecutor",
    "--LateOutputExecutor.enabled=True",
    `--LateOutputExecutor.timeout=${opts.timeout ?? -1}`,
    `--LateOutputExecutor.kernel_name=${opts.kernel ?? "deno"}`,
    ...(opts.failedCopy ? [`--LateOutputExecutor.failed_copy=${opts.failedCopy}`] : []),
    ...(opts.outDir ? ["--output-dir", opts.outDir] : ["--inplace"]),
    notebook,
  ];
  return sh("jupyter", args, { ...opts.env, PYTHONPATH: pythonPath }, true);
}
