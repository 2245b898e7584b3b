import type { BotConfig } from '../config/botConfigSchema';

/**
 * Concurrency and loss limits (docs/risk.md, "Formulas"), normal and in defense mode. Pure and deterministic.
 */

/** The `.env_bot` keys the risk rules read: a plain-data subset, safe for workflow history. */
export type RiskConfig = Pick<
  BotConfig,
  | 'DISABLE_ALL_TRADES'
  | 'FRACTIONAL'
  | 'TOTAL_ALLOCATION'
  | 'MAX_TRADES'
  | 'WEIGHTS'
  | 'DAILY_LOSS_LIMIT'
  | 'MAX_RISK_PER_TRADE'
  | 'MAX_OPEN_POSITIONS'
  | 'MAX_CONCURRENT_TRADES_PER_BROKER'
  | 'DEFENSE_MODE_ACTIVE'
  | 'DEFENSE_MODE_TRADE_LIMIT_PCT'
  | 'DEFENSE_MODE_TOTAL_ALLOCATION'
>;

export const RISK_CONFIG_KEYS = [
  'DISABLE_ALL_TRADES',
  'FRACTIONAL',
  'TOTAL_ALLOCATION',
  'MAX_TRADES',
  'WEIGHTS',
  'DAILY_LOSS_LIMIT',
  'MAX_RISK_PER_TRADE',
  'MAX_OPEN_POSITIONS',
  'MAX_CONCURRENT_TRADES_PER_BROKER',
  'DEFENSE_MODE_ACTIVE',
  'DEFENSE_MODE_TRADE_LIMIT_PCT',
  'DEFENSE_MODE_TOTAL_ALLOCATION',
] as const satisfies readonly (keyof RiskConfig)[];

/** Picks the risk keys out of a full config, so nothing else ends up in the account workflow's history. */
export function riskConfigFrom(config: RiskConfig): RiskConfig {
  return {
    DISABLE_ALL_TRADES: config.DISABLE_ALL_TRADES,
    FRACTIONAL: config.FRACTIONAL,
    TOTAL_ALLOCATION: config.TOTAL_ALLOCATION,
    MAX_TRADES: config.MAX_TRADES,
    WEIGHTS: [...config.WEIGHTS],
    DAILY_LOSS_LIMIT: config.DAILY_LOSS_LIMIT,
    MAX_RISK_PER_TRADE: config.MAX_RISK_PER_TRADE,
    MAX_OPEN_POSITIONS: config.MAX_OPEN_POSITIONS,
    MAX_CONCURRENT_TRADES_PER_BROKER: config.MAX_CONCURRENT_TRADES_PER_BROKER,
    DEFENSE_MODE_ACTIVE: config.DEFENSE_MODE_ACTIVE,
    DEFENSE_MODE_TRADE_LIMIT_PCT: config.DEFENSE_MODE_TRADE_LIMIT_PCT,
    DEFENSE_MODE_TOTAL_ALLOCATION: config.DEFENSE_MODE_TOTAL_ALLOCATION,
  };
}

/** The limits in force right now. */
export interface EffectiveLimits {
  readonly defenseActive: boolean;
  readonly tradesDisabled: boolean;
  /** Fraction of the broker float a session may allocate (TOTAL_ALLOCATION, or the defense cap). */
  readonly sessionAllocationFraction: number;
  /** Most accepted signals per session and broker (n of the weights table). */
  readonly maxTradesPerSession: number;
  readonly maxConcurrentPerBroker: number;
  readonly maxOpenPositions: number;
  readonly maxRiskPerTrade: number;
  readonly dailyLossLimit: number;
}

/**
 * A count limit in defense mode: floor(normal x pct / 100), at least 1, and never above normal
 * (so a limit of 0 stays 0: defense mode must never loosen a limit).
 * Multiplying before dividing keeps integer inputs exact (3 x 66 / 100 = 1.98 -> 1).
 */
export function defenseReducedLimit(normal: number, tradeLimitPct: number): number {
  if (normal <= 0) return 0;
  const reduced = Math.floor((normal * tradeLimitPct) / 100);
  return Math.min(normal, Math.max(1, reduced));
}

export function effectiveLimits(config: RiskConfig, defenseActive: boolean): EffectiveLimits {
  const pct = config.DEFENSE_MODE_TRADE_LIMIT_PCT;
  const reduce = (n: number) => (defenseActive ? defenseReducedLimit(n, pct) : n);
  return {
    defenseActive,
    tradesDisabled: config.DISABLE_ALL_TRADES,
    // "Capped at": defense never raises the allocation above the normal one.
    sessionAllocationFraction: defenseActive
      ? Math.min(config.TOTAL_ALLOCATION, config.DEFENSE_MODE_TOTAL_ALLOCATION)
      : config.TOTAL_ALLOCATION,
    maxTradesPerSession: reduce(config.MAX_TRADES),
    maxConcurrentPerBroker: reduce(config.MAX_CONCURRENT_TRADES_PER_BROKER),
    maxOpenPositions: reduce(config.MAX_OPEN_POSITIONS),
    maxRiskPerTrade: config.MAX_RISK_PER_TRADE,
    dailyLossLimit: config.DAILY_LOSS_LIMIT,
  };
}

/** Why a slot check failed; null when a slot is free. */
export type SlotRefusal = 'broker_concurrency_limit' | 'open_positions_limit';

export function checkSlots(openAtBroker: number, openTotal: number, limits: EffectiveLimits): SlotRefusal | null {
  if (openAtBroker >= limits.maxConcurrentPerBroker) return 'broker_concurrency_limit';
  if (openTotal >= limits.maxOpenPositions) return 'open_positions_limit';
  return null;
}

const cents = (dollars: number) => Math.round(dollars * 100);

/** The day's loss limit for a broker in dollars: DAILY_LOSS_LIMIT x the broker's float at the start of the day. */
export function dailyLossLimitDollars(startOfDayFloat: number, dailyLossLimit: number): number {
  return cents(Math.max(0, startOfDayFloat) * dailyLossLimit) / 100;
}

/**
 * True when the broker must halt for the day. Rule chosen: halted when the net realised loss of the day
 * is AT or beyond the limit (the conservative reading of "beyond"), compared in whole cents so that
 * a loss of exactly the limit halts despite floating-point sums. A day with no net loss never halts,
 * so DAILY_LOSS_LIMIT = 0 means "halt on the first net loss".
 */
export function dailyLossLimitReached(realizedPnlToday: number, startOfDayFloat: number, dailyLossLimit: number): boolean {
  const lossCents = cents(-realizedPnlToday);
  if (lossCents <= 0) return false;
  return lossCents >= cents(dailyLossLimitDollars(startOfDayFloat, dailyLossLimit));
}
