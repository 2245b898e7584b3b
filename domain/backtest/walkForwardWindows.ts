import { ConfigError } from '../config/configError';

/*
 * Walk-forward windows over a list of trading dates: each window trains on `trainDays` dates and tests on
 * the `testDays` that follow; the next window starts `stepDays` later. Only whole windows are made, so
 * every test result is out of sample by the same length (docs/backtest.md, "Walk-forward").
 */

export interface WalkForwardPlan {
  readonly trainDays: number;
  readonly testDays: number;
  /** Dates between the starts of two windows; usually testDays, so the test ranges tile the period. */
  readonly stepDays: number;
}

export interface WalkForwardWindow {
  /** 1-based, in time order. */
  readonly index: number;
  readonly trainStart: string;
  readonly trainEnd: string;
  readonly testStart: string;
  readonly testEnd: string;
}

/** The windows over `dates` (ascending, distinct); ConfigError when the plan is bad or no window fits. */
export function walkForwardWindows(dates: readonly string[], plan: WalkForwardPlan): WalkForwardWindow[] {
  const problems = planProblems(plan);
  if (problems.length > 0) throw new ConfigError(problems);
  const windows: WalkForwardWindow[] = [];
  const span = plan.trainDays + plan.testDays;
  for (let first = 0; first + span <= dates.length; first += plan.stepDays) {
    windows.push({
      index: windows.length + 1,
      trainStart: dates[first]!,
      trainEnd: dates[first + plan.trainDays - 1]!,
      testStart: dates[first + plan.trainDays]!,
      testEnd: dates[first + span - 1]!,
    });
  }
  if (windows.length === 0) {
    throw new ConfigError(`walk-forward needs ${span} trading days (train ${plan.trainDays} + test ${plan.testDays}); the range holds ${dates.length}`);
  }
  return windows;
}

function planProblems(plan: WalkForwardPlan): string[] {
  const problems: string[] = [];
  for (const [name, days] of [['train', plan.trainDays], ['test', plan.testDays], ['step', plan.stepDays]] as const) {
    if (!Number.isInteger(days) || days < 1) problems.push(`walk-forward ${name}: ${days} is not a whole number of trading days of at least 1`);
  }
  return problems;
}
