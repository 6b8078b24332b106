/**
 * The course slides as data and as checks: their numbers (numbers.ts), helpers that set them beside
 * ours (compare.ts), and their claims checked on our data with generated sentences (claims.ts).
 */
export * from "./numbers.ts";
export * from "./compare.ts";
export * from "./claims.ts";
