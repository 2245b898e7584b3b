import { MINUTE_MS } from '../market/bar';
import type { ReplayClock } from '../time/replayClock';

/**
 * The last market instant an entry may reach a real broker: its decision bar's close plus the signal age
 * bound, and never at or after the session's end. The session checks it before deciding and the submit
 * activity checks it again before posting, so a retry after downtime or a slow answer never trades an old
 * decision (docs/trading.md, "Stale signals").
 */
export function entryDeadlineMs(a: { readonly barStart: number; readonly maxSignalAgeMs: number; readonly sessionEndMs: number }): number {
  return Math.min(a.barStart + MINUTE_MS + a.maxSignalAgeMs, a.sessionEndMs - 1);
}

/** The reject code of an order not sent because its deadline had passed. */
export const ORDER_DEADLINE_PASSED = 'deadline_passed';

/** An entry's deadline as the submit activity checks it: market time on the day's own clock. */
export interface OrderDeadline {
  readonly notAfterMs: number;
  readonly clock: ReplayClock;
}
