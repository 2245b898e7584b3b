import type { PutModelRecord } from '../instruments/simulatedOptionPrice';
import { round2 } from '../math/round';
import type { BrokerName, ExitReason, Instrument, OutputMode, Side, StrategyName } from '../vocabulary';
import type { TradeRecord } from './tradeRecord';

/*
 * The trade record of a closed position, built in one place for the session workflow, the backtester and
 * adopted positions: what was known when the position opened, and how it closed (docs/trading.md, "Trade
 * outcome"). Each caller computes its own facts (a broker's fills, the fill model, an adoption); the
 * record's shape, its id and its rounding are the same for all.
 */

/** The trade's stable id: the owner session's workflow id and the underlying (writing and posting are idempotent on it). */
export const tradeIdOf = (workflowId: string, underlying: string): string => `${workflowId}:${underlying}`;

export interface TradeOpening {
  /** The workflow id of the session that opened it (a backtest's is its simulated session's). */
  readonly workflowId: string;
  readonly strategy: StrategyName;
  readonly underlying: string;
  /** The symbol held: the stock, the inverse ETF or the put contract. */
  readonly ticker: string;
  readonly side: Side;
  readonly instrument: Instrument;
  readonly signalPrice: number;
  readonly entryPrice: number;
  readonly entryTime: string;
  readonly entryOrderId: string;
  readonly allocation: number;
  readonly accountValue: number;
  readonly tags: readonly string[];
}

export interface TradeClosing {
  /** When the record was completed. */
  readonly timestamp: string;
  readonly date: string;
  readonly size: number;
  readonly exitPrice: number | null;
  readonly exitTime: string;
  readonly exitReason: ExitReason;
  readonly pnl: number;
  readonly fees: number;
  readonly broker: BrokerName;
  readonly mode: OutputMode;
  readonly exitOrderId: string | null;
  readonly clientOrderIds: readonly string[];
  readonly errorCode: string | null;
  readonly optionModel?: PutModelRecord;
}

export function closedTradeRecord(o: TradeOpening, c: TradeClosing): TradeRecord {
  return {
    tradeId: tradeIdOf(o.workflowId, o.underlying),
    timestamp: c.timestamp,
    date: c.date,
    strategy_name: o.strategy,
    ticker: o.ticker,
    underlying: o.underlying,
    side: o.side,
    instrument: o.instrument,
    size: c.size,
    signal_price: o.signalPrice,
    entry_price: o.entryPrice,
    exit_price: c.exitPrice,
    entry_time: o.entryTime,
    exit_time: c.exitTime,
    exit_reason: c.exitReason,
    pnl: c.pnl,
    fees: c.fees,
    broker: c.broker,
    mode: c.mode,
    allocation: round2(o.allocation),
    account_value: o.accountValue,
    entry_order_id: o.entryOrderId,
    exit_order_id: c.exitOrderId,
    client_order_ids: [...c.clientOrderIds],
    tags: [...o.tags],
    error_code: c.errorCode,
    ...(c.optionModel === undefined ? {} : { option_model: c.optionModel }),
  };
}
