import type { TradeRecord } from '../../domain/trades/tradeRecord';

/**
 * A closed trade record for tests that need one: a long stock trade of 10 AAA on 2025-04-09 at the
 * simulated paper broker, exit 11 from entry 10.5 (pnl 5, no fees); `over` sets the fields a test is about.
 */
export function tradeRecordFixture(over: Partial<TradeRecord> = {}): TradeRecord {
  return {
    tradeId: 't1',
    timestamp: '2025-04-09T15:00:00.000Z',
    date: '2025-04-09',
    strategy_name: 'open',
    ticker: 'AAA',
    underlying: 'AAA',
    side: 'long',
    instrument: 'stock',
    size: 10,
    signal_price: 10.5,
    entry_price: 10.5,
    exit_price: 11,
    entry_time: '2025-04-09T14:50:00.000Z',
    exit_time: '2025-04-09T15:00:00.000Z',
    exit_reason: 'hold_limit',
    pnl: 5,
    fees: 0,
    broker: 'sim',
    mode: 'paper',
    allocation: 105,
    account_value: 10_000,
    entry_order_id: 'e',
    exit_order_id: 'x',
    client_order_ids: ['a', 'b'],
    tags: [],
    error_code: null,
    ...over,
  };
}
