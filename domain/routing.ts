import type { OutputMode } from './trades/tradeRecord';

export interface RoutingFlags {
  readonly TEST_MODE: boolean;
  readonly FORCE_PAPER_EXPORT: boolean;
  /** True for backtests: they never touch paper or live files. */
  readonly backtest?: boolean;
}

/**
 * The one place that decides where outputs go (spec section 4):
 * backtests -> _backtest; TEST_MODE or FORCE_PAPER_EXPORT -> _paper; `_live` only when both are false.
 */
export function outputMode(flags: RoutingFlags): OutputMode {
  if (flags.backtest) return 'backtest';
  if (flags.TEST_MODE || flags.FORCE_PAPER_EXPORT) return 'paper';
  return 'live';
}

/** Which broker endpoint family may be called. TEST_MODE never reaches a live endpoint. */
export function brokerEndpointMode(flags: { TEST_MODE: boolean }, configured: 'paper' | 'live'): 'paper' | 'live' {
  return flags.TEST_MODE ? 'paper' : configured;
}
