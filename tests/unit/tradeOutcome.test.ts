import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closingSide, contractMultiplier, markToMarketPnl, positionDirection, tradePnl } from '../../domain/trades/tradeOutcome';

// What a closed position earned (docs/trading.md, "Trade outcome").

void test('a long stock position earns the rise on every share, less fees', () => {
  const p = { openSide: 'buy', assetClass: 'us_equity', entryPrice: 100, qty: 10 } as const;
  assert.equal(tradePnl(p, 101.5, 0), 15);
  assert.equal(tradePnl(p, 101.5, 2), 13);
  assert.equal(tradePnl(p, 99, 1), -11);
});

void test('a short sale earns the fall', () => {
  const p = { openSide: 'sell', assetClass: 'us_equity', entryPrice: 50, qty: 20 } as const;
  assert.equal(tradePnl(p, 49, 0), 20);
  assert.equal(tradePnl(p, 51, 0.5), -20.5);
});

void test('an option contract is for 100 shares', () => {
  const put = { openSide: 'buy', assetClass: 'us_option', entryPrice: 2.1, qty: 3 } as const;
  assert.equal(contractMultiplier('us_option'), 100);
  assert.equal(contractMultiplier('us_equity'), 1);
  assert.equal(tradePnl(put, 2.6, 1.3), 148.7);
});

void test('an exit that did not fill earned nothing, whatever the fees', () => {
  assert.equal(tradePnl({ openSide: 'buy', assetClass: 'us_equity', entryPrice: 10, qty: 5 }, null, 3), 0);
});

void test('results are rounded to cents', () => {
  assert.equal(tradePnl({ openSide: 'buy', assetClass: 'us_equity', entryPrice: 10, qty: 3 }, 10.1234, 0), 0.37);
  assert.equal(markToMarketPnl({ openSide: 'sell', assetClass: 'us_equity', entryPrice: 10, qty: 3 }, 9.333), 2);
});

void test('mark to market is the move before fees; sides close the way they opened', () => {
  assert.equal(markToMarketPnl({ openSide: 'buy', assetClass: 'us_option', entryPrice: 1, qty: 2 }, 1.25), 50);
  assert.equal(closingSide('buy'), 'sell');
  assert.equal(closingSide('sell'), 'buy');
  assert.equal(positionDirection('buy'), 1);
  assert.equal(positionDirection('sell'), -1);
});
