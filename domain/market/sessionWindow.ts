import { MINUTE_MS } from './bar';
import { regularSessionUtc } from './exchangeCalendar';
import {
  EST_OFFSET_MIN,
  EDT_OFFSET_MIN,
  hhmmToMinutes,
  minutesToHhmm,
  nyOffsetOnDate,
  utcMidnightMs,
  utcMsToNyWallTime,
} from './nyTime';
import { strategyKeyName } from '../config/strategySettings';
import type { StrategyName } from '../vocabulary';

/** The four timing keys of one strategy session (README.md, "Strategies"). */
export interface SessionTiming {
  /** START_TIME_<S>, 'HH:MM' UTC as written in the config. */
  readonly startHHMM: string;
  /** <S>_ANALYSIS_TIME, minutes. */
  readonly analysisMinutes: number;
  /** <S>_BREAKOUT_TIME, minutes. */
  readonly breakoutMinutes: number;
  /** <S>_MONITORING_TIME, minutes. */
  readonly monitoringMinutes: number;
}

/**
 * One strategy session on one UTC date, all instants in epoch ms, windows half-open on bar starts:
 * analysis [analysisStartMs, entryStartMs), entry [entryStartMs, entryEndMs), hold up to entry start + holdMs.
 */
export interface SessionWindow {
  readonly date: string;
  readonly analysisStartMs: number;
  readonly entryStartMs: number;
  readonly entryEndMs: number;
  readonly holdMs: number;
  /** Regular-session open (09:30 New York); null when the exchange is closed that date. */
  readonly sessionOpenMs: number | null;
  /** Market close C (16:00 New York, 13:00 on early-close days); null when closed. */
  readonly marketCloseMs: number | null;
  readonly earlyClose: boolean;
}

/**
 * A live order sent after the bell is not filled on that day (Alpaca queues a day market order for the
 * next session), so every position a session still holds is exited this long before the close C: the
 * decision is taken on the bar that ends two minutes before C, which leaves a whole minute for the order,
 * its retries and a slow broker before the bell (docs/trading.md, "The session's end").
 */
export const CLOSE_EXIT_LEAD_MS = 2 * MINUTE_MS;

/**
 * When a session has exited everything: the latest entry bar plus the hold, or CLOSE_EXIT_LEAD_MS before
 * the close, whichever is first. `reason` says which one ends it (a position cut off by the close exits as
 * `market_close`). Shared by the session workflow and the backtester's portfolio mode.
 */
export function sessionEnd(w: SessionWindow): { readonly endMs: number; readonly reason: 'market_close' | 'session_end' } {
  const holdEndMs = w.entryEndMs + w.holdMs;
  if (w.marketCloseMs === null) return { endMs: holdEndMs, reason: 'session_end' };
  const closeDeadlineMs = w.marketCloseMs - CLOSE_EXIT_LEAD_MS;
  return holdEndMs < closeDeadlineMs ? { endMs: holdEndMs, reason: 'session_end' } : { endMs: closeDeadlineMs, reason: 'market_close' };
}

/** How START_TIME_* is read: UTC as written (spec default) or anchored to the New York clock (opt-in). */
export type SessionTimeAnchor = 'utc' | 'exchange';

/**
 * START_TIME_<S> as an instant on a date. With the 'exchange' anchor the UTC time is read as written for
 * New York standard time (EST, as the defaults are) and keeps that New York wall time all year, so
 * 14:30 is 09:30 New York in both winter (14:30Z) and summer (13:30Z).
 */
export function sessionStartUtcMs(date: string, startHHMM: string, anchor: SessionTimeAnchor = 'utc'): number {
  const minutes = hhmmToMinutes(startHHMM);
  const base = utcMidnightMs(date) + minutes * MINUTE_MS;
  if (anchor === 'utc') return base;
  return base + (EST_OFFSET_MIN - nyOffsetOnDate(date)) * MINUTE_MS;
}

export function sessionWindowFor(date: string, timing: SessionTiming, anchor: SessionTimeAnchor = 'utc'): SessionWindow {
  // Pure and called for every tracker (a backtest makes one per symbol, strategy and date): memoised per
  // timing and date. The windows are frozen because callers share them.
  const byDate = windowsFor(timing, anchor);
  let w = byDate.get(date);
  if (w === undefined) {
    w = Object.freeze(computeSessionWindow(date, timing, anchor));
    byDate.set(date, w);
  }
  return w;
}

function computeSessionWindow(date: string, timing: SessionTiming, anchor: SessionTimeAnchor): SessionWindow {
  const start = sessionStartUtcMs(date, timing.startHHMM, anchor);
  const entryStart = start + timing.analysisMinutes * MINUTE_MS;
  const session = regularSessionUtc(date);
  return {
    date,
    analysisStartMs: start,
    entryStartMs: entryStart,
    entryEndMs: entryStart + timing.breakoutMinutes * MINUTE_MS,
    holdMs: timing.monitoringMinutes * MINUTE_MS,
    sessionOpenMs: session?.openMs ?? null,
    marketCloseMs: session?.closeMs ?? null,
    earlyClose: session?.earlyClose ?? false,
  };
}

/** The windows of one timing and anchor, by date. */
interface WindowMemo {
  readonly startHHMM: string;
  readonly analysisMinutes: number;
  readonly breakoutMinutes: number;
  readonly monitoringMinutes: number;
  readonly anchor: SessionTimeAnchor;
  readonly byDate: Map<string, SessionWindow>;
}

