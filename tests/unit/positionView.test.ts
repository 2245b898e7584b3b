import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BrokerOrder } from '../../activities/broker/brokerTypes';
import type { InstrumentChoice } from '../../domain/instruments/bearishInstrument';
import type { EntrySignal } from '../../domain/strategies/strategy';
import { positionView, type OpenTrade } from '../../workflows/sessionPositions';

/*
 * The status views' position line (workflows/sessionPositions.ts): entry and current price are both the
 * held instrument's, so a bearish signal held as an inverse ETF or a put shows a price beside which its
 * entry means something, with the underlying's own price apart and an unrealized PnL between the two.
 */

function trade(choice: InstrumentChoice, a: { entry: number; qty: number; signalPrice: number; last: number }): OpenTrade {
  const order = { id: 'o1', clientOrderId: 'c1', symbol: choice.symbol, side: choice.openSide, qty: a.qty, filledQty: a.qty, filledAvgPrice: a.entry, status: 'filled', fees: 0 } as unknown as BrokerOrder;
  const signal = { kind: 'entry', side: choice.openSide === 'buy' && choice.instrument === 'stock' ? 'long' : 'short', price: a.signalPrice, barStart: 0 } as unknown as EntrySignal;
  return { requestId: 'r', tags: [], underlying: 'TZA', choice, signal, order, stopClientOrderId: null, allocation: 0, accountValue: 0, lastUnderlying: a.last };
}

test('a stock position: current price is the last close, PnL from the entry', () => {
  const v = positionView(trade({ instrument: 'stock', symbol: 'TZA', assetClass: 'us_equity', openSide: 'buy' }, { entry: 20, qty: 10, signalPrice: 20, last: 21 }), 'x');
  assert.deepEqual([v.ticker, v.entryPrice, v.currentPrice, v.currentPriceEstimated, v.underlyingPrice, v.unrealizedPnl], ['TZA', 20, 21, false, 21, 10]);
});

test('a short sale gains when the price falls', () => {
  const v = positionView(trade({ instrument: 'short_stock', symbol: 'TZA', assetClass: 'us_equity', openSide: 'sell' }, { entry: 20, qty: 10, signalPrice: 20, last: 19 }), 'x');
  assert.deepEqual([v.currentPrice, v.unrealizedPnl], [19, 10]);
});

test('a bearish signal held as an inverse ETF shows the ETF price, estimated from the underlying move', () => {
  // The underlying fell 5% since the signal: a 1x inverse fund bought at 40 is near 42.
  const v = positionView(trade({ instrument: 'inverse_etf', symbol: 'TNA', assetClass: 'us_equity', openSide: 'buy' }, { entry: 40, qty: 10, signalPrice: 20, last: 19 }), 'x');
  assert.equal(v.ticker, 'TNA');
  assert.ok(Math.abs(v.currentPrice - 42) < 1e-9, `ETF price ${v.currentPrice}`);
  assert.equal(v.currentPriceEstimated, true);
  assert.equal(v.underlyingPrice, 19);
  assert.equal(v.unrealizedPnl, (42 - 40) * 10, 'PnL between the two prices shown');
});

test('a put shows its modelled premium, not the underlying price', () => {
  // Strike 20, underlying at 18, signal on 2025-04-10 14:00 New York: the modelled bid (docs/backtest.md,
  // "Option pricing model"); deep in the money the American put is worth its intrinsic 2.00, bid 1.97.
  const t = trade({ instrument: 'put', symbol: 'TZA   250417P00020000', assetClass: 'us_option', openSide: 'buy' }, { entry: 1.5, qty: 2, signalPrice: 19, last: 18 });
  const v = positionView({ ...t, signal: { ...t.signal, barStart: Date.parse('2025-04-10T18:00:00Z') } }, 'x');
  assert.ok(Math.abs(v.currentPrice - 1.97) < 1e-9, `put price ${v.currentPrice}`);
  assert.equal(v.currentPriceEstimated, true);
  assert.equal(v.underlyingPrice, 18);
  assert.equal(v.unrealizedPnl, Math.round((1.97 - 1.5) * 2 * 100 * 100) / 100);
});
