import { strategyEnabled, type StrategyEnabledConfig } from '../config/strategySettings';
import type { StrategyName } from '../vocabulary';

export interface SessionPlanConfig extends StrategyEnabledConfig {
  readonly STRATEGY_SEQUENCE: readonly StrategyName[];
  readonly STRATEGY_OVERRIDE: StrategyName | null;
}

/** Which sessions run today, in order: STRATEGY_OVERRIDE alone, else STRATEGY_SEQUENCE, minus disabled ones. */
export function plannedSessions(cfg: SessionPlanConfig): { sessions: StrategyName[]; skipped: string[] } {
  const order = cfg.STRATEGY_OVERRIDE ? [cfg.STRATEGY_OVERRIDE] : [...cfg.STRATEGY_SEQUENCE];
  const sessions = order.filter((s) => strategyEnabled(cfg, s));
  const skipped = order.filter((s) => !strategyEnabled(cfg, s)).map((s) => `${s} session skipped: STRAT_${s.toUpperCase()}_ENABLED=false`);
  return { sessions, skipped };
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export function weekdayOf(date: string): (typeof WEEKDAYS)[number] {
  return WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()];
}
