/** How the training scripts (train, pilot) end. */
import { TrainingDivergedError } from "../lib/training/mod.ts";

/**
 * Run a training script's `main` and exit with its status; a diverged training exits 3 with its
 * message (which says what to try), any other error 1 with `<name> failed: <message>` on one line, no
 * stack (the library's errors name the file and the remedy). The exit is explicit: the wasm backend's
 * worker threads would otherwise keep the process alive.
 */
export async function exitWith(name: string, main: () => Promise<number>): Promise<never> {
  try {
    Deno.exit(await main());
  } catch (e) {
    if (e instanceof TrainingDivergedError) {
      console.error(e.message);
      Deno.exit(3);
    }
    console.error(`${name} failed: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}
