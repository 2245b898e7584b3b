import type { BotConfig } from '../config/botConfigSchema';
import type { Bar } from '../market/bar';
import { openTiming, sessionWindowFor } from '../market/sessionWindow';
import { SessionTracker, type EntryCandidate, type StrategyRules } from './sessionTracker';
import { dateWarnings, fractionProblem, result, timingProblems } from './selfCheckCommon';
import type { OpenPosition, Strategy } from './strategy';
import type { ExitReason } from '../vocabulary';

export type OpenConfig = Pick<
  BotConfig,
  | 'START_TIME_OPEN'
  | 'OPEN_ANALYSIS_TIME'
  | 'OPEN_BREAKOUT_TIME'
  | 'OPEN_MONITORING_TIME'
  | 'STRAT_OPEN_BUFFER'
  | 'SESSION_TIME_ANCHOR'
>;

/** OPEN exits on a close 2% or more worse than the best close since entry (entry close included). */
export const OPEN_TRAILING_STOP = 0.02;

/**
 * OPEN, opening range breakout (README.md, "Strategies"):
 * - range = highest high and lowest low of the analysis-window bars (one bar is enough, none: no entry);
 * - entry on the first entry-window bar whose close is strictly above high x (1 + buffer) (long) or
 *   strictly below low x (1 - buffer) (short), long tested first;
 * - exit: `trailing_stop` when a managed close is at or beyond best x (1 -/+ 0.02), else the hold rules.
 * Strength: relative distance of the close beyond its threshold price, |close - threshold| / threshold.
 */
export class OpenRangeBreakoutRules implements StrategyRules {
  private rangeHigh = Number.NEGATIVE_INFINITY;
  private rangeLow = Number.POSITIVE_INFINITY;
  private hasRange = false;
  private best: number | null = null;

  constructor(
    private readonly analysisStartMs: number,
    private readonly entryStartMs: number,
    private readonly buffer: number,
  ) {}

  /** The range reads only analysis-window bars: earlier ones may be skipped by a backtest. */
  get observesFromMs(): number {
    return this.analysisStartMs;
  }

  observe(bar: Bar): void {
    if (bar.t < this.analysisStartMs || bar.t >= this.entryStartMs) return;
    if (bar.h > this.rangeHigh) this.rangeHigh = bar.h;
    if (bar.l < this.rangeLow) this.rangeLow = bar.l;
    this.hasRange = true;
  }

  entry(bar: Bar): EntryCandidate | null {
    if (!this.hasRange) return null;
    const upper = this.rangeHigh * (1 + this.buffer);
    if (bar.c > upper) return { side: 'long', strength: (bar.c - upper) / upper };
    const lower = this.rangeLow * (1 - this.buffer);
    if (bar.c < lower) return { side: 'short', strength: (lower - bar.c) / lower };
    return null;
  }

  exit(bar: Bar, position: OpenPosition): ExitReason | null {
    const prevBest = this.best ?? position.entryPrice;
    if (position.side === 'long') {
      this.best = Math.max(prevBest, bar.c);
      return bar.c <= this.best * (1 - OPEN_TRAILING_STOP) ? 'trailing_stop' : null;
    }
    this.best = Math.min(prevBest, bar.c);
    return bar.c >= this.best * (1 + OPEN_TRAILING_STOP) ? 'trailing_stop' : null;
  }
}

export const openRangeBreakout: Strategy<OpenConfig> = {
  name: 'open',
  selfCheck(cfg, ctx) {
    const timing = openTiming(cfg);
    const problems = timingProblems('open', timing);
    const buf = fractionProblem('STRAT_OPEN_BUFFER', cfg.STRAT_OPEN_BUFFER);
    if (buf) problems.push(buf);
    return result(problems, dateWarnings('open', timing, ctx.date, cfg.SESSION_TIME_ANCHOR));
  },
  createTracker(symbol, date, cfg) {
    const window = sessionWindowFor(date, openTiming(cfg), cfg.SESSION_TIME_ANCHOR);
    const rules = new OpenRangeBreakoutRules(window.analysisStartMs, window.entryStartMs, cfg.STRAT_OPEN_BUFFER);
    return new SessionTracker(symbol, date, window, rules);
  },
};
