import type { PutModelRecord } from '../instruments/simulatedOptionPrice';
import type { BrokerName, ExitReason, Instrument, OutputMode, Side, StrategyName } from '../vocabulary';

/**
 * One completed (or failed) trade, as written to trade history and posted to the ledger.
 * Built from validated fills only. All times ISO 8601 UTC. Fields: README.md, "Modes and where outputs go".
 */
export interface TradeRecord {
  /** Stable id derived from workflow id, session and symbol: posting and writing are idempotent on it. */
  readonly tradeId: string;
  /** When the record was completed. */
  readonly timestamp: string;
  readonly date: string;
  readonly strategy_name: StrategyName;
  /** The symbol actually traded (the put contract or inverse ETF for bearish trades). */
  readonly ticker: string;
  readonly underlying: string;
  /** Direction of the underlying. */
  readonly side: Side;
  readonly instrument: Instrument;
  readonly size: number;
  /** The price the strategy decided at (signal bar close): slippage is measured against it. */
  readonly signal_price: number;
  readonly entry_price: number;
  readonly exit_price: number | null;
  readonly entry_time: string;
  readonly exit_time: string | null;
  readonly exit_reason: ExitReason | null;
  /** Realised profit in account currency, after fees. */
  readonly pnl: number;
  readonly fees: number;
  readonly broker: BrokerName;
  readonly mode: OutputMode;
  /** Dollars the risk rules granted. */
  readonly allocation: number;
  /** Broker float the sizing used. */
  readonly account_value: number;
  readonly entry_order_id: string;
  readonly exit_order_id: string | null;
  readonly client_order_ids: readonly string[];
  readonly tags: readonly string[];
  /** Set when the order was rejected, partially filled or failed. */
  readonly error_code: string | null;
  /**
   * A backtest's put trade: the option model's inputs and quote at each fill (docs/backtest.md, "Option
   * pricing model"). Absent for other trades, and for live and TEST_MODE trades, whose fills come from a broker.
   */
  readonly option_model?: PutModelRecord;
}
