import type { BotConfig } from '../config/botConfigSchema';
import { StreamingBollinger } from '../indicators/bollinger';
import { ReturnStats } from '../indicators/rollingStats';
import { StreamingVwap } from '../indicators/vwap';
import { MINUTE_MS, type Bar } from '../market/bar';
import { closeTiming, sessionWindowFor } from '../market/sessionWindow';
import { vixGate } from './enhancements';
import { SessionTracker, type EntryCandidate, type StrategyRules } from './sessionTracker';
import { dateWarnings, result, timingProblems } from './selfCheckCommon';
import { BOLLINGER_K, BOLLINGER_PERIOD } from './vwapMeanReversion';
import type { OpenPosition, Strategy } from './strategy';
import type { ExitReason } from '../vocabulary';

export type CloseConfig = Pick<
  BotConfig,
  | 'START_TIME_CLOSE'
  | 'CLOSE_ANALYSIS_TIME'
  | 'CLOSE_BREAKOUT_TIME'
  | 'CLOSE_MONITORING_TIME'
  | 'STRAT_CLOSE_VIX_THRESHOLD'
  | 'STRAT_CLOSE_MODE'
  | 'CLOSE_FADE_SPIKE_STD'
  | 'CLOSE_MOMENTUM_MIN_MOVE'
  | 'SESSION_TIME_ANCHOR'
>;

/** CLOSE fixed stop: a close 2% or more against the entry close. */
export const CLOSE_STOP_LOSS = 0.02;
/** Fewer session returns than this: sigma is not trusted and the bar gives no entry. */
export const CLOSE_MIN_RETURNS = 20;

export type CloseMode = 'auto' | 'momentum' | 'fade';

/**
 * CLOSE, end-of-day momentum or fade (README.md, "Strategies"), all quantities on session bars, decision bar
 * included: day move = close / first session open - 1; window move = close / close of ref - 1 (ref = last
 * session bar starting at or before t - A); sigma = population std of all session returns so far (>= 20
 * needed); n = session bars after ref through t; spike = |window move| > K x sigma x sqrt(n).
 * Fade (fade, auto): spike up at/above the upper Bollinger band is short, spike down at/below the lower band
 * long. Momentum (momentum, or auto without a fade entry): day move >= min and window move > 0 and close >
 * VWAP is long; day move <= -min and window move < 0 and close < VWAP short.
 * Exit: `stop_loss` at a close 2% or more against the entry close, then the hold rules.
 * Strength: how far the deciding quantity passed its threshold, as a fraction of price: |window move| -
 * K x sigma x sqrt(n) for a fade, |day move| - min move for momentum.
 */
export class CloseMomentumFadeRules implements StrategyRules {
  private readonly vwap = new StreamingVwap();
  private readonly bollinger = new StreamingBollinger(BOLLINGER_PERIOD, BOLLINGER_K);
  private readonly returns = new ReturnStats();
  private readonly starts: number[] = [];
  private readonly closes: number[] = [];
  private firstOpen: number | null = null;
  /** Index of the window-move reference bar among session bars; -1 while there is none. */
  private ref = -1;

  constructor(
    private readonly analysisMs: number,
    private readonly mode: CloseMode,
    private readonly spikeStd: number,
    private readonly minMove: number,
  ) {}

  observe(bar: Bar, inSession: boolean): void {
    if (!inSession) return;
    if (this.firstOpen === null) this.firstOpen = bar.o;
    this.starts.push(bar.t);
    this.closes.push(bar.c);
    this.returns.push(bar.c);
    this.vwap.update(bar);
    this.bollinger.update(bar.c);
  }

