/**
 * Child process for the lock tests (not a test file): locks the run folder given as its argument,
 * says "locked", and waits to be interrupted.
 */
import { lockRunDir } from "../../lib/training/run_dir.ts";

using _lock = lockRunDir(Deno.args[0]);
console.log("locked");
await new Promise((resolve) => setTimeout(resolve, 60_000));
