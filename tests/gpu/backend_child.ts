/**
 * Child process for backend_test.ts (a process holds one backend, set from FACENET_BACKEND): sets
 * up the backend and prints its BackendInfo as one JSON line; a backend that cannot start exits 1
 * with the error on stderr, as the scripts do.
 */
import { BackendUnavailableError, setupBackend } from "../../lib/backend.ts";

try {
  const info = await setupBackend({ quiet: true });
  console.log(JSON.stringify(info));
} catch (e) {
  if (!(e instanceof BackendUnavailableError)) throw e;
  console.error(`error: ${e.message}`);
  Deno.exit(1);
}