  entry(bar: Bar, inSession: boolean): EntryCandidate | null {
    if (!inSession || this.firstOpen === null || this.returns.count < CLOSE_MIN_RETURNS) return null;
    const t = this.closes.length - 1;
    const refLimit = bar.t - this.analysisMs;
    // Bars arrive in time order, so the reference only moves forward.
    while (this.ref + 1 <= t && this.starts[this.ref + 1]! <= refLimit) this.ref += 1;
    if (this.ref < 0) return null;
    const close = bar.c;
    const windowMove = close / this.closes[this.ref]! - 1;
    const dayMove = close / this.firstOpen - 1;

    if (this.mode !== 'momentum') {
      const n = t - this.ref;
      const spikeLine = this.spikeStd * this.returns.populationStd * Math.sqrt(n);
      const bands = this.bollinger.bands;
      if (Math.abs(windowMove) > spikeLine && bands !== null) {
        const strength = Math.abs(windowMove) - spikeLine;
        if (windowMove > 0 && close >= bands.upper) return { side: 'short', strength };
        if (windowMove < 0 && close <= bands.lower) return { side: 'long', strength };
      }
      if (this.mode === 'fade') return null;
    }

    const vwap = this.vwap.value;
    if (vwap === null) return null;
    if (dayMove >= this.minMove && windowMove > 0 && close > vwap) {
      return { side: 'long', strength: dayMove - this.minMove };
    }
    if (dayMove <= -this.minMove && windowMove < 0 && close < vwap) {
      return { side: 'short', strength: -dayMove - this.minMove };
    }
    return null;
  }

  exit(bar: Bar, position: OpenPosition): ExitReason | null {
    if (position.side === 'long') return bar.c <= position.entryPrice * (1 - CLOSE_STOP_LOSS) ? 'stop_loss' : null;
    return bar.c >= position.entryPrice * (1 + CLOSE_STOP_LOSS) ? 'stop_loss' : null;
  }
}

export const closeMomentumFade: Strategy<CloseConfig> = {
  name: 'close',
  selfCheck(cfg, ctx) {
    const timing = closeTiming(cfg);
    const problems = timingProblems('close', timing);
    if (!(cfg.CLOSE_FADE_SPIKE_STD >= 0)) problems.push(`CLOSE_FADE_SPIKE_STD=${cfg.CLOSE_FADE_SPIKE_STD}: allowed: a number >= 0`);
    if (!(cfg.CLOSE_MOMENTUM_MIN_MOVE >= 0)) {
      problems.push(`CLOSE_MOMENTUM_MIN_MOVE=${cfg.CLOSE_MOMENTUM_MIN_MOVE}: allowed: a number >= 0`);
    }
    const warnings = dateWarnings('close', timing, ctx.date, cfg.SESSION_TIME_ANCHOR);
    const gate = vixGate(ctx.vixPrevClose, cfg.STRAT_CLOSE_VIX_THRESHOLD);
    if (gate.warning) warnings.push(gate.warning);
    else if (!gate.allow) {
      warnings.push(
        `VIX gate closed: previous VIX close ${ctx.vixPrevClose} is not above STRAT_CLOSE_VIX_THRESHOLD=` +
          `${cfg.STRAT_CLOSE_VIX_THRESHOLD}; no CLOSE entries`,
      );
    }
    return result(problems, warnings);
  },
  createTracker(symbol, date, cfg, ctx) {
    const timing = closeTiming(cfg);
    const window = sessionWindowFor(date, timing, cfg.SESSION_TIME_ANCHOR);
    const gate = vixGate(ctx.vixPrevClose, cfg.STRAT_CLOSE_VIX_THRESHOLD);
    const rules = new CloseMomentumFadeRules(
      timing.analysisMinutes * MINUTE_MS,
      cfg.STRAT_CLOSE_MODE,
      cfg.CLOSE_FADE_SPIKE_STD,
      cfg.CLOSE_MOMENTUM_MIN_MOVE,
    );
    const blocked = gate.allow ? null : `VIX ${ctx.vixPrevClose} not above ${cfg.STRAT_CLOSE_VIX_THRESHOLD}`;
    return new SessionTracker(symbol, date, window, rules, blocked);
  },
};
