import { isTradingDay } from '../market/exchangeCalendar';
import { dstMisalignment, type SessionTimeAnchor, type SessionTiming } from '../market/sessionWindow';
import { hhmmToMinutes, MINUTES_PER_DAY } from '../market/nyTime';
import type { SelfCheckResult } from './strategy';
import type { StrategyName } from '../vocabulary';

/** Timing problems shared by all strategies: each UTC date stands alone, so the windows must fit in it. */
export function timingProblems(strategy: StrategyName, timing: SessionTiming): string[] {
  const problems: string[] = [];
  const S = strategy.toUpperCase();
  let start: number;
  try {
    start = hhmmToMinutes(timing.startHHMM);
  } catch {
    return [`START_TIME_${S}=${timing.startHHMM}: allowed: a UTC time HH:MM`];
  }
  const minutes: [string, number][] = [
    [`${S}_ANALYSIS_TIME`, timing.analysisMinutes],
    [`${S}_BREAKOUT_TIME`, timing.breakoutMinutes],
    [`${S}_MONITORING_TIME`, timing.monitoringMinutes],
  ];
  for (const [key, value] of minutes) {
    if (!Number.isInteger(value) || value < 1) problems.push(`${key}=${value}: allowed: a whole number of minutes >= 1`);
  }
  const entryEnd = start + timing.analysisMinutes + timing.breakoutMinutes;
  if (problems.length === 0 && entryEnd > MINUTES_PER_DAY) {
    problems.push(
      `START_TIME_${S}=${timing.startHHMM} + ${S}_ANALYSIS_TIME + ${S}_BREAKOUT_TIME ends after 24:00 UTC: ` +
        'each UTC date stands alone, so the entry window must end within the date',
    );
  }
  return problems;
}

export function fractionProblem(key: string, value: number, opts: { max?: number } = {}): string | null {
  const max = opts.max ?? 1;
  if (!Number.isFinite(value) || value < 0 || value >= max) return `${key}=${value}: allowed: a number from 0 to below ${max}`;
  return null;
}

/** Calendar and daylight-saving findings for the session date, as warnings. */
export function dateWarnings(
  strategy: StrategyName,
  timing: SessionTiming,
  date: string | undefined,
  anchor: SessionTimeAnchor,
): string[] {
  if (date === undefined) return [];
  try {
    if (anchor === 'exchange') {
      // Anchored to the New York clock: DST cannot move the session; only a closed day is worth saying.
      return isTradingDay(date) ? [] : [`${date}: the exchange is closed`];
    }
    const msg = dstMisalignment(date, timing.startHHMM, strategy);
    return msg === null ? [] : [msg];
  } catch (err) {
    return [`session date ${date}: ${err instanceof Error ? err.message : String(err)}`];
  }
}

export function result(problems: readonly string[], warnings: readonly string[]): SelfCheckResult {
  return { ok: problems.length === 0, problems, warnings };
}
