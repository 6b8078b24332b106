/** Command lines of the scripts (setup, train, reproduce) and the bench. */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { isModelKind, MODEL_KINDS, type ModelKind } from "../lib/models/networks.ts";

/**
 * A script's own arguments: `deno task x -- --flag` hands the script a leading "--", which the
 * scripts accept as well as `deno task x --flag`.
 */
export function scriptArgs(args: readonly string[] = Deno.args): string[] {
  return args[0] === "--" ? args.slice(1) : [...args];
}

/**
 * A script's options, parsed from `scriptArgs()` with node's parseArgs; an unknown option or a
 * missing value ends the script through `exitWithUsage`. A script that declares a `help` option
 * prints its usage and exits 0 when it is given.
 */
export function parseScriptArgs<O extends ParseArgsOptionsConfig>(
  options: O,
  usage: string,
): ReturnType<typeof parseArgs<{ args: string[]; options: O }>>["values"] {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: O }>>["values"];
  try {
    values = parseArgs({ args: scriptArgs(), options }).values;
  } catch (e) {
    exitWithUsage(e, usage);
  }
  if ((values as { help?: unknown }).help === true) {
    console.log(usage);
    Deno.exit(0);
  }
  return values;
}

/** A `--model` value as a network kind; anything else ends the script through `exitWithUsage`. */
export function modelArg(value: string | undefined, usage: string): ModelKind {
  if (value === undefined || !isModelKind(value)) {
    exitWithUsage(`--model must be ${MODEL_KINDS.join(" or ")}`, usage);
  }
  return value;
}

/** End a script on a bad command line: the problem, then how to call it, and exit status 2. */
export function exitWithUsage(problem: unknown, usage: string): never {
  console.error(`${problem instanceof Error ? problem.message : String(problem)}\n${usage}`);
  Deno.exit(2);
}
