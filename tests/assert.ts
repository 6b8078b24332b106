/**
 * The one place tests get their assertions from. JSR (`@std/assert`) is not reachable on the
 * machines this project is built on, so Node's strict assert is used; switching is one line here.
 */
import nodeAssert from "node:assert/strict";

export const assert: typeof nodeAssert = nodeAssert;
export const equal: typeof nodeAssert.equal = nodeAssert.equal;
export const notEqual: typeof nodeAssert.notEqual = nodeAssert.notEqual;
export const deepEqual: typeof nodeAssert.deepEqual = nodeAssert.deepEqual;
export const notDeepEqual: typeof nodeAssert.notDeepEqual = nodeAssert.notDeepEqual;
export const ok: typeof nodeAssert.ok = nodeAssert.ok;
export const throws: typeof nodeAssert.throws = nodeAssert.throws;
export const rejects: typeof nodeAssert.rejects = nodeAssert.rejects;
export const doesNotThrow: typeof nodeAssert.doesNotThrow = nodeAssert.doesNotThrow;
export const match: typeof nodeAssert.match = nodeAssert.match;
export const fail: typeof nodeAssert.fail = nodeAssert.fail;

/** Assert two numbers agree within an absolute + relative tolerance, naming what differed. */
export function assertClose(actual: number, expected: number, tol = 1e-6, what = "value"): void {
  const diff = Math.abs(actual - expected);
  if (!(diff <= tol * (1 + Math.abs(expected)))) {
    throw new Error(`${what}: got ${actual}, expected ${expected} (|diff| ${diff} > tol ${tol})`);
  }
}

/** Elementwise assertClose for arrays of equal length. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-6,
  what = "array",
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) assertClose(actual[i], expected[i], tol, `${what}[${i}]`);
}

/** True when the shared LFW copy (../shared/data) is present, for tests that skip without it. */
export const SHARED_DATA: string = new URL("../../shared/data", import.meta.url).pathname;
export function hasSharedData(): boolean {
  try {
    return Deno.statSync(`${SHARED_DATA}/lfw-deepfunneled`).isDirectory;
  } catch {
    return false;
  }
}
