/**
 * A symbol's daily closes (the last minute bar's close of each session) before a date, oldest first: the
 * realized-volatility input of the put model (docs/backtest.md, "Option pricing model"). The backtester,
 * the simulated broker and the market emulator each build one over the bars they hold, so all three price
 * a put from the same closes.
 */
export type DailyCloses = (symbol: string, beforeDate: string, count: number) => readonly number[];

/** Over a market that hands out a symbol's closes per date (the backtester's BacktestMarket, or a MapMarket over loaded CSVs). */
export function dailyClosesOfDays(market: {
  dates(): readonly string[];
  lastCloseOn(symbol: string, date: string): number | null;
}): DailyCloses {
  return memoized((symbol, beforeDate, count) => {
    const dates = market.dates();
    const closes: number[] = [];
    for (let k = firstIndexAtOrAfter(dates, beforeDate) - 1; k >= 0 && closes.length < count; k--) {
      const close = market.lastCloseOn(symbol, dates[k]!);
      if (close !== null) closes.push(close);
    }
    return closes.reverse();
  });
}

/** Index of the first date at or after `date` in ascending dates (their length when none). */
function firstIndexAtOrAfter(dates: readonly string[], date: string): number {
  let lo = 0;
  let hi = dates.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (dates[mid]! < date) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function memoized(compute: DailyCloses): DailyCloses {
  const seen = new Map<string, readonly number[]>();
  return (symbol, beforeDate, count) => {
    const key = `${symbol}|${beforeDate}|${count}`;
    let closes = seen.get(key);
    if (closes === undefined) seen.set(key, (closes = compute(symbol, beforeDate, count)));
    return closes;
  };
}
