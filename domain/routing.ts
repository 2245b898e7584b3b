import type { BotConfig } from './config/botConfigSchema';
import type { OutputMode } from './vocabulary';

export type EndpointMode = 'paper' | 'live';

export interface RoutingFlags {
  readonly TEST_MODE: boolean;
  readonly FORCE_PAPER_EXPORT: boolean;
  /**
   * The configured mode (ALPACA_MODE, IBKR_MODE) of every enabled broker. A paper account must never
   * write the live books, so `_live` needs at least one broker that trades live money.
   */
  readonly brokerModes: readonly EndpointMode[];
  /** True for backtests: they never touch paper or live files. */
  readonly backtest?: boolean;
}

export type RoutingConfig = Pick<BotConfig, 'TEST_MODE' | 'FORCE_PAPER_EXPORT' | 'ALPACA_ENABLED' | 'ALPACA_MODE' | 'IBKR_ENABLED' | 'IBKR_MODE'>;

/** The modes of the enabled brokers, in a fixed order (Alpaca, IBKR). */
export function enabledBrokerModes(cfg: Omit<RoutingConfig, 'TEST_MODE' | 'FORCE_PAPER_EXPORT'>): EndpointMode[] {
  const modes: EndpointMode[] = [];
  if (cfg.ALPACA_ENABLED) modes.push(cfg.ALPACA_MODE);
  if (cfg.IBKR_ENABLED) modes.push(cfg.IBKR_MODE);
  return modes;
}

/** The routing flags of a configuration: what every caller of outputMode passes. */
export function routingFlagsOf(cfg: RoutingConfig, backtest = false): RoutingFlags {
  return { TEST_MODE: cfg.TEST_MODE, FORCE_PAPER_EXPORT: cfg.FORCE_PAPER_EXPORT, brokerModes: enabledBrokerModes(cfg), backtest };
}

/**
 * The one place that decides where outputs go (README.md, "Modes and where outputs go"):
 * backtests -> _backtest; TEST_MODE or FORCE_PAPER_EXPORT -> _paper; otherwise `_live` only when at least
 * one enabled broker trades live money, else _paper (a paper account never touches the live books).
 * A mix of paper and live brokers is refused by config validation (one day has one mode); should one reach
 * here anyway, the live money decides: its trades belong in the live books.
 */
export function outputMode(flags: RoutingFlags): OutputMode {
  if (flags.backtest) return 'backtest';
  if (flags.TEST_MODE || flags.FORCE_PAPER_EXPORT) return 'paper';
  return flags.brokerModes.includes('live') ? 'live' : 'paper';
}

/** outputMode of a configuration (its flags taken by routingFlagsOf). */
export function outputModeOf(cfg: RoutingConfig): OutputMode {
  return outputMode(routingFlagsOf(cfg));
}

/**
 * TEST_MODE=false with some enabled brokers on paper and others live: the day's books cannot be both, so
 * config validation refuses it (README "Modes and where outputs go"). Returns the problem, or null.
 */
export function mixedModeProblem(cfg: Omit<RoutingConfig, 'FORCE_PAPER_EXPORT'>): string | null {
  if (cfg.TEST_MODE) return null;
  const modes = enabledBrokerModes(cfg);
  if (!(modes.includes('live') && modes.includes('paper'))) return null;
  return (
    `ALPACA_MODE=${cfg.ALPACA_MODE} and IBKR_MODE=${cfg.IBKR_MODE} with both brokers enabled and TEST_MODE=false ` +
    '(allowed: every enabled broker in the same mode; one day writes one set of books, _paper or _live: run paper and live as separate setups)'
  );
}

/** Which broker endpoint family may be called. TEST_MODE never reaches a live endpoint. */
export function brokerEndpointMode(flags: { TEST_MODE: boolean }, configured: EndpointMode): EndpointMode {
  return flags.TEST_MODE ? 'paper' : configured;
}
