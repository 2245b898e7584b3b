import type { TradeRow } from './tradeSource';

/*
 * A day's realised PnL over time: each closed trade adds its PnL (after fees) at its exit time. Trades
 * without an exit (a rejected order) add nothing and are not drawn.
 */

export interface PnlPoint {
  readonly at: string;
  readonly ticker: string;
  readonly strategy: string;
  readonly pnl: number;
  /** Realised PnL of the day up to and including this exit. */
  readonly total: number;
}

export interface DayPnl {
  readonly date: string;
  /** Earliest entry of the day's closed trades: where the curve starts, at zero. */
  readonly start: string | null;
  readonly points: readonly PnlPoint[];
  readonly total: number;
}

export function dayPnl(trades: readonly TradeRow[], date: string): DayPnl {
  const closed = trades
    .filter((t): t is TradeRow & { exit_time: string } => t.date === date && t.exit_time !== null)
    .sort((a, b) => (a.exit_time < b.exit_time ? -1 : a.exit_time > b.exit_time ? 1 : 0));
  // Summed in cents, so that many trades do not drift by float rounding.
  let cents = 0;
  const points = closed.map((t) => {
    cents += Math.round(t.pnl * 100);
    return { at: t.exit_time, ticker: t.ticker, strategy: t.strategy_name, pnl: t.pnl, total: cents / 100 };
  });
  const entries = closed.map((t) => t.entry_time ?? t.exit_time).sort();
  return { date, start: entries[0] ?? null, points, total: cents / 100 };
}

/** The day the chart shows: the filter's last day, else the newest day among the trades. */
export function chartDate(trades: readonly TradeRow[], to: string | null): string | null {
  if (to !== null) return to;
  return trades.reduce<string | null>((newest, t) => (newest === null || t.date > newest ? t.date : newest), null);
}
