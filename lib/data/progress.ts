/**
 * A typed, minimal face on `cli-progress` (which ships no types). Bars draw on stderr and only when
 * stderr is a terminal, so logs, CI output and the one-line setup summary stay clean.
 */
import cliProgress from "cli-progress";

export interface Progress {
  /** Set the absolute value (and optionally a new total). */
  update(value: number, total?: number): void;
  /** Draw the final state and release the terminal line. */
  stop(): void;
}

interface Bar {
  start(total: number, value: number, payload?: Record<string, unknown>): void;
  update(value: number): void;
  setTotal(total: number): void;
  stop(): void;
}

/** A progress bar labelled `label`; `unit: "bytes"` shows MiB. `enabled: false` gives a no-op bar. */
export function progressBar(
  label: string,
  total: number,
  opts: { unit?: "items" | "bytes"; enabled?: boolean } = {},
): Progress {
  if (opts.enabled === false) return { update() {}, stop() {} };
  const bytes = opts.unit === "bytes";
  const fmt = bytes
    ? `${label} [{bar}] {percentage}% | {mib}/{totalMib} MiB | ETA {eta_formatted}`
    : `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`;
  const Ctor = (cliProgress as unknown as { SingleBar: new (o: Record<string, unknown>, p: unknown) => Bar })
    .SingleBar;
  const preset = (cliProgress as unknown as { Presets: { shades_classic: unknown } }).Presets.shades_classic;
  const bar = new Ctor({ format: fmt, hideCursor: true, clearOnComplete: false, etaBuffer: 50 }, preset);
  const mib = (v: number) => (v / 2 ** 20).toFixed(1);
  let t = Math.max(total, 1);
  bar.start(t, 0, bytes ? { mib: mib(0), totalMib: mib(total) } : {});
  return {
    update(value: number, newTotal?: number) {
      if (newTotal !== undefined && newTotal !== t) {
        t = Math.max(newTotal, 1);
        bar.setTotal(t);
      }
      if (bytes) {
        (bar as unknown as { update(v: number, p: Record<string, unknown>): void })
          .update(value, { mib: mib(value), totalMib: mib(t) });
      } else bar.update(value);
    },
    stop() {
      bar.stop();
    },
  };
}
