import type { StrategyName } from '../strategies/strategy';

export interface SessionPlanConfig {
  readonly STRATEGY_SEQUENCE: readonly StrategyName[];
  readonly STRATEGY_OVERRIDE: StrategyName | null;
  readonly STRAT_OPEN_ENABLED: boolean;
  readonly STRAT_MID_ENABLED: boolean;
  readonly STRAT_CLOSE_ENABLED: boolean;
}

/** Which sessions run today, in order: STRATEGY_OVERRIDE alone, else STRATEGY_SEQUENCE, minus disabled ones. */
export function plannedSessions(cfg: SessionPlanConfig): { sessions: StrategyName[]; skipped: string[] } {
  const order = cfg.STRATEGY_OVERRIDE ? [cfg.STRATEGY_OVERRIDE] : [...cfg.STRATEGY_SEQUENCE];
  const enabled: Record<StrategyName, boolean> = {
    open: cfg.STRAT_OPEN_ENABLED,
    mid: cfg.STRAT_MID_ENABLED,
    close: cfg.STRAT_CLOSE_ENABLED,
  };
  const sessions = order.filter((s) => enabled[s]);
  const skipped = order.filter((s) => !enabled[s]).map((s) => `${s} session skipped: STRAT_${s.toUpperCase()}_ENABLED=false`);
  return { sessions, skipped };
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export function weekdayOf(date: string): (typeof WEEKDAYS)[number] {
  return WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()];
}
