import type { Bar } from './bar';

/**
 * A symbol's daily closes (the last minute bar's close of each session) before a date, oldest first: the
 * realized-volatility input of the put model (docs/backtest.md, "Option pricing model"). The backtester,
 * the simulated broker and the market emulator each build one over the bars they hold, so all three price
 * a put from the same closes.
 */
export type DailyCloses = (symbol: string, beforeDate: string, count: number) => readonly number[];

/** Over a market that hands out a symbol's bars per date (the backtester's BacktestMarket, or a MapMarket over loaded CSVs). */
export function dailyClosesOfDays(market: {
  dates(): readonly string[];
  hasDay(symbol: string, date: string): boolean;
  barsOn(symbol: string, date: string): readonly Bar[];
}): DailyCloses {
  return memoized((symbol, beforeDate, count) => {
    const dates = market.dates();
    const closes: number[] = [];
    for (let k = dates.length - 1; k >= 0 && closes.length < count; k--) {
      const d = dates[k]!;
      if (d >= beforeDate || !market.hasDay(symbol, d)) continue;
      const bars = market.barsOn(symbol, d);
      if (bars.length > 0) closes.push(bars[bars.length - 1]!.c);
    }
    return closes.reverse();
  });
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
