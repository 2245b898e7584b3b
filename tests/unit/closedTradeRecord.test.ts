import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closedTradeRecord, tradeIdOf, type TradeClosing, type TradeOpening } from '../../domain/trades/closedTradeRecord';

// The trade record of a closed position, one builder for the session, the backtester and adoptions (docs/trading.md, "Trade outcome").

const opening: TradeOpening = {
  workflowId: 'day-2025-04-09-open',
  strategy: 'open',
  underlying: 'TQQQ',
  ticker: 'TQQQ',
  side: 'long',
  instrument: 'stock',
  signalPrice: 51.2,
  entryPrice: 51.25,
  entryTime: '2025-04-09T14:50:00.000Z',
  entryOrderId: 'o-1',
  allocation: 1234.5678,
  accountValue: 100_000,
  tags: ['paper'],
};
const closing: TradeClosing = {
  timestamp: '2025-04-09T15:07:00.000Z',
  date: '2025-04-09',
  size: 20,
  exitPrice: 51.7,
  exitTime: '2025-04-09T15:06:00.000Z',
  exitReason: 'trailing_stop',
  pnl: 9,
  fees: 0,
  broker: 'alpaca',
  mode: 'paper',
  exitOrderId: 'o-2',
  clientOrderIds: ['c-entry', 'c-exit'],
  errorCode: null,
};

void test('the record joins what was known at the entry and how the position closed', () => {
  const r = closedTradeRecord(opening, closing);
  assert.equal(r.tradeId, 'day-2025-04-09-open:TQQQ');
  assert.equal(r.tradeId, tradeIdOf(opening.workflowId, opening.underlying));
  assert.equal(r.strategy_name, 'open');
  assert.equal(r.signal_price, 51.2);
  assert.equal(r.entry_price, 51.25);
  assert.equal(r.exit_price, 51.7);
  assert.equal(r.entry_time, opening.entryTime);
  assert.equal(r.exit_time, closing.exitTime);
  assert.equal(r.exit_reason, 'trailing_stop');
  assert.equal(r.size, 20);
  assert.equal(r.allocation, 1234.57, 'the allocation in cents');
  assert.deepEqual(r.client_order_ids, ['c-entry', 'c-exit']);
  assert.deepEqual(r.tags, ['paper']);
  assert.equal('option_model' in r, false, 'no option model unless one is given');
});

void test('the record holds copies: changing the inputs afterwards changes nothing written', () => {
  const ids = ['a'];
  const tags = ['t'];
  const r = closedTradeRecord({ ...opening, tags }, { ...closing, clientOrderIds: ids });
  ids.push('b');
  tags.push('u');
  assert.deepEqual(r.client_order_ids, ['a']);
  assert.deepEqual(r.tags, ['t']);
});

void test('an unfilled exit keeps its error code and no exit price; a put keeps its model inputs', () => {
  const unfilled = closedTradeRecord(opening, { ...closing, exitPrice: null, pnl: 0, errorCode: 'no_price' });
  assert.equal(unfilled.exit_price, null);
  assert.equal(unfilled.error_code, 'no_price');
  const model = { entry: { sigma: 0.3 } } as unknown as NonNullable<TradeClosing['optionModel']>;
  assert.equal(closedTradeRecord(opening, { ...closing, optionModel: model }).option_model, model);
});
