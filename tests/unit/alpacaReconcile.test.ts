import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { AlpacaBroker } from '../../activities/broker/alpaca/alpacaBroker';
import { flattenClientOrderId, protectedExit, reconcileBroker } from '../../activities/broker/reconcile';
import { FakeAlpacaServer, fakeServerBroker } from '../helpers/fakeAlpacaServer';
import type { Broker, OrderRequest } from '../../activities/broker/brokerTypes';
import { createProtectionActivities, type SessionReconcileInput } from '../../activities/broker/protectionActivities';
import { clientOrderId } from '../../domain/orders/clientOrderId';
import { adoptionClientOrderId, previousTradingDay } from '../../domain/orders/botOrderOwner';

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

// ---------------------------------------------------------------------------------------------
// Session start: the bot's positions are adopted, the user's are information (issue 13, defect 8).

// The fake stamps orders with the worker's clock, so the day is today; market time is passed explicitly.
const TODAY = new Date().toISOString().slice(0, 10);
const DAY = `tradebot-day-paper-${TODAY}`;
const OPEN = `${DAY}-open`;
const MID = `${DAY}-mid`;
const REGULAR_HOURS = Date.parse('2025-03-03T15:00:00Z');
const AFTER_CLOSE = Date.parse('2025-03-03T22:00:00Z');
const ids = (workflowId: string, session: 'open' | 'mid' | 'close', ticker: string) => ({
  entry: clientOrderId({ workflowId, session, ticker, leg: 'entry' }),
  stop: clientOrderId({ workflowId, session, ticker, leg: 'stop' }),
});

function sessionStart(adopterWorkflowId: string, over: Partial<SessionReconcileInput> = {}): SessionReconcileInput {
  return { broker: 'alpaca', date: TODAY, replayFolder: null, adopter: { workflowId: adopterWorkflowId, dayWorkflowId: DAY, mode: 'paper' }, marketNowMs: REGULAR_HOURS, ...over };
}

const protection = () => createProtectionActivities({ broker: async () => broker() as Broker });

/** OPEN bought 10 AAPL with its trailing stop and crashed; the user holds 2 AAPL and 5 MSFT of their own. */
async function crashedOpenSession(): Promise<{ entry: string; stop: string }> {
  const b = broker();
  const id = ids(OPEN, 'open', 'AAPL');
  await b.submitOrder(mkt(id.entry, 'AAPL', 'buy', 10));
  await b.placeProtectiveStop({ clientOrderId: id.stop, symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 10, kind: 'trailing', trailPercent: 2, referencePrice: 190 });
  await b.submitOrder(mkt('user-aapl', 'AAPL', 'buy', 2));
  await b.submitOrder(mkt('user-msft', 'MSFT', 'buy', 5));
  return id;
}

void test("session start: a position an earlier session left is adopted and exited once, also on a retried call; the user's are foreign", async () => {
  const id = await crashedOpenSession();
  server.prices.set('AAPL', 195);
  const acts = protection();
  const first = await acts.reconcileSessionStart(sessionStart(MID));
  assert.equal(first.adopted.length, 1);
  const a = first.adopted[0];
  assert.ok(a);
  assert.equal(a.ownerWorkflowId, OPEN);
  assert.equal(a.ownerSession, 'open');
  assert.equal(a.underlying, 'AAPL');
  assert.equal(a.qty, 10);
  assert.equal(a.closedBy, 'exit');
  assert.equal(a.exit?.clientOrderId, adoptionClientOrderId(MID, id.entry, 'AAPL'));
  assert.equal(a.avgPrice, 195);
  assert.equal(a.trade.tradeId, `${OPEN}:AAPL`);
  assert.equal(a.trade.exit_reason, 'reconciled');
  assert.equal(a.trade.entry_price, 190);
  assert.equal(a.trade.pnl, 50);
  assert.equal(server.orders.find((o) => o.clientOrderId === id.stop)?.status, 'canceled', "the owner's stop is cancelled before the sale");
  assert.deepEqual(first.foreign.map((p) => [p.symbol, p.qty]), [['AAPL', 2], ['MSFT', 5]]);
  assert.deepEqual(first.discrepancies, [], "the user's holdings are not problems");
  assert.deepEqual(first.adoptPending, []);
  assert.deepEqual((await broker().positions()).map((p) => [p.symbol, p.qty]), [['AAPL', 2], ['MSFT', 5]]);

  // The answer was lost and Temporal retries: the first exit is found by its id, nothing is sold again.
  const posts = server.count('POST', '/v2/orders');
  const retry = await acts.reconcileSessionStart(sessionStart(MID));
  assert.equal(server.count('POST', '/v2/orders'), posts);
  assert.equal(retry.adopted[0]?.exit?.id, a.exit?.id);
  assert.deepEqual(retry.adopted[0]?.trade, a.trade);
  assert.deepEqual(retry.foreign.map((p) => [p.symbol, p.qty]), [['AAPL', 2], ['MSFT', 5]], "the user's 2 AAPL are not taken for the bot's");
  assert.equal(server.orders.filter((o) => o.clientOrderId === a.exit?.clientOrderId).length, 1);

  // The next session finds the entry closed: nothing of the bot's is left, the user's are still foreign.
  const later = await acts.reconcileSessionStart(sessionStart(`${DAY}-close`));
  assert.deepEqual(later.adopted, []);
  assert.deepEqual(later.adoptPending, []);
  assert.deepEqual(later.foreign.map((p) => [p.symbol, p.qty]), [['AAPL', 2], ['MSFT', 5]]);
  assert.equal(server.count('POST', '/v2/orders'), posts);
});

