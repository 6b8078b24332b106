/**
 * A run's folder: where a run name given on a command line may point (one plain folder directly
 * under the models root, never outside it), and the lock a training holds on the folder while it
 * writes there, so that a second training into the same folder fails at once with who holds it
 * instead of both swapping checkpoints under each other (raw ENOENT/ENOTEMPTY).
 *
 * The lock is `<run>/run.lock`, created with O_EXCL (`createNew`) and holding the pid, host and start
 * time. It is removed when the training ends (also on an error, SIGINT or SIGTERM); a lock left by a
 * process that no longer runs on this host is taken over with a note. A process may take the lock of a
 * folder again while it holds it (the training script locks before loading data, `train` locks again).
 */
import process from "node:process";
import { hostname } from "node:os";
import { join, resolve, sep } from "node:path";
import { displayPath, modelsRoot } from "../config.ts";

/** The lock file's name inside a run folder. */
export const LOCK_FILE = "run.lock";

/** What a lock file holds. */
export interface LockInfo {
  pid: number;
  host: string;
  /** ISO time the holder took the lock. */
  started: string;
}

/**
 * Throw a RangeError unless `name` is one plain folder name: not empty, no `/` or `\`, not `.` or
 * `..`, no control characters. A run name is a folder directly under the models root.
 */
export function checkRunName(name: string): void {
  // deno-lint-ignore no-control-regex
  const bad = name === "" || name === "." || name === ".." || /[/\\\x00-\x1f]/.test(name);
  if (bad) {
    throw new RangeError(
      `run name ${JSON.stringify(name)} must be a plain folder name (no "/", "\\", "." or ".."): ` +
        `runs are folders directly under the models root ${displayPath(modelsRoot())}`,
    );
  }
}

/** The folder of run `name` under `root` (default the models root), checked to stay inside it. */
export function runFolder(name: string, root: string = modelsRoot()): string {
  checkRunName(name);
  const dir = resolve(root, name);
  const inside = resolve(root).endsWith(sep) ? resolve(root) : resolve(root) + sep;
  if (!dir.startsWith(inside)) {
    throw new RangeError(`run name ${JSON.stringify(name)} leads outside the models root ${root}`);
  }
  return join(root, name);
}

/** The holder of a lock file that is still being written. */
const UNKNOWN: LockInfo = { pid: 0, host: "", started: "just now" };

/** Thrown when another live process holds a run folder's lock. */
export class RunInUseError extends Error {
  constructor(readonly runDir: string, readonly holder: LockInfo) {
    const who = holder === UNKNOWN
      ? "another process"
      : `pid ${holder.pid}${holder.host === hostname() ? "" : ` on ${holder.host}`}`;
    super(
      `run folder ${displayPath(runDir)} is in use by ${who} (started ${holder.started}); ` +
        `wait for it or use another --run`,
    );
    this.name = "RunInUseError";
  }
}

/** A held lock; `release()` (or leaving a `using` scope) gives it up. */
export interface RunLock extends Disposable {
  readonly path: string;
  release(): void;
}

/** Locks this process holds: path → how many times taken. */
const held = new Map<string, number>();

/** Whether process `pid` runs on this host (EPERM: it runs, under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/** The lock file's content; undefined if it is missing, empty (being written) or not a lock. */
function readLock(path: string): LockInfo | undefined {
  try {
    const v = JSON.parse(Deno.readTextFileSync(path));
    return Number.isInteger(v?.pid)
      ? { pid: v.pid, host: String(v.host), started: String(v.started) }
      : undefined;
  } catch {
    return undefined;
  }
}

/** A lock file younger than this without content is being written by its holder, not stale. */
const FRESH_MS = 10_000;

function ageMs(path: string): number {
  try {
    return Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
  } catch {
    return Infinity;
  }
}

/** Create the lock file with O_EXCL; false if it exists already. */
function createLock(path: string): boolean {
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(path, { write: true, createNew: true });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  }
  const info: LockInfo = { pid: Deno.pid, host: hostname(), started: new Date().toISOString() };
  f.writeSync(new TextEncoder().encode(JSON.stringify(info) + "\n"));
  f.close();
  return true;
}

/**
 * Lock run folder `runDir` (which must exist) for this process, or throw a {@link RunInUseError} if a
 * live process holds it. A stale lock (its process is gone) is taken over, with a note to `log`.
 */
export function lockRunDir(runDir: string, log: (line: string) => void = console.warn): RunLock {
  const path = resolve(runDir, LOCK_FILE);
  if (!held.has(path)) {
    if (!createLock(path)) {
      const was = readLock(path);
      if (was && (was.host !== hostname() || (was.pid !== Deno.pid && alive(was.pid)))) {
        throw new RunInUseError(runDir, was);
      }
      if (!was && ageMs(path) < FRESH_MS) throw new RunInUseError(runDir, UNKNOWN);
      log(
        `run folder ${displayPath(runDir)}: taking over a stale lock` +
          (was
            ? ` of pid ${was.pid} (started ${was.started}), which no longer runs`
            : ` (unreadable ${LOCK_FILE})`),
      );
      Deno.removeSync(path);
      // Another process that took the stale lock over at the same moment wins here.
      if (!createLock(path)) throw new RunInUseError(runDir, readLock(path) ?? UNKNOWN);
    }
    addSignalCleanup();
  }
  held.set(path, (held.get(path) ?? 0) + 1);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    const n = (held.get(path) ?? 1) - 1;
    if (n > 0) return void held.set(path, n);
    held.delete(path);
    removeLockFile(path);
    if (held.size === 0) removeSignalCleanup();
  };
  return { path, release, [Symbol.dispose]: release };
}

function removeLockFile(path: string): void {
  try {
    if (readLock(path)?.pid === Deno.pid) Deno.removeSync(path);
  } catch {
    // already gone (the run folder was deleted): nothing to release
  }
}

// Ctrl-C or a kill ends the process without unwinding: remove the locks, then exit as the signal would.
const SIGNALS: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
const onSignal: Record<string, () => void> = Object.fromEntries(SIGNALS.map((s) => [s, () => {
  for (const path of held.keys()) removeLockFile(path);
  held.clear();
  Deno.exit(128 + (s === "SIGINT" ? 2 : 15));
}]));
let listening = false;

function addSignalCleanup(): void {
  if (listening) return;
  for (const s of SIGNALS) Deno.addSignalListener(s, onSignal[s]);
  listening = true;
}

function removeSignalCleanup(): void {
  if (!listening) return;
  for (const s of SIGNALS) Deno.removeSignalListener(s, onSignal[s]);
  listening = false;
}

/** The lock on `runDir`, if one is there (for messages and tests). */
export function runLockHolder(runDir: string): LockInfo | undefined {
  return readLock(join(runDir, LOCK_FILE));
}
