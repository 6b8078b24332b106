/**
 * Reference weights (issue #15): shipping a finished training run into the repository with a manifest
 * (ship.ts, manifest.ts), telling which command trains a run again (command.ts), and loading a network's
 * reference weights, the user's own finished reference run first, else the shipped ones (network.ts).
 */
export * from "./command.ts";
export * from "./manifest.ts";
export * from "./network.ts";
export * from "./ship.ts";