void test('session start outside regular hours: the bot position is adoptPending, nothing is sent and its stop keeps working', async () => {
  const id = await crashedOpenSession();
  const posts = server.count('POST', '/v2/orders');
  const night = await protection().reconcileSessionStart(sessionStart(MID, { marketNowMs: AFTER_CLOSE }));
  assert.deepEqual(night.adopted, []);
  assert.equal(night.adoptPending.length, 1);
  assert.match(night.adoptPending[0]?.reason ?? '', /^market_closed/);
  assert.equal(night.adoptPending[0]?.ownerWorkflowId, OPEN);
  assert.equal(server.count('POST', '/v2/orders'), posts);
  assert.equal(server.orders.find((o) => o.clientOrderId === id.stop)?.status, 'new');
  assert.deepEqual(night.discrepancies, [], 'the kept stop is not an orphan');

  // The calendar says open but Alpaca's clock says closed (a halt, an emulator's virtual clock): the same.
  server.clock.isOpen = false;
  try {
    const halted = await protection().reconcileSessionStart(sessionStart(MID));
    assert.match(halted.adoptPending[0]?.reason ?? '', /^market_closed/);
    assert.equal(server.count('POST', '/v2/orders'), posts);
  } finally {
    server.clock.isOpen = true;
  }

  // A session still running keeps its own position: left alone, not pending, not cancelled.
  const held = await protection().reconcileSessionStart(sessionStart(MID, { runningSessions: [OPEN] }));
  assert.deepEqual(held.heldBySessions.map((h) => [h.ownerWorkflowId, h.symbol, h.qty]), [[OPEN, 'AAPL', 10]]);
  assert.deepEqual(held.adopted, []);
  assert.equal(server.orders.find((o) => o.clientOrderId === id.stop)?.status, 'new');
});

void test("session start adopts what yesterday's CLOSE session left open", async () => {
  const prev = previousTradingDay(TODAY);
  const close = `tradebot-day-paper-${prev}-close`;
  const id = ids(close, 'close', 'NVDA');
  await broker().submitOrder(mkt(id.entry, 'NVDA', 'buy', 3));
  server.backdate(id.entry, `${prev}T20:55:00Z`);
  // Two trading days ago is not a candidate: that entry is the user's business now.
  const older = ids(`tradebot-day-paper-${previousTradingDay(prev)}-close`, 'close', 'TSLA');
  await broker().submitOrder(mkt(older.entry, 'TSLA', 'buy', 1));
  const r = await protection().reconcileSessionStart(sessionStart(OPEN));
  assert.deepEqual(r.adopted.map((a) => [a.ownerWorkflowId, a.ownerDate, a.symbol, a.filledQty, a.stopKind]), [[close, prev, 'NVDA', 3, 'stop']]);
  assert.equal(r.adopted[0]?.trade.strategy_name, 'close');
  assert.equal(r.adopted[0]?.trade.entry_time, `${prev}T20:55:01.000Z`);
  assert.deepEqual(r.foreign.map((p) => p.symbol), ['TSLA']);
  // The orders were asked for from the start of the previous trading day, oldest first.
  const list = server.requests.filter((q) => q.method === 'GET' && q.path === '/v2/orders' && q.query.get('status') === 'all');
  assert.equal(list[0]?.query.get('after'), new Date(Date.parse(`${prev}T00:00:00Z`) - 1).toISOString());
  assert.equal(list[0]?.query.get('direction'), 'asc');
});

void test('ordersSince pages through GET /v2/orders without losing or repeating an order', async () => {
  const b = broker();
  for (let i = 0; i < 7; i++) await b.submitOrder(mkt(`tb-page-${i}`, 'AAPL', 'buy', 1));
  for (let i = 0; i < 7; i++) server.backdate(`tb-page-${i}`, `2025-03-03T15:00:0${Math.floor(i / 2)}Z`);
  // A page of 3 forces several pages with orders sharing a submission instant at a page edge.
  const limited = fakeServerBroker(server, KEY, { ordersPageLimit: 3 });
  const gets = server.count('GET', '/v2/orders');
  const orders = await limited.ordersSince('2025-03-03T00:00:00Z');
  assert.ok(server.count('GET', '/v2/orders') - gets >= 3, 'several pages were read');
  assert.deepEqual(orders.map((o) => o.clientOrderId).sort(), Array.from({ length: 7 }, (_, i) => `tb-page-${i}`));
  assert.deepEqual(await b.ordersSince('2025-03-03T15:00:02Z'), (await b.ordersSince('2025-03-03T00:00:00Z')).filter((o) => o.submittedAt >= '2025-03-03T15:00:02'));
});
