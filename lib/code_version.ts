/**
 * Which code computed something: the repository's commit and whether tracked files differed from it.
 * A training run records it for the epochs each version trained (a run may be resumed under newer
 * code), and a shipped run's manifest repeats it, so that weights name the code that made them and
 * not only the code that shipped them.
 */
import { isAbsolute, relative, resolve } from "node:path";
import { REPO_ROOT } from "./config.ts";

/** A commit of this repository and whether tracked files differed from it. */
export interface GitState {
  commit: string;
  /** Tracked files differed from `commit` (a path the caller excluded aside). */
  dirty: boolean;
}

/** The code that trained a run from epoch `fromEpoch` on (until the next entry's). */
export interface CodeVersion extends GitState {
  fromEpoch: number;
}

/** The commit of the repository at `root` and whether tracked files outside `except` differ from it;
 * throws (with git's message) where git or the repository is missing. */
export async function gitState(root: string = REPO_ROOT, except?: string): Promise<GitState> {
  const git = async (...args: string[]) => {
    const r = await new Deno.Command("git", { args, cwd: root, stdout: "piped", stderr: "piped" }).output();
    if (!r.success) throw new Error(`git ${args[0]} failed: ${new TextDecoder().decode(r.stderr).trim()}`);
    return new TextDecoder().decode(r.stdout).trim();
  };
  const commit = await git("rev-parse", "HEAD");
  const rel = except === undefined ? undefined : relative(root, resolve(except));
  const inside = rel !== undefined && rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  const pathspec = inside ? ["--", ".", `:(exclude)${rel}`] : [];
  const status = await git("status", "--porcelain", "--untracked-files=no", ...pathspec);
  return { commit, dirty: status !== "" };
}

/** `gitState`, or null where git cannot tell (a copy of the code without its history). */
export async function gitStateOrNull(root: string = REPO_ROOT): Promise<GitState | null> {
  try {
    return await gitState(root);
  } catch {
    return null;
  }
}

/**
 * `versions` with `now` noted as the code of epoch `epoch`: unchanged when the last entry is the same
 * code, else with a new entry from `epoch`. Unknown code (`now` null) is not noted.
 */
export function noteCodeVersion(versions: CodeVersion[], now: GitState | null, epoch: number): CodeVersion[] {
  if (!now) return versions;
  const last = versions.at(-1);
  if (last && last.commit === now.commit && last.dirty === now.dirty) return versions;
  return [...versions, { fromEpoch: epoch, commit: now.commit, dirty: now.dirty }];
}
