import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { AlpacaBroker } from '../../activities/broker/alpacaBroker';
import { flattenClientOrderId, protectedExit, reconcileBroker } from '../../activities/broker/reconcile';
import { FakeAlpacaServer, fakeServerBroker } from '../helpers/fakeAlpacaServer';
import type { OrderRequest } from '../../activities/broker/brokerTypes';

// Restart reconciliation and protected exits, run against the Alpaca adapter and its loopback fake.

const KEY = { keyId: 'PKRECON', secret: 'recon-secret' };
let server: FakeAlpacaServer;

function broker(): AlpacaBroker {
  return fakeServerBroker(server, KEY);
}

const mkt = (clientOrderId: string, symbol: string, side: 'buy' | 'sell', qty: number): OrderRequest => ({ clientOrderId, symbol, assetClass: 'us_equity', side, qty, type: 'market' });

before(async () => {
  server = await FakeAlpacaServer.start(KEY);
});
after(async () => {
  await server.close();
});
beforeEach(() => {
  server.orders.length = 0;
  server.requests.length = 0;
  server.fills.clear();
  for (const [s, p] of [['AAPL', 190], ['TSLA', 250], ['NVDA', 800], ['MSFT', 400]] as const) server.prices.set(s, p);
});

void test('restart: the bot view is rebuilt from the broker; every difference is reported and resolved, nothing re-sent', async () => {
  const b = broker();
  // Before the crash: an entry that filled (the bot never saw the answer), a partial fill, a stop the
  // dead session left working, a manual user order and position, and a position closed at the broker.
  await b.submitOrder(mkt('tb-aaaa-AAPL-entry', 'AAPL', 'buy', 10));
  server.fills.set('MSFT', { kind: 'partial', fraction: 0.4 });
  await b.submitOrder(mkt('tb-bbbb-MSFT-entry', 'MSFT', 'buy', 10));
  await b.placeProtectiveStop({ clientOrderId: 'tb-old-NVDA-stop', symbol: 'NVDA', assetClass: 'us_equity', side: 'sell', qty: 1, kind: 'stop', stopPrice: 700, referencePrice: 800 });
  await b.placeProtectiveStop({ clientOrderId: 'manual-user-order', symbol: 'TSLA', assetClass: 'us_equity', side: 'sell', qty: 1, kind: 'stop', stopPrice: 200, referencePrice: 250 });
  await b.submitOrder(mkt('manual-buy', 'TSLA', 'buy', 5));
  const postsBefore = server.count('POST', '/v2/orders');

  const report = await reconcileBroker(broker(), {
    date: '2025-03-03',
    expectedOrders: [
      { clientOrderId: 'tb-aaaa-AAPL-entry', symbol: 'AAPL', state: 'pending' },
      { clientOrderId: 'tb-bbbb-MSFT-entry', symbol: 'MSFT', state: 'filled' },
      { clientOrderId: 'tb-cccc-AMD-entry', symbol: 'AMD', state: 'pending' },
    ],
    expectedPositions: [
      { symbol: 'MSFT', qty: 10 },
      { symbol: 'NVDA', qty: 2 },
    ],
  });

  const kinds = report.discrepancies.map((d) => `${d.kind}:${d.symbol}`).sort();
  assert.deepEqual(kinds, [
    'order_missing:AMD',
    'order_state_changed:AAPL',
    'order_state_changed:MSFT',
    'orphan_order:NVDA',
    'position_gone:NVDA',
    'position_size_differs:MSFT',
    'unknown_position:AAPL',
    'unknown_position:TSLA',
  ]);
  assert.equal(report.orders['tb-aaaa-AAPL-entry']?.status, 'filled');
  assert.equal(report.orders['tb-cccc-AMD-entry'], null);
  assert.match(report.discrepancies.find((d) => d.kind === 'order_missing')?.resolution ?? '', /not re-sent/);
  // The orphan bot stop is cancelled; the user's own order is left alone.
  assert.equal(report.cancelledOrderIds.length, 1);
  assert.equal(server.orders.find((o) => o.clientOrderId === 'tb-old-NVDA-stop')?.status, 'canceled');
  assert.equal(server.orders.find((o) => o.clientOrderId === 'manual-user-order')?.status, 'new');
  assert.deepEqual(report.positions.map((p) => [p.symbol, p.qty]), [['AAPL', 10], ['MSFT', 4], ['TSLA', 5]]);
  // Nothing was placed: no second order for anything.
  assert.equal(server.count('POST', '/v2/orders'), postsBefore);
});

void test('flatten policy: an unknown position is closed once, with a deterministic id, even when reconcile runs twice', async () => {
  const b = broker();
  await b.submitOrder(mkt('tb-dddd-TSLA-entry', 'TSLA', 'buy', 3));
  const opts = { date: '2025-03-03', expectedOrders: [], expectedPositions: [], unknownPositions: 'flatten' as const };
  const first = await reconcileBroker(b, opts);
  assert.equal(first.flattenOrders.length, 1);
  assert.equal(first.flattenOrders[0]?.clientOrderId, flattenClientOrderId('2025-03-03', 'TSLA'));
  assert.equal(first.flattenOrders[0]?.side, 'sell');
  // A crash right after: the next reconcile sees no position and places nothing.
  const second = await reconcileBroker(broker(), opts);
  assert.equal(second.flattenOrders.length, 0);
  assert.equal(server.orders.filter((o) => o.clientOrderId === flattenClientOrderId('2025-03-03', 'TSLA')).length, 1);
});

void test('protected exit: the stop is cancelled first and only what is still held is sold', async () => {
  const b = broker();
  await b.submitOrder(mkt('tb-e-AAPL-entry', 'AAPL', 'buy', 10));
  await b.placeProtectiveStop({ clientOrderId: 'tb-e-AAPL-stop', symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 10, kind: 'trailing', trailPercent: 2, referencePrice: 190 });
  const r = await protectedExit(b, { exit: mkt('tb-e-AAPL-exit', 'AAPL', 'sell', 10), stopClientOrderId: 'tb-e-AAPL-stop', pollMs: 1 });
  assert.equal(r.stop?.status, 'canceled');
  assert.equal(r.exit?.status, 'filled');
  assert.equal(r.filledQty, 10);
  assert.deepEqual((await b.positions()).map((p) => p.symbol), []);
  // Retried: nothing new is placed.
  const posts = server.count('POST', '/v2/orders');
  await protectedExit(b, { exit: mkt('tb-e-AAPL-exit', 'AAPL', 'sell', 10), stopClientOrderId: 'tb-e-AAPL-stop', pollMs: 1 });
  assert.equal(server.count('POST', '/v2/orders'), posts);
});

void test('protected exit: a stop that already fired closes the position; no market exit, no accidental short', async () => {
  const b = broker();
  await b.submitOrder(mkt('tb-f-NVDA-entry', 'NVDA', 'buy', 4));
  await b.placeProtectiveStop({ clientOrderId: 'tb-f-NVDA-stop', symbol: 'NVDA', assetClass: 'us_equity', side: 'sell', qty: 4, kind: 'stop', stopPrice: 784, referencePrice: 800 });
  server.triggerStop('tb-f-NVDA-stop', 783.5);
  const r = await protectedExit(b, { exit: mkt('tb-f-NVDA-exit', 'NVDA', 'sell', 4), stopClientOrderId: 'tb-f-NVDA-stop', pollMs: 1 });
  assert.equal(r.exit, null);
  assert.equal(r.filledQty, 4);
  assert.equal(r.avgPrice, 783.5);
  assert.deepEqual(await b.positions(), []);
});
