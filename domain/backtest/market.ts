import type { Bar } from '../market/bar';
import type { BarsBySymbolDate } from './signalAudit';

const DAY_MS = 86_400_000;

/**
 * What the portfolio backtester reads: the minute bars of each symbol on each UTC date.
 * Two implementations: `MapMarket` over bars already grouped in memory (tests, small runs) and
 * `ColumnarMarket` over typed-array columns (the cached form long runs use).
 */
export interface BacktestMarket {
  /** Every symbol with data, sorted. */
  symbols(): readonly string[];
  /** Every UTC date on which any symbol has a bar, ascending. */
  dates(): readonly string[];
  /** True when the symbol has at least one bar on the date. */
  hasDay(symbol: string, date: string): boolean;
  /** The symbol's bars on the date, ascending; empty when none. A fresh array of fresh objects each call. */
  barsOn(symbol: string, date: string): readonly Bar[];
  /** The close of the symbol's last bar on the date; null when it has none. */
  lastCloseOn(symbol: string, date: string): number | null;
}

/** A market over bars grouped by symbol and date (the loader's form). */
export class MapMarket implements BacktestMarket {
  private readonly allSymbols: string[];
  private readonly allDates: string[];

  constructor(private readonly bars: BarsBySymbolDate) {
    this.allSymbols = [...bars.keys()].sort(compareText);
    const dates = new Set<string>();
    for (const days of bars.values()) for (const d of days.keys()) dates.add(d);
    this.allDates = [...dates].sort(compareText);
  }

  symbols(): readonly string[] {
    return this.allSymbols;
  }

  dates(): readonly string[] {
    return this.allDates;
  }

  hasDay(symbol: string, date: string): boolean {
    return (this.bars.get(symbol)?.get(date)?.length ?? 0) > 0;
  }

  barsOn(symbol: string, date: string): readonly Bar[] {
    return this.bars.get(symbol)?.get(date) ?? [];
  }

  lastCloseOn(symbol: string, date: string): number | null {
    const bars = this.barsOn(symbol, date);
    return bars.length > 0 ? bars[bars.length - 1]!.c : null;
  }
}

/** Index of the last bar starting at or before `t`, or -1. Bars ascending. */
export function lastIndexAtOrBefore(bars: readonly Bar[], t: number): number {
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bars[mid]!.t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * Close of the bar starting at `barStart`, else of the latest earlier bar of the same UTC date; null when
 * none. The same rule as the simulated broker's price look-up (activities/marketData/barStore.ts).
 */
export function closeAtOrBefore(dayBars: readonly Bar[], barStart: number): number | null {
  const i = lastIndexAtOrBefore(dayBars, barStart);
  if (i < 0) return null;
  const bar = dayBars[i]!;
  return bar.t >= barStart - (barStart % DAY_MS) ? bar.c : null;
}

/** The first bar starting after `barStart` on the same day's list, or null. */
export function nextBarAfter(dayBars: readonly Bar[], barStart: number): Bar | null {
  const i = lastIndexAtOrBefore(dayBars, barStart) + 1;
  return i < dayBars.length ? dayBars[i]! : null;
}

/** Code-unit order: deterministic everywhere, unlike localeCompare. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