/** Few timings are live at once (three strategies, a sweep's cells): a short list, the last hit first. */
const windowMemos: WindowMemo[] = [];
const MAX_WINDOW_MEMOS = 32;

function windowsFor(timing: SessionTiming, anchor: SessionTimeAnchor): Map<string, SessionWindow> {
  for (let k = 0; k < windowMemos.length; k++) {
    const m = windowMemos[k]!;
    if (
      m.startHHMM === timing.startHHMM &&
      m.analysisMinutes === timing.analysisMinutes &&
      m.breakoutMinutes === timing.breakoutMinutes &&
      m.monitoringMinutes === timing.monitoringMinutes &&
      m.anchor === anchor
    ) {
      return m.byDate;
    }
  }
  const m: WindowMemo = { ...timing, anchor, byDate: new Map() };
  // Oldest out: a long sweep over many timings keeps memory bounded.
  if (windowMemos.length >= MAX_WINDOW_MEMOS) windowMemos.pop();
  windowMemos.unshift(m);
  return m.byDate;
}

/** The config keys that hold each strategy's timing. */
export interface OpenTimingConfig {
  readonly START_TIME_OPEN: string;
  readonly OPEN_ANALYSIS_TIME: number;
  readonly OPEN_BREAKOUT_TIME: number;
  readonly OPEN_MONITORING_TIME: number;
}
export interface MidTimingConfig {
  readonly START_TIME_MID: string;
  readonly MID_ANALYSIS_TIME: number;
  readonly MID_BREAKOUT_TIME: number;
  readonly MID_MONITORING_TIME: number;
}
export interface CloseTimingConfig {
  readonly START_TIME_CLOSE: string;
  readonly CLOSE_ANALYSIS_TIME: number;
  readonly CLOSE_BREAKOUT_TIME: number;
  readonly CLOSE_MONITORING_TIME: number;
}
export type StrategyTimingConfig = OpenTimingConfig & MidTimingConfig & CloseTimingConfig;

export function openTiming(cfg: OpenTimingConfig): SessionTiming {
  return {
    startHHMM: cfg.START_TIME_OPEN,
    analysisMinutes: cfg.OPEN_ANALYSIS_TIME,
    breakoutMinutes: cfg.OPEN_BREAKOUT_TIME,
    monitoringMinutes: cfg.OPEN_MONITORING_TIME,
  };
}

export function midTiming(cfg: MidTimingConfig): SessionTiming {
  return {
    startHHMM: cfg.START_TIME_MID,
    analysisMinutes: cfg.MID_ANALYSIS_TIME,
    breakoutMinutes: cfg.MID_BREAKOUT_TIME,
    monitoringMinutes: cfg.MID_MONITORING_TIME,
  };
}

export function closeTiming(cfg: CloseTimingConfig): SessionTiming {
  return {
    startHHMM: cfg.START_TIME_CLOSE,
    analysisMinutes: cfg.CLOSE_ANALYSIS_TIME,
    breakoutMinutes: cfg.CLOSE_BREAKOUT_TIME,
    monitoringMinutes: cfg.CLOSE_MONITORING_TIME,
  };
}

export function strategyTiming(cfg: StrategyTimingConfig, strategy: StrategyName): SessionTiming {
  switch (strategy) {
    case 'open':
      return openTiming(cfg);
    case 'mid':
      return midTiming(cfg);
    case 'close':
      return closeTiming(cfg);
  }
}

/** Which New York season the configured UTC times were written for. The defaults are EST times. */
export type WrittenFor = 'EST' | 'EDT';

/**
 * A loud one-line message when START_TIME_<S> does not fall on the New York time the config intends on
 * this date, or null when it does. "Intends" = the New York wall time the UTC value has in the season the
 * config was written for (EST by default: 14:30 is the 09:30 open in winter, one hour after it in summer).
 * Also reports closed days and sessions that start outside the regular session or run past an early close.
 */
export function dstMisalignment(
  date: string,
  startHHMM: string,
  strategy: StrategyName,
  writtenFor: WrittenFor = 'EST',
): string | null {
  const key = strategyKeyName('START_TIME', strategy);
  const session = regularSessionUtc(date);
  if (!session) return `${date}: the exchange is closed; ${key}=${startHHMM} UTC has no session`;
  const startMs = sessionStartUtcMs(date, startHHMM, 'utc');
  const actualNy = utcMsToNyWallTime(startMs).hhmm;
  const writtenOffset = writtenFor === 'EST' ? EST_OFFSET_MIN : EDT_OFFSET_MIN;
  const intendedNy = minutesToHhmm(hhmmToMinutes(startHHMM) + writtenOffset);
  const season = nyOffsetOnDate(date) === EDT_OFFSET_MIN ? 'EDT' : 'EST';
  if (actualNy !== intendedNy) {
    return (
      `${date}: ${key}=${startHHMM} UTC is ${actualNy} New York (${season}), not the ${intendedNy} ` +
      `New York the config was written for (${writtenFor}); daylight saving time moved the session by one hour`
    );
  }
  if (startMs < session.openMs || startMs >= session.closeMs) {
    return `${date}: ${key}=${startHHMM} UTC is ${actualNy} New York, outside the regular session`;
  }
  return null;
}
