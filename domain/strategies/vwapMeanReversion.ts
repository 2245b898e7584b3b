import type { BotConfig } from '../config/botConfigSchema';
import { StreamingAdx } from '../indicators/adx';
import { StreamingBollinger } from '../indicators/bollinger';
import { StreamingVwap } from '../indicators/vwap';
import type { Bar } from '../market/bar';
import { midTiming, sessionWindowFor } from '../market/sessionWindow';
import { adxFilter, bollingerConfluence } from './enhancements';
import { SessionTracker, type EntryCandidate, type StrategyRules } from './sessionTracker';
import { dateWarnings, fractionProblem, result, timingProblems } from './selfCheckCommon';
import type { OpenPosition, Strategy } from './strategy';
import type { ExitReason, Side } from '../vocabulary';

export type MidConfig = Pick<
  BotConfig,
  | 'START_TIME_MID'
  | 'MID_ANALYSIS_TIME'
  | 'MID_BREAKOUT_TIME'
  | 'MID_MONITORING_TIME'
  | 'STRAT_MID_VWAP_THRESHOLD'
  | 'SESSION_TIME_ANCHOR'
>;

/** MID fixed stop: a close 1.5% or more against the entry close. */
export const MID_STOP_LOSS = 0.015;
export const MID_ADX_PERIOD = 14;
export const BOLLINGER_PERIOD = 20;
export const BOLLINGER_K = 2;

/**
 * MID, VWAP mean reversion (README.md, "Strategies"), on session bars (from the 09:30 New York open):
 * - entry: close <= VWAP x (1 - threshold) is long, close >= VWAP x (1 + threshold) short (long tested
 *   first), each confirmed by ADX(14) <= 25 and the close at or beyond the Bollinger(20, 2) band on that side;
 * - exits, in order: `vwap_touch` (close at or beyond the current VWAP), `stop_loss` (close at or beyond
 *   entry x (1 -/+ 0.015)), then the hold rules.
 * Strength: relative distance of the close beyond its VWAP threshold price, |close - threshold| / threshold.
 */
export class VwapMeanReversionRules implements StrategyRules {
  private readonly vwap = new StreamingVwap();
  private readonly adx = new StreamingAdx(MID_ADX_PERIOD);
  private readonly bollinger = new StreamingBollinger(BOLLINGER_PERIOD, BOLLINGER_K);

  constructor(private readonly threshold: number) {}

  observe(bar: Bar, inSession: boolean): void {
    if (!inSession) return;
    this.vwap.update(bar);
    this.adx.update(bar);
    this.bollinger.update(bar.c);
  }

  entry(bar: Bar, inSession: boolean): EntryCandidate | null {
    // The indicators must include the decision bar, so only session bars can be entries.
    const vwap = this.vwap.value;
    if (!inSession || vwap === null) return null;
    const longLine = vwap * (1 - this.threshold);
    if (bar.c <= longLine && this.confirmed('long', bar.c)) {
      return { side: 'long', strength: (longLine - bar.c) / longLine };
    }
    const shortLine = vwap * (1 + this.threshold);
    if (bar.c >= shortLine && this.confirmed('short', bar.c)) {
      return { side: 'short', strength: (bar.c - shortLine) / shortLine };
    }
    return null;
  }

  exit(bar: Bar, position: OpenPosition): ExitReason | null {
    const vwap = this.vwap.value;
    const long = position.side === 'long';
    if (vwap !== null && (long ? bar.c >= vwap : bar.c <= vwap)) return 'vwap_touch';
    const stop = long ? position.entryPrice * (1 - MID_STOP_LOSS) : position.entryPrice * (1 + MID_STOP_LOSS);
    if (long ? bar.c <= stop : bar.c >= stop) return 'stop_loss';
    return null;
  }

  private confirmed(side: Side, close: number): boolean {
    return adxFilter(this.adx.value).allow && bollingerConfluence(side, close, this.bollinger.bands).allow;
  }
}

export const vwapMeanReversion: Strategy<MidConfig> = {
  name: 'mid',
  selfCheck(cfg, ctx) {
    const timing = midTiming(cfg);
    const problems = timingProblems('mid', timing);
    const thr = fractionProblem('STRAT_MID_VWAP_THRESHOLD', cfg.STRAT_MID_VWAP_THRESHOLD);
    if (thr) problems.push(thr);
    return result(problems, dateWarnings('mid', timing, ctx.date, cfg.SESSION_TIME_ANCHOR));
  },
  createTracker(symbol, date, cfg) {
    const window = sessionWindowFor(date, midTiming(cfg), cfg.SESSION_TIME_ANCHOR);
    return new SessionTracker(symbol, date, window, new VwapMeanReversionRules(cfg.STRAT_MID_VWAP_THRESHOLD));
  },
};
