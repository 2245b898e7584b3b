import type { BotConfig } from '../config/botConfigSchema';
import { StreamingBollinger } from '../indicators/bollinger';
import { StreamingVwap } from '../indicators/vwap';
import type { Bar } from '../market/bar';
import { regularSessionUtc } from '../market/exchangeCalendar';
import { openTiming, sessionWindowFor } from '../market/sessionWindow';
import type { StrategyName } from '../vocabulary';
import { BOLLINGER_K, BOLLINGER_PERIOD } from '../strategies/vwapMeanReversion';

/**
 * The indicators a strategy decided on, recomputed for a report chart with the strategies' own indicator
 * classes over the same bars (regular-session bars, as MID and CLOSE observe them): OPEN's opening range
 * and its buffered breakout lines, the session VWAP with MID's threshold bands, Bollinger(20, 2).
 */

export interface IndicatorPoint {
  /** Bar start, epoch ms. */
  readonly t: number;
  readonly v: number;
}

export interface OpeningRange {
  /** Analysis window [fromMs, toMs) of OPEN on the date. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly high: number;
  readonly low: number;
  /** Breakout lines: high x (1 + buffer), low x (1 - buffer). */
  readonly longAbove: number;
  readonly shortBelow: number;
}

export interface ChartIndicators {
  readonly openingRange: OpeningRange | null;
  readonly vwap: readonly IndicatorPoint[];
  /** MID's entry lines VWAP x (1 -/+ threshold); empty unless MID traded the symbol-day. */
  readonly vwapUpper: readonly IndicatorPoint[];
  readonly vwapLower: readonly IndicatorPoint[];
  readonly bollingerUpper: readonly IndicatorPoint[];
  readonly bollingerMiddle: readonly IndicatorPoint[];
  readonly bollingerLower: readonly IndicatorPoint[];
}

export type IndicatorConfig = Pick<
  BotConfig,
  'START_TIME_OPEN' | 'OPEN_ANALYSIS_TIME' | 'OPEN_BREAKOUT_TIME' | 'OPEN_MONITORING_TIME' | 'STRAT_OPEN_BUFFER' | 'SESSION_TIME_ANCHOR' | 'STRAT_MID_VWAP_THRESHOLD'
>;

/** OPEN's opening range on the date: the highest high and lowest low of its analysis-window bars. */
export function openingRange(bars: readonly Bar[], date: string, cfg: IndicatorConfig): OpeningRange | null {
  const w = sessionWindowFor(date, openTiming(cfg), cfg.SESSION_TIME_ANCHOR);
  const inRange = bars.filter((b) => b.t >= w.analysisStartMs && b.t < w.entryStartMs);
  if (inRange.length === 0) return null;
  const high = Math.max(...inRange.map((b) => b.h));
  const low = Math.min(...inRange.map((b) => b.l));
  return {
    fromMs: w.analysisStartMs,
    toMs: w.entryStartMs,
    high,
    low,
    longAbove: high * (1 + cfg.STRAT_OPEN_BUFFER),
    shortBelow: low * (1 - cfg.STRAT_OPEN_BUFFER),
  };
}

/** The indicators of the strategies that traded the symbol-day, over the date's bars. */
export function chartIndicators(bars: readonly Bar[], date: string, strategies: readonly StrategyName[], cfg: IndicatorConfig | null): ChartIndicators {
  const session = regularSessionUtc(date);
  const usesVwap = strategies.includes('mid') || strategies.includes('close');
  const vwapLine = new StreamingVwap();
  const bands = new StreamingBollinger(BOLLINGER_PERIOD, BOLLINGER_K);
  const out = { vwap: [] as IndicatorPoint[], vwapUpper: [] as IndicatorPoint[], vwapLower: [] as IndicatorPoint[], bollingerUpper: [] as IndicatorPoint[], bollingerMiddle: [] as IndicatorPoint[], bollingerLower: [] as IndicatorPoint[] };
  const midThreshold = strategies.includes('mid') && cfg !== null ? cfg.STRAT_MID_VWAP_THRESHOLD : null;
  for (const bar of bars) {
    if (!usesVwap || session === null || bar.t < session.openMs || bar.t >= session.closeMs) continue;
    vwapLine.update(bar);
    bands.update(bar.c);
    const v = vwapLine.value;
    if (v !== null) {
      out.vwap.push({ t: bar.t, v });
      if (midThreshold !== null) {
        out.vwapUpper.push({ t: bar.t, v: v * (1 + midThreshold) });
        out.vwapLower.push({ t: bar.t, v: v * (1 - midThreshold) });
      }
    }
    const b = bands.bands;
    if (b !== null) {
      out.bollingerUpper.push({ t: bar.t, v: b.upper });
      out.bollingerMiddle.push({ t: bar.t, v: b.middle });
      out.bollingerLower.push({ t: bar.t, v: b.lower });
    }
  }
  const range = strategies.includes('open') && cfg !== null ? openingRange(bars, date, cfg) : null;
  return { openingRange: range, ...out };
}
