import { MINUTE_MS, type Bar } from '../market/bar';
import { firstBarAtOrAfter } from '../market/fillModel';

/**
 * Which bars a data feed shows at a market instant. A bar starting at t covers [t, t + 60 s); the feed
 * publishes it `publishDelayMs` market milliseconds after it ends, as a real feed does a few seconds after
 * the minute. A minute without trades has no bar: the replayed files simply lack it, and nothing fills it in.
 */

/** Market instant at which the bar starting at `t` becomes visible. */
export function visibleFromMs(t: number, publishDelayMs: number): number {
  return t + MINUTE_MS + publishDelayMs;
}

/** Latest bar start visible at `m` (bars with start <= this are visible). */
export function lastVisibleStart(m: number, publishDelayMs: number): number {
  return m - MINUTE_MS - publishDelayMs;
}

export class BarTimeline {
  /** symbol -> every loaded bar, ascending by start. */
  private readonly bars: ReadonlyMap<string, readonly Bar[]>;

  constructor(
    bars: ReadonlyMap<string, readonly Bar[]>,
    readonly publishDelayMs: number,
  ) {
    this.bars = bars;
  }

  symbols(): string[] {
    return [...this.bars.keys()].sort();
  }

  has(symbol: string): boolean {
    return this.bars.has(symbol);
  }

  /** Every bar of a symbol, visible or not (the broker's view of the tape, used for fills). */
  all(symbol: string): readonly Bar[] {
    return this.bars.get(symbol) ?? [];
  }

  /** Bars visible at `m` with fromMs <= start <= toMs, ascending. */
  visible(symbol: string, m: number, fromMs = Number.NEGATIVE_INFINITY, toMs = Number.POSITIVE_INFINITY): Bar[] {
    const list = this.all(symbol);
    const last = Math.min(toMs, lastVisibleStart(m, this.publishDelayMs));
    const out: Bar[] = [];
    for (let i = firstBarAtOrAfter(list, fromMs); i < list.length && list[i]!.t <= last; i++) out.push(list[i]!);
    return out;
  }

  /** The latest bar visible at `m`, or null. */
  latestVisible(symbol: string, m: number): Bar | null {
    const list = this.all(symbol);
    const i = firstBarAtOrAfter(list, lastVisibleStart(m, this.publishDelayMs) + 1) - 1;
    return i >= 0 ? list[i]! : null;
  }

  /** Bars of [fromMs, toMs) visible at `m`, counted. */
  countVisible(symbol: string, m: number, fromMs: number, toMs: number): number {
    return this.visible(symbol, m, fromMs, toMs - 1).length;
  }

  /** The bar starting exactly at `t`, or null (a minute without trades). */
  barAt(symbol: string, t: number): Bar | null {
    const list = this.all(symbol);
    const b = list[firstBarAtOrAfter(list, t)];
    return b !== undefined && b.t === t ? b : null;
  }

  /** The price trading at `m` as the broker sees it: the open of m's minute bar, else the last close before m. */
  tradePriceAt(symbol: string, m: number): number | null {
    const list = this.all(symbol);
    const minute = Math.floor(m / MINUTE_MS) * MINUTE_MS;
    const i = firstBarAtOrAfter(list, minute);
    if (list[i]?.t === minute) return list[i]!.o;
    return i > 0 ? list[i - 1]!.c : null;
  }
}
