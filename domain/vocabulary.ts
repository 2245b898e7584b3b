/**
 * The words every layer shares: which strategy, which side, which broker, where outputs go, what was
 * bought, why a position closed. One home, so that a new value is added once (docs/architecture.md,
 * "Vocabulary").
 */

/** The three sessions of a trading day, each with its own strategy. */
export const STRATEGY_NAMES = ['open', 'mid', 'close'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** Direction of the underlying: long = bullish, short = bearish. */
export type Side = 'long' | 'short';

/** Why a position was closed: strategy rules first, then operations. */
export type ExitReason =
  | 'vwap_touch'
  | 'stop_loss'
  | 'trailing_stop'
  | 'hold_limit'
  | 'market_close'
  | 'no_more_bars'
  // Reasons that come from operations rather than strategy rules.
  | 'kill_switch'
  | 'stopped'
  | 'session_end'
  // A bot position no session tracked (left by a crash, a failed or earlier session), exited at reconciliation.
  | 'reconciled';

/** The brokers real money can reach. */
export const LIVE_BROKER_NAMES = ['alpaca', 'ibkr'] as const;
export type LiveBrokerName = (typeof LIVE_BROKER_NAMES)[number];

/**
 * `sim` is the TEST_MODE simulated broker; `sim-alpaca` and `sim-ibkr` are separate simulated accounts that
 * stand in for the two real brokers when a TEST_MODE day runs several brokers. No broker factory knows the
 * `sim*` names, so a TEST_MODE day can never resolve them to a real endpoint.
 */
export type SimulatedBrokerName = 'sim' | 'sim-alpaca' | 'sim-ibkr';
export type BrokerName = LiveBrokerName | SimulatedBrokerName;
export const SIMULATED_BROKERS: readonly SimulatedBrokerName[] = ['sim', 'sim-alpaca', 'sim-ibkr'];
export const BROKER_NAMES: readonly BrokerName[] = [...LIVE_BROKER_NAMES, ...SIMULATED_BROKERS];
export function isSimulatedBroker(name: string): name is SimulatedBrokerName {
  return (SIMULATED_BROKERS as readonly string[]).includes(name);
}

/** Where outputs go: `_live`, `_paper` or `_backtest` files. */
export type OutputMode = 'live' | 'paper' | 'backtest';

/** What was actually bought: the stock itself, a put on it, or an inverse ETF of it (or a short sale). */
export type Instrument = 'stock' | 'put' | 'inverse_etf' | 'short_stock';
