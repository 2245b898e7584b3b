import type { Bar } from '../../domain/market/bar';
import { MINUTE_MS } from '../../domain/market/bar';

/**
 * Minute bars of many symbols held in memory, sorted by start time, answering range and price
 * look-ups by binary search. Backs the TEST_MODE replay feed and the simulated broker's fills.
 */
export class BarStore {
  private readonly bars = new Map<string, Bar[]>();

  constructor(bySymbol: ReadonlyMap<string, readonly Bar[]>) {
    for (const [symbol, list] of bySymbol) this.bars.set(symbol, [...list].sort((a, b) => a.t - b.t));
  }

  symbols(): string[] {
    return [...this.bars.keys()].sort();
  }

  has(symbol: string): boolean {
    return this.bars.has(symbol);
  }

  /** Bars with start in [fromMs, toMs). */
  range(symbol: string, fromMs: number, toMs: number): Bar[] {
    const list = this.bars.get(symbol);
    if (!list) return [];
    return list.slice(lowerBound(list, fromMs), lowerBound(list, toMs));
  }

  /** Bars that have closed by `throughMs` (start + 1 minute <= throughMs) and started at or after `fromMs`. */
  closedBetween(symbol: string, fromMs: number, throughMs: number): Bar[] {
    return this.range(symbol, fromMs, throughMs - MINUTE_MS + 1);
  }

  /** True when the symbol has no bar starting at or after `fromMs` before `untilMs`. */
  noBarsBetween(symbol: string, fromMs: number, untilMs: number): boolean {
    const list = this.bars.get(symbol);
    if (!list) return true;
    const i = lowerBound(list, fromMs);
    return i >= list.length || list[i].t >= untilMs;
  }

  /** The bar starting at `barStart`, else the latest earlier bar on the same UTC date. */
  barAt(symbol: string, barStart: number): Bar | null {
    const list = this.bars.get(symbol);
    if (!list) return null;
    const i = lowerBound(list, barStart + 1) - 1;
    if (i < 0) return null;
    return list[i].t >= barStart - (barStart % 86_400_000) ? list[i] : null;
  }

  /** Close of the bar starting at `barStart`, else of the latest earlier bar on the same UTC date. */
  closeAt(symbol: string, barStart: number): number | null {
    const list = this.bars.get(symbol);
    if (!list) return null;
    const i = lowerBound(list, barStart + 1) - 1;
    if (i < 0) return null;
    const dayStart = barStart - (barStart % 86_400_000);
    return list[i].t >= dayStart ? list[i].c : null;
  }
}

function lowerBound(list: readonly Bar[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
