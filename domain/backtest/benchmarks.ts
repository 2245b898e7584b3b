import { regularSessionUtc } from '../market/exchangeCalendar';
import type { Bar } from '../market/bar';
import type { BacktestMarket } from './market';
import { cagr, maxDrawdown } from './metrics';

/**
 * Buy-and-hold benchmarks for the report: each symbol bought at the first regular-session open of the
 * run's dates and held to the last regular-session close, valued at each date's close (docs/backtest.md,
 * "Benchmarks"). SPY is the market benchmark when its bars are in the data.
 */

export const MARKET_BENCHMARK = 'SPY';

export interface BenchmarkPoint {
  /** Epoch ms of the date's last regular-session bar close. */
  readonly t: number;
  /** Value of `startingValue` invested at the first open. */
  readonly value: number;
}

export interface BuyAndHold {
  readonly symbol: string;
  readonly firstDate: string;
  readonly lastDate: string;
  readonly startPrice: number;
  readonly endPrice: number;
  readonly totalReturn: number;
  readonly cagr: number | null;
  /** Largest fall of the daily closes from their running peak, as a fraction. */
  readonly maxDrawdownPct: number;
  readonly curve: readonly BenchmarkPoint[];
}

export interface Benchmarks {
  readonly rows: readonly BuyAndHold[];
  /** True when SPY has no bars on the run's dates (the report says so). */
  readonly marketBenchmarkMissing: boolean;
}

function regularBars(bars: readonly Bar[], date: string): readonly Bar[] {
  const s = regularSessionUtc(date);
  if (s === null) return [];
  return bars.filter((b) => b.t >= s.openMs && b.t < s.closeMs);
}

/** Buy and hold of one symbol over the dates; null when it has no regular-session bar on them. */
export function buyAndHold(market: BacktestMarket, symbol: string, dates: readonly string[], startingValue: number): BuyAndHold | null {
  let startPrice: number | null = null;
  let firstDate = '';
  const closes: { t: number; close: number; date: string }[] = [];
  for (const date of dates) {
    const bars = regularBars(market.barsOn(symbol, date), date);
    if (bars.length === 0) continue;
    if (startPrice === null) {
      startPrice = bars[0]!.o;
      firstDate = date;
    }
    const last = bars[bars.length - 1]!;
    closes.push({ t: last.t + 60_000, close: last.c, date });
  }
  if (startPrice === null || !(startPrice > 0)) return null;
  const values = closes.map((c) => (startingValue * c.close) / startPrice);
  const steps = values.map((v, i) => v - (i === 0 ? startingValue : values[i - 1]!));
  const endPrice = closes[closes.length - 1]!.close;
  return {
    symbol,
    firstDate,
    lastDate: closes[closes.length - 1]!.date,
    startPrice,
    endPrice,
    totalReturn: endPrice / startPrice - 1,
    cagr: cagr(startPrice, endPrice, dates.length),
    maxDrawdownPct: maxDrawdown(startingValue, steps).pct,
    curve: closes.map((c, i) => ({ t: c.t, value: values[i]! })),
  };
}

/** Buy and hold of the traded symbols and of SPY over the run's dates. */
export function benchmarksFor(market: BacktestMarket, tradedSymbols: readonly string[], dates: readonly string[], startingValue: number): Benchmarks {
  const symbols = [...new Set([...tradedSymbols].sort())].filter((s) => s !== MARKET_BENCHMARK);
  const spy = buyAndHold(market, MARKET_BENCHMARK, dates, startingValue);
  const rows = symbols.map((s) => buyAndHold(market, s, dates, startingValue)).filter((r): r is BuyAndHold => r !== null);
  return { rows: spy ? [spy, ...rows] : rows, marketBenchmarkMissing: spy === null };
}
