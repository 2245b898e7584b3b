/** One one-minute OHLCV bar. `t` is the bar's start time in epoch milliseconds, UTC. */
export interface Bar {
  readonly t: number;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v: number;
}

export const MINUTE_MS = 60_000;

/** UTC calendar date (YYYY-MM-DD) of an epoch-ms instant. */
export function utcDateOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Epoch ms of `HH:MM` UTC on a YYYY-MM-DD date. */
export function utcTimeOnDate(date: string, hhmm: string): number {
  return Date.parse(`${date}T${hhmm}:00Z`);
}
