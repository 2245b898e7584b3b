import { MINUTE_MS, type Bar } from './bar';

/**
 * The fill model of the market emulator (scripts/emulator), pure so that the backtester can fill with the
 * very same rules:
 * - market order received at market time m: the open of the bar starting at floor(m to the minute) when
 *   that bar exists, else the open of the next bar that exists, moved against the order by `slippageBps`;
 * - stop and trailing stop: evaluated on each completed bar that starts after the stop was placed; a sell
 *   stop triggers when the bar's low reaches the stop, a buy stop when the high does; the fill is the stop
 *   price, or the bar's open when the bar opened beyond the stop (a gap fills worse, never better).
 * Bars are one-minute bars of one symbol, ascending by start.
 */

export type FillSide = 'buy' | 'sell';

/** A price moved against the order: a buy pays more, a sell receives less. */
export function withSlippage(price: number, side: FillSide, slippageBps: number): number {
  const f = slippageBps / 10_000;
  return side === 'buy' ? price * (1 + f) : price * (1 - f);
}

/** Index of the first bar with start >= t (bars.length when none). */
export function firstBarAtOrAfter(bars: readonly Bar[], t: number): number {
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bars[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The bar a market order received at `m` trades on: the bar of m's minute, else the next bar that exists. */
export function marketFillBar(bars: readonly Bar[], m: number, notAfterMs = Number.POSITIVE_INFINITY): Bar | null {
  const minute = Math.floor(m / MINUTE_MS) * MINUTE_MS;
  const bar = bars[firstBarAtOrAfter(bars, minute)];
  return bar !== undefined && bar.t < notAfterMs ? bar : null;
}

export interface MarketFill {
  readonly price: number;
  readonly barStart: number;
}

/** Price of a market order received at `m`; null when no bar starts at or after m's minute (before `notAfterMs`). */
export function marketFillPrice(a: {
  readonly bars: readonly Bar[];
  readonly m: number;
  readonly side: FillSide;
  readonly slippageBps: number;
  readonly notAfterMs?: number;
  /** Maps the bar's open (and the bar's start) to the instrument's price (an option's from its underlying); identity by default. */
  readonly priceOf?: (underlyingPrice: number, barStart: number) => number;
}): MarketFill | null {
  const bar = marketFillBar(a.bars, a.m, a.notAfterMs);
  if (bar === null) return null;
  const base = a.priceOf ? a.priceOf(bar.o, bar.t) : bar.o;
  return { price: withSlippage(base, a.side, a.slippageBps), barStart: bar.t };
}

export interface StopSpec {
  /** `sell` protects a long, `buy` protects a short. */
  readonly side: FillSide;
  readonly kind: 'stop' | 'trailing_stop';
  /** Fixed stops only. */
  readonly stopPrice?: number;
  /** Trailing stops only: percent (2 = 2%). */
  readonly trailPercent?: number;
  /** Trailing stops: best price seen since the stop was placed (highest for a sell, lowest for a buy). */
  readonly hwm?: number;
}

/** The stop level now: fixed, or the trail from the high-water mark. */
export function stopLevel(s: StopSpec): number {
  if (s.kind === 'stop') return s.stopPrice ?? Number.NaN;
  const hwm = s.hwm ?? Number.NaN;
  const pct = (s.trailPercent ?? Number.NaN) / 100;
  return s.side === 'sell' ? hwm * (1 - pct) : hwm * (1 + pct);
}

function betterMark(s: StopSpec, price: number): number {
  const hwm = s.hwm ?? price;
  return s.side === 'sell' ? Math.max(hwm, price) : Math.min(hwm, price);
}

export type StopBarResult =
  | { readonly triggered: true; readonly price: number; readonly stopPrice: number; readonly gap: boolean }
  | { readonly triggered: false; readonly next: StopSpec };

/**
 * One completed bar against a stop. The order of prices inside a bar is unknown, so the trail first moves
 * with the bar's open only, the trigger is checked against that level, and the bar's high (low for a buy)
 * raises the mark only when the bar did not trigger: a bar never triggers on a level its own later
 * extreme set.
 */
export function evaluateStopBar(s: StopSpec, bar: Bar): StopBarResult {
  const atOpen = s.kind === 'trailing_stop' ? { ...s, hwm: betterMark(s, bar.o) } : s;
  const level = stopLevel(atOpen);
  if (s.side === 'sell') {
    if (bar.o <= level) return { triggered: true, price: bar.o, stopPrice: level, gap: true };
    if (bar.l <= level) return { triggered: true, price: level, stopPrice: level, gap: false };
  } else {
    if (bar.o >= level) return { triggered: true, price: bar.o, stopPrice: level, gap: true };
    if (bar.h >= level) return { triggered: true, price: level, stopPrice: level, gap: false };
  }
  const next = atOpen.kind === 'trailing_stop' ? { ...atOpen, hwm: betterMark(atOpen, s.side === 'sell' ? bar.h : bar.l) } : atOpen;
  return { triggered: false, next };
}

/** The bars a stop placed at `placedMs` is evaluated on: those starting after it, completed by `throughMs`. */
export function stopEvaluationBars(bars: readonly Bar[], placedMs: number, throughMs: number): Bar[] {
  const out: Bar[] = [];
  for (let i = firstBarAtOrAfter(bars, placedMs + 1); i < bars.length; i++) {
    const b = bars[i]!;
    if (b.t + MINUTE_MS > throughMs) break;
    out.push(b);
  }
  return out;
}

/** Splits a quantity for a two-part fill: the first part (at least one share) and the rest. */
export function splitQty(qty: number): [number, number] {
  if (qty < 2) return [qty, 0];
  const first = Math.floor(qty / 2);
  return [first, qty - first];
}
