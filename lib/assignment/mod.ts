/**
 * The course assignment: the library's exercise regions (named region comments inside its functions),
 * the student edition generated from them, and the grade computed from the tests that check each
 * exercise. `deno task assignment -- --out DIR` writes an edition, `deno task grade` grades a
 * repository or an edition; the teacher's guide is in the README ("Course assignment").
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export * from "./regions.ts";
export * from "./edition.ts";
export * from "./grade.ts";

/** Root of the repository (or edition) this module belongs to. */
export const ASSIGNMENT_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
