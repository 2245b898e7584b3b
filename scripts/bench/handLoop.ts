import type { SymbolSeries } from '../../domain/backtest/columnar';
import type { BotConfig } from '../../domain/config/botConfigSchema';
import { openTiming, sessionWindowFor } from '../../domain/market/sessionWindow';
import { OPEN_TRAILING_STOP } from '../../domain/strategies/openRangeBreakout';
import type { SimulatedTrade } from '../../domain/strategies/simulate';
import type { ExitReason } from '../../domain/vocabulary';

/** What the hand loop reads of a series: the columns of times, highs, lows and closes and the date index. */
export type HandSeries = Pick<SymbolSeries, 'symbol' | 't' | 'h' | 'l' | 'c' | 'dates' | 'dayStart'>;

const MINUTE = 60_000;

/** A trade of the hand-written loop: the engine's SimulatedTrade without strategy and ranking key. */
export type HandTrade = Omit<SimulatedTrade, 'strategy' | 'strength'>;

/**
 * The OPEN rules written by hand over the columns, with the same settled edge cases as the engine
 * (half-open windows, strict breakout tests, trailing stop on closes, hold limit, market close, end of
 * data); windows are computed once per date.
 */
export function handLoopOpen(series: readonly HandSeries[], cfg: BotConfig): HandTrade[] {
  const out: HandTrade[] = [];
  const buffer = cfg.STRAT_OPEN_BUFFER;
  const windows = new Map<string, { a: number; e: number; x: number; hold: number; close: number } | null>();
  for (const s of series) {
    const T = s.t;
    const H = s.h;
    const L = s.l;
    const C = s.c;
    for (let d = 0; d < s.dates.length; d++) {
      const date = s.dates[d]!;
      let w = windows.get(date);
      if (w === undefined) {
        const sw = sessionWindowFor(date, openTiming(cfg), cfg.SESSION_TIME_ANCHOR);
        w = sw.marketCloseMs === null ? null : { a: sw.analysisStartMs, e: sw.entryStartMs, x: sw.entryEndMs, hold: sw.holdMs, close: sw.marketCloseMs };
        windows.set(date, w);
      }
      if (w === null) continue;
      let hi = -Infinity;
      let lo = Infinity;
      let side = 0;
      let entryI = -1;
      let lastI = -1;
      let best = 0;
      let holdEnd = 0;
      let reason: ExitReason | null = null;
      let exitI = -1;
      const end = s.dayStart[d + 1]!;
      let i = s.dayStart[d]!;
      for (; i < end; i++) {
        const t = T[i]!;
        if (side === 0) {
          if (t >= w.x || t >= w.close) break;
          if (t < w.e) {
            if (t >= w.a) {
              if (H[i]! > hi) hi = H[i]!;
              if (L[i]! < lo) lo = L[i]!;
            }
            continue;
          }
          if (hi === -Infinity) continue;
          const up = hi * (1 + buffer);
          if (C[i]! > up) side = 1;
          else if (C[i]! < lo * (1 - buffer)) side = -1;
          else continue;
          entryI = i;
          lastI = i;
          best = C[i]!;
          holdEnd = t + w.hold;
          continue;
        }
        if (t > holdEnd || t >= w.close) {
          reason = holdEnd < w.close ? 'hold_limit' : 'market_close';
          exitI = lastI;
          break;
        }
        const c = C[i]!;
        if (side > 0) {
          if (c > best) best = c;
          if (c <= best * (1 - OPEN_TRAILING_STOP)) {
            reason = 'trailing_stop';
            exitI = i;
            break;
          }
        } else {
          if (c < best) best = c;
          if (c >= best * (1 + OPEN_TRAILING_STOP)) {
            reason = 'trailing_stop';
            exitI = i;
            break;
          }
        }
        lastI = i;
        if (t >= Math.min(holdEnd, w.close - MINUTE)) {
          reason = holdEnd < w.close ? 'hold_limit' : 'market_close';
          exitI = i;
          break;
        }
      }
      if (side === 0) continue;
      if (reason === null) {
        // The date's data ended inside the hold window.
        const seen = T[end - 1]! >= Math.min(holdEnd, w.close - MINUTE);
        reason = seen ? (holdEnd < w.close ? 'hold_limit' : 'market_close') : 'no_more_bars';
        exitI = lastI;
      }
      out.push({
        symbol: s.symbol,
        date,
        side: side > 0 ? 'long' : 'short',
        entryTime: T[entryI]!,
        entryPrice: C[entryI]!,
        exitTime: T[exitI]!,
        exitPrice: C[exitI]!,
        exitReason: reason,
      });
    }
  }
  return out;
}

/** One line per trade, for comparing two runs' trades as sets. */
export function tradeKeys(trades: readonly HandTrade[]): string[] {
  return trades.map((t) => `${t.symbol}|${t.date}|${t.side}|${t.entryTime}|${t.exitTime}|${t.entryPrice}|${t.exitPrice}|${t.exitReason}`).sort();
}

/** Throws unless both runs found the same trades. */
export function assertSameTrades(what: string, a: readonly HandTrade[], b: readonly HandTrade[]): void {
  const ka = tradeKeys(a);
  const kb = tradeKeys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) throw new Error(`${what} disagree: ${ka.length} vs ${kb.length} trades`);
}
