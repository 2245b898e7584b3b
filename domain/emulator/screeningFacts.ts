import { MINUTE_MS, type Bar } from '../market/bar';
import { regularSessionUtc, tradingDaysBetween } from '../market/exchangeCalendar';
import { addDays } from '../market/nyTime';
import { SCREEN_LOOKBACK_CALENDAR_DAYS, screeningFacts, sessionCloseOf, type SessionClose } from '../screening/replayScreeningFacts';
import type { BarTimeline } from './timeline';

/**
 * What the Finnhub-shaped endpoint answers for screening. From bars, exactly as the backtester derives its
 * facts (domain/backtest/portfolio.ts screeningFacts: previous close, 20-day mean regular-session volume,
 * no market cap); a facts file, when given, supplies what bars cannot (market cap, fund or not) and may
 * override the volume. Only bars visible at the market instant are used, so nothing looks ahead.
 */

export interface SymbolFacts {
  /** Dollars; absent or null: unknown (as the backtester assumes without a facts file). */
  readonly marketCap?: number | null;
  /** A fund (ETF): Finnhub's profile2 has no market cap for one. */
  readonly fund?: boolean;
  /** Average daily volume in shares. */
  readonly averageVolume?: number | null;
  readonly name?: string;
  readonly exchange?: string;
  readonly tradable?: boolean;
  readonly shortable?: boolean;
  readonly easyToBorrow?: boolean;
  readonly fractionable?: boolean;
}

function regularBars(timeline: BarTimeline, symbol: string, date: string, m: number): Bar[] {
  const s = regularSessionUtc(date);
  return s === null ? [] : timeline.visible(symbol, m, s.openMs, s.closeMs - 1);
}

/** Regular-session closes of earlier dates within the screen's lookback, ascending. */
export function sessionHistory(timeline: BarTimeline, symbol: string, date: string, m: number): SessionClose[] {
  const out: SessionClose[] = [];
  for (const d of tradingDaysBetween(addDays(date, -SCREEN_LOOKBACK_CALENDAR_DAYS), addDays(date, -1))) {
    const c = sessionCloseOf(d, regularBars(timeline, symbol, d, m));
    if (c !== null) out.push(c);
  }
  return out;
}

/** The backtester's facts for the symbol at market instant `m` of `date`. */
export function barFacts(timeline: BarTimeline, symbol: string, date: string, m: number) {
  const s = regularSessionUtc(date);
  const visible = s === null ? [] : timeline.visible(symbol, m, s.openMs - 16 * 3_600_000, s.closeMs - 1);
  return screeningFacts({ symbol, date, firstSessionBarMs: s?.openMs ?? m, history: sessionHistory(timeline, symbol, date, m), bars: visible });
}

export interface FinnhubQuoteJson {
  readonly c: number;
  readonly d: number | null;
  readonly dp: number | null;
  readonly h: number;
  readonly l: number;
  readonly o: number;
  readonly pc: number;
  readonly t: number;
}

/** Finnhub's answer for a symbol it does not know. */
export const UNKNOWN_QUOTE: FinnhubQuoteJson = { c: 0, d: null, dp: null, h: 0, l: 0, o: 0, pc: 0, t: 0 };

/** /quote: the latest session with visible regular bars (today once open, else the previous one). */
export function finnhubQuote(timeline: BarTimeline, symbol: string, date: string, m: number): FinnhubQuoteJson {
  if (!timeline.has(symbol)) return UNKNOWN_QUOTE;
  const history = sessionHistory(timeline, symbol, date, m);
  let bars = regularBars(timeline, symbol, date, m);
  let pc = history.at(-1)?.close ?? 0;
  if (bars.length === 0 && history.length > 0) {
    bars = regularBars(timeline, symbol, history.at(-1)!.date, m);
    pc = history.at(-2)?.close ?? 0;
  }
  if (bars.length === 0) return UNKNOWN_QUOTE;
  const last = bars[bars.length - 1]!;
  const c = last.c;
  const round = (x: number) => Math.round(x * 10_000) / 10_000;
  return {
    c,
    d: pc > 0 ? round(c - pc) : null,
    dp: pc > 0 ? round(((c - pc) / pc) * 100) : null,
    h: Math.max(...bars.map((b) => b.h)),
    l: Math.min(...bars.map((b) => b.l)),
    o: bars[0]!.o,
    pc,
    t: Math.floor((last.t + MINUTE_MS) / 1000),
  };
}
