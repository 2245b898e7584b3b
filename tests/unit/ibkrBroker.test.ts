import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SecType, type Order } from '@stoqey/ib';
import { IbkrBroker, ibTimeToIso, inRestartWindow, type IbkrBrokerOptions } from '../../activities/broker/ibkr/ibkrBroker';
import { createProtectionActivities } from '../../activities/broker/protectionActivities';
import { clientOrderId } from '../../domain/orders/clientOrderId';
import { adoptionClientOrderId } from '../../domain/orders/botOrderOwner';
import { createAuthenticatedBrokers } from '../../activities/broker/brokerFactory';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig } from '../../domain/config/envSchema';
import { ConfigError, NetworkError } from '../../domain/errors/errorClasses';
import { FakeTws, type FakeIbConnection } from '../helpers/fakeIb';
import type { Broker, OrderRequest } from '../../activities/broker/brokerTypes';

// The IBKR adapter against a scripted fake of @stoqey/ib's IBApi surface (no TWS runs here).

const PAPER = 'DU1234567';

function tws(accounts: string[] = [PAPER]): FakeTws {
  const t = new FakeTws({ accounts });
  t.conIds.set('AAPL', 265598);
  t.conIds.set('SPY', 756733);
  t.prices.set('AAPL', { bid: 189.99, ask: 190.01, last: 190 });
  t.prices.set('SPY', { bid: 500.0, ask: 500.02, last: 500.01 });
  return t;
}

/** A running market clock inside regular hours (Wednesday 2025-04-09 from 14:00 UTC), so the calendar lets orders through whatever the test machine's time. */
const realStart = Date.now();
const inMarketHours = () => Date.parse('2025-04-09T14:00:00Z') + (Date.now() - realStart);
/** The same clock after the bell (16:00:05 New York). */
const afterTheBell = () => Date.parse('2025-04-09T20:00:05Z') + (Date.now() - realStart);

function broker(t: FakeTws, over: Partial<IbkrBrokerOptions> = {}): IbkrBroker {
  return new IbkrBroker({
    now: inMarketHours,
    host: '127.0.0.1',
    port: 7497,
    clientId: 7,
    account: PAPER,
    endpointMode: 'paper',
    timeoutMs: 300,
    fillTimeoutMs: 200,
    apiFactory: t.factory,
    ...over,
  });
}

function order(over: Partial<OrderRequest> = {}): OrderRequest {
  return { clientOrderId: 'tb-1111222233334444-AAPL-entry', symbol: 'AAPL', assetClass: 'us_equity', side: 'buy', qty: 10, type: 'market', ...over };
}

function placed(t: FakeTws): { id: number; order: Order }[] {
  return t.connections.flatMap((c) => c.sent.filter((s) => s.method === 'placeOrder').map((s) => ({ id: s.args[0] as number, order: s.args[2] as Order })));
}

describe('connection and authentication', () => {
  void test('connects by host, port and client id; authenticates the configured paper account', async () => {
    const t = tws();
    const b = broker(t);
    await b.authenticate();
    const c = t.connections[0] as FakeIbConnection;
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 7497);
    assert.equal(c.clientId, 7);
    assert.deepEqual(await b.account(), { accountValue: 100000, cash: 60000, buyingPower: 240000 });
    await b.close();
    assert.equal(c.isConnected, false);
  });

  void test('TWS not running: a NetworkError saying where and what to enable', async () => {
    const t = new FakeTws({ accounts: [PAPER], refuseConnection: true });
    await assert.rejects(broker(t).authenticate(), (err: unknown) => {
      assert.ok(err instanceof NetworkError);
      assert.equal(err.code, '502');
      assert.match(err.message, /127\.0\.0\.1:7497 \(client id 7\)/);
      assert.match(err.message, /Enable ActiveX and Socket Clients/);
      return true;
    });
  });

  void test('client id already in use: ConfigError naming IBKR_CLIENT_ID', async () => {
    const t = new FakeTws({ accounts: [PAPER], clientIdsInUse: [7] });
    await assert.rejects(broker(t).authenticate(), (err: unknown) => err instanceof ConfigError && /IBKR_CLIENT_ID/.test(err.message));
  });

  void test('TWS logged into another account: ConfigError, account number not echoed', async () => {
    await assert.rejects(broker(tws(['DU7654321'])).authenticate(), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /IBKR_PAPER_ACCOUNT_NUMBER/);
      assert.doesNotMatch(err.message, /DU7654321|DU1234567/);
      return true;
    });
  });

  void test('paper mode refuses a live account id without even connecting', async () => {
    const t = tws(['U1234567']);
    await assert.rejects(broker(t, { account: 'U1234567' }).authenticate(), /not an IB paper account/);
    assert.equal(t.connections.length, 0);
  });

  void test('TEST_MODE with IBKR_MODE=live uses the paper account; against a live-only TWS it refuses and places nothing', async () => {
    const bot = { ...defaultBotConfig(), TEST_MODE: true, ALPACA_ENABLED: false, IBKR_ENABLED: true, IBKR_MODE: 'live' as const, API_TIMEOUT: 1 };
    const env = { ...defaultEnvConfig(), IBKR_PAPER_ACCOUNT_NUMBER: PAPER, IBKR_LIVE_ACCOUNT_NUMBER: 'U9999999' };
    const liveOnly = tws(['U9999999']);
    await assert.rejects(createAuthenticatedBrokers({ bot, env, ibApiFactory: liveOnly.factory }), ConfigError);
    assert.equal(placed(liveOnly).length, 0);
    const both = tws([PAPER, 'U9999999']);
    const brokers = await createAuthenticatedBrokers({ bot, env, ibApiFactory: both.factory, fillTimeoutMs: 200 });
    const b = brokers.get('ibkr');
    assert.ok(b);
    await b.submitOrder(order());
    assert.deepEqual(placed(both).map((p) => p.order.account), [PAPER]);
    await b.close();
  });
});

describe('orders', () => {
  void test('market order: MKT, DAY, regular hours, orderRef = client order id; filled with price and commission', async () => {
    const t = tws();
    const b = broker(t);
    const o = await b.submitOrder(order());
    assert.equal(o.status, 'filled');
    assert.equal(o.filledQty, 10);
    assert.equal(o.filledAvgPrice, 190);
    assert.equal(o.fees, 1);
    const p = placed(t)[0]?.order;
    assert.equal(p?.orderType, 'MKT');
    assert.equal(p?.tif, 'DAY');
    assert.equal(p?.orderRef, 'tb-1111222233334444-AAPL-entry');
    assert.equal(p?.outsideRth, false);
    assert.equal(p?.account, PAPER);
    await b.close();
  });

  void test('idempotent: a retry in the same process and a restarted adapter both find the order; one placeOrder', async () => {
    const t = tws();
    const first = broker(t);
    const a = await first.submitOrder(order());
    const again = await first.submitOrder(order());
    assert.equal(again.id, a.id);
    await first.close();
    // A new process: nothing in memory, the order is found among TWS's completed orders.
    const restarted = broker(t);
    const found = await restarted.submitOrder(order());
    assert.equal(found.status, 'filled');
    assert.equal(found.filledQty, 10);
    assert.equal(found.filledAvgPrice, 190);
    assert.equal(placed(t).length, 1);
    await restarted.close();
  });

  void test('a still-working order found after a restart is settled (rest cancelled), not placed again', async () => {
    const t = tws();
    t.fills.set('AAPL', { kind: 'partial', filled: 4 });
    const first = broker(t, { fillTimeoutMs: 10_000 });
    // Simulate a crash right after placing: submit without waiting for the outcome.
    void first.submitOrder(order()).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    await first.close();
    const restarted = broker(t);
    const o = await restarted.submitOrder(order());
    assert.equal(o.status, 'partially_filled');
    assert.equal(o.filledQty, 4);
    assert.match(o.rejectReason ?? '', /^partial_fill/);
    assert.equal(placed(t).length, 1);
    await restarted.close();
  });

  void test('rejections come back with codes: margin (201), not shortable (201), unknown contract (200)', async () => {
    const t = tws();
    const b = broker(t);
    t.fills.set('AAPL', { kind: 'reject', message: 'YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR EQUITY WITH LOAN VALUE [1000.00 USD] MUST EXCEED THE INITIAL MARGIN [5000.00 USD]' });
    const m = await b.submitOrder(order());
    assert.equal(m.status, 'rejected');
    assert.equal(m.rejectReason, 'insufficient_buying_power:201');
    t.fills.set('AAPL', { kind: 'reject', message: 'Contract is not available for short sale.' });
    const s = await b.submitOrder(order({ clientOrderId: 'short-1', side: 'sell' }));
    assert.equal(s.rejectReason, 'not_shortable:201');
    const u = await b.submitOrder(order({ clientOrderId: 'unknown-1', symbol: 'ZZZZ' }));
    assert.equal(u.rejectReason, 'no_security_definition:200');
    assert.equal(placed(t).length, 2);
    await b.close();
  });

  void test('on a fast market clock (a rehearsal at 100x) TWS still gets the fill timeout in real time to answer', async () => {
    const t = tws();
    t.answerDelayMs = 100;
    const start = Date.now();
    const fastMarket = () => Date.parse('2025-04-09T14:00:00Z') + (Date.now() - start) * 100;
    // 2 s of market time would be 20 ms of real time at 100x, less than the gateway's 100 ms answer.
    const b = broker(t, { now: fastMarket, timeoutMs: 5_000, fillTimeoutMs: 2_000 });
    const o = await b.submitOrder(order());
    assert.equal(o.status, 'filled');
    assert.equal(o.filledQty, 10);
    assert.equal(t.connections.flatMap((c) => c.sent.filter((x) => x.method === 'cancelOrder')).length, 0, 'nothing cancelled');
    await b.close();
  });

  void test('an order IB refuses at placement without a status (103 duplicate id) is rejected at once with the code, not left to time out', async () => {
    const t = tws();
    // Two clients handed the same next order id: the second placement of id 1 is refused with 103 and no status.
    const first = broker(t, { clientId: 7 });
    const second = broker(t, { clientId: 8, fillTimeoutMs: 2_000 });
    await first.authenticate();
    await second.authenticate();
    assert.equal((await first.submitOrder(order())).status, 'filled');
    const refused = await second.submitOrder(order({ clientOrderId: 'tb-5555666677778888-AAPL-entry' }));
    assert.equal(refused.status, 'rejected');
    assert.equal(refused.rejectReason, 'duplicate_order_id:103');
    assert.equal(refused.filledQty, 0);
    // Nothing was cancelled: there was no order at IB to cancel.
    assert.equal(t.connections.flatMap((c) => c.sent.filter((x) => x.method === 'cancelOrder')).length, 0);
    await first.close();
    await second.close();
  });

  void test('outside regular hours (warning 399): the order is cancelled, never left queued; market_closed', async () => {
    const t = tws();
    t.fills.set('AAPL', { kind: 'outside_hours' });
    const b = broker(t, { fillTimeoutMs: 2_000 });
    const o = await b.submitOrder(order());
    assert.equal(o.status, 'canceled');
    assert.equal(o.rejectReason, 'market_closed:399');
    assert.equal(t.workingOrders().length, 0);
    await b.close();
  });

  void test('partial fill then timeout: remainder cancelled, partially_filled', async () => {
    const t = tws();
    t.fills.set('AAPL', { kind: 'partial', filled: 3 });
    const b = broker(t);
    const o = await b.submitOrder(order());
    assert.equal(o.status, 'partially_filled');
    assert.equal(o.filledQty, 3);
    assert.equal(t.workingOrders().length, 0);
    await b.close();
  });

  void test('whole shares only: fractions round down; under one share is rejected locally', async () => {
    const t = tws();
    const b = broker(t);
    assert.equal((await b.submitOrder(order({ qty: 2.7 }))).filledQty, 2);
    assert.equal((await b.submitOrder(order({ clientOrderId: 'tiny', qty: 0.4 }))).rejectReason, 'not_fractionable');
    await b.close();
  });

  void test('protective stops: TRAIL with trailing percent (OPEN), STP with aux price (MID/CLOSE); idempotent', async () => {
    const t = tws();
    const b = broker(t);
    const trail = await b.placeProtectiveStop({ clientOrderId: 'stop-1', symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 10, kind: 'trailing', trailPercent: 2, referencePrice: 190 });
    assert.equal(trail.placed, true);
    const fixed = await b.placeProtectiveStop({ clientOrderId: 'stop-2', symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 10, kind: 'stop', stopPrice: 186.2, referencePrice: 190 });
    assert.equal(fixed.placed, true);
    await b.placeProtectiveStop({ clientOrderId: 'stop-1', symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 10, kind: 'trailing', trailPercent: 2, referencePrice: 190 });
    const orders = placed(t).map((p) => p.order);
    assert.equal(orders.length, 2);
    assert.equal(orders[0]?.orderType, 'TRAIL');
    assert.equal(orders[0]?.trailingPercent, 2);
    assert.equal(orders[1]?.orderType, 'STP');
    assert.equal(orders[1]?.auxPrice, 186.2);
    assert.equal((await b.openOrders()).length, 2);
    await b.close();
  });
});

describe('positions, quotes, option chain, imbalance', () => {
  void test('positions of the configured account; options as padded OCC with avg cost per share', async () => {
    const t = tws([PAPER, 'DU0000001']);
    t.positions.set('x', { account: PAPER, contract: { symbol: 'AAPL', secType: 'STK' as never }, pos: 5, avgCost: 190 });
    t.positions.set('y', { account: PAPER, contract: { symbol: 'SPY', secType: 'OPT' as never, lastTradeDateOrContractMonth: '20250321', strike: 500, right: 'P' as never, multiplier: 100 }, pos: 2, avgCost: 320 });
    t.positions.set('z', { account: 'DU0000001', contract: { symbol: 'MSFT', secType: 'STK' as never }, pos: 1, avgCost: 400 });
    const b = broker(t);
    assert.deepEqual(await b.positions(), [
      { symbol: 'AAPL', qty: 5, avgEntryPrice: 190 },
      { symbol: 'SPY   250321P00500000', qty: 2, avgEntryPrice: 3.2 },
    ]);
    await b.close();
  });

  void test('quote: snapshot bid/ask midpoint', async () => {
    const t = tws();
    const b = broker(t);
    assert.equal(await b.quote('AAPL', 'us_equity', 0), 190);
    assert.equal(await b.quote('NOPE', 'us_equity', 0), null);
    await b.close();
  });

  void test('option chain snapshot: SMART expirations and strikes in range become put contracts', async () => {
    const t = tws();
    t.optionChains.set('SPY', { expirations: ['20250307', '20250314', '20250418'], strikes: [495, 500, 505] });
    const b = broker(t);
    const puts = await b.putContracts('SPY', { expiryFrom: '2025-03-05', expiryTo: '2025-03-31', strikeFrom: 496, strikeTo: 505 });
    assert.deepEqual(puts.map((p) => p.symbol), ['SPY   250307P00500000', 'SPY   250307P00505000', 'SPY   250314P00500000', 'SPY   250314P00505000']);
    await b.close();
  });

  void test('closing imbalance from generic tick 225; shortable from 236', async () => {
    const t = tws();
    t.imbalances.set('AAPL', { volume: 150000, price: 190.2, imbalance: -42000, regulatory: -40000 });
    t.shortableTicks.set('AAPL', 3);
    const b = broker(t);
    const [im] = await b.imbalance(['AAPL'], 500);
    assert.deepEqual(im, { symbol: 'AAPL', imbalance: -42000, auctionPrice: 190.2, auctionVolume: 150000, regulatoryImbalance: -40000 });
    assert.equal((await b.assetInfo('AAPL'))?.shortable, true);
    const c = t.connections[0] as FakeIbConnection;
    assert.ok(c.sent.some((s) => s.method === 'reqMktData' && s.args[2] === '225' && s.args[3] === false));
    assert.ok(c.sent.some((s) => s.method === 'cancelMktData'));
    await b.close();
  });

  void test('an unanswered request times out as a NetworkError', async () => {
    const t = tws();
    const b = broker(t);
    await b.authenticate();
    t.silent.add('reqPositions');
    await assert.rejects(b.positions(), (err: unknown) => err instanceof NetworkError && err.code === 'timeout');
    await b.close();
  });
});

describe('reconciliation and protected exits (issue 13, defects 7 and 8)', () => {
  const DAY = 'tradebot-day-paper-2025-03-03';
  const OPEN = `${DAY}-open`;
  const MID = `${DAY}-mid`;
  const entryId = clientOrderId({ workflowId: OPEN, session: 'open', ticker: 'AAPL', leg: 'entry' });
  const stopId = clientOrderId({ workflowId: OPEN, session: 'open', ticker: 'AAPL', leg: 'stop' });
  const deps = (b: IbkrBroker) => ({ broker: async () => b as Broker });
  /** An AAPL entry of 10 with its broker stop at 186.2 (the position the protection tests close). */
  const enterProtected = async (b: IbkrBroker) => {
    await b.submitOrder(order({ clientOrderId: entryId }));
    await b.placeProtectiveStop({ clientOrderId: stopId, symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 10, kind: 'stop', stopPrice: 186.2, referencePrice: 190 });
  };
  /** The session's protected exit of that position, through the production protection activity. */
  const closeProtected = (b: IbkrBroker) =>
    createProtectionActivities(deps(b)).closePosition({
      broker: 'ibkr',
      replayFolder: null,
      request: order({ clientOrderId: clientOrderId({ workflowId: OPEN, session: 'open', ticker: 'AAPL', leg: 'exit' }), side: 'sell' }),
      stopClientOrderId: stopId,
      stopKind: 'stop',
    });

  void test('IB times become ISO UTC: New York and UTC forms; an unknown zone is not guessed', () => {
    assert.equal(ibTimeToIso('20250303 10:00:01 America/New_York'), '2025-03-03T15:00:01.000Z');
    assert.equal(ibTimeToIso('20250701 10:00:01 US/Eastern'), '2025-07-01T14:00:01.000Z');
    assert.equal(ibTimeToIso('20250303-15:00:01'), '2025-03-03T15:00:01.000Z');
    assert.equal(ibTimeToIso('20250303 10:00:01 Europe/Zurich'), null);
    assert.equal(ibTimeToIso('yesterday'), null);
  });

  void test('after the bell the protected exit keeps the broker stop and sends nothing (the calendar at the market clock)', async () => {
    const t = tws();
    let now = inMarketHours;
    const b = broker(t, { now: () => now() });
    assert.equal(await b.marketOpen(), true);
    await enterProtected(b);
    now = afterTheBell;
    assert.equal(await b.marketOpen(), false);
    const before = placed(t).length;
    const closed = await closeProtected(b);
    assert.equal(placed(t).length, before, 'no market exit after the bell');
    assert.equal(closed.exit, null);
    assert.equal(closed.filledQty, 0);
    assert.ok(t.workingOrders().some((o) => o.order.orderRef === stopId), 'the stop still protects the position');
    await b.close();
  });

  void test('closePosition after the stop fired: closedBy stop with the stop fill, no market exit', async () => {
    const t = tws();
    const b = broker(t);
    await enterProtected(b);
    (t.connections[0] as FakeIbConnection).triggerStop(stopId, 186.1);
    const before = placed(t).length;
    const closed = await closeProtected(b);
    assert.equal(placed(t).length, before, 'nothing more was sold');
    assert.equal(closed.closedBy, 'stop');
    assert.equal(closed.exit, null);
    assert.equal(closed.stopFillPrice, 186.1);
    assert.equal(closed.stopFilledQty, 10);
    assert.ok(closed.stopFilledAt !== null && !Number.isNaN(Date.parse(closed.stopFilledAt)), String(closed.stopFilledAt));
    assert.equal(closed.closedAt, closed.stopFilledAt);
    await b.close();
  });

  void test("a restarted worker adopts the crashed session's position from IB's completed orders; the user's own is foreign", async () => {
    const t = tws();
    const first = broker(t);
    await first.submitOrder(order({ clientOrderId: entryId }));
    await first.placeProtectiveStop({ clientOrderId: stopId, symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 10, kind: 'trailing', trailPercent: 2, referencePrice: 190 });
    await first.close();
    t.positions.set('user-spy', { account: PAPER, contract: { symbol: 'SPY', secType: SecType.STK, exchange: 'SMART', currency: 'USD' }, pos: 5, avgCost: 480 });

    const restarted = broker(t);
    const history = await restarted.ordersSince('2025-02-28T00:00:00Z');
    assert.deepEqual(history.map((o) => [o.clientOrderId, o.status]).sort(), [[entryId, 'filled'], [stopId, 'accepted']].sort());
    assert.equal(history.find((o) => o.clientOrderId === entryId)?.filledAt, '2025-03-03T15:00:01.000Z');
    assert.equal(history.find((o) => o.clientOrderId === entryId)?.filledAvgPrice, 190);

    const acts = createProtectionActivities(deps(restarted));
    const input = { broker: 'ibkr' as const, date: '2025-03-03', replayFolder: null, adopter: { workflowId: MID, dayWorkflowId: DAY, mode: 'paper' as const }, marketNowMs: Date.parse('2025-03-03T16:00:00Z') };
    const r = await acts.reconcileSessionStart(input);
    assert.deepEqual(r.adopted.map((a) => [a.ownerWorkflowId, a.symbol, a.filledQty, a.closedBy, a.exit?.clientOrderId]), [[OPEN, 'AAPL', 10, 'exit', adoptionClientOrderId(MID, entryId, 'AAPL')]]);
    assert.equal(t.orders.find((o) => o.order.orderRef === stopId)?.status, 'Cancelled', 'the stop was cancelled before the sale');
    assert.deepEqual(r.foreign.map((p) => [p.symbol, p.qty]), [['SPY', 5]]);
    assert.deepEqual(r.discrepancies, []);
    assert.deepEqual((await restarted.positions()).map((p) => p.symbol), ['SPY']);
    const sells = placed(t).filter((p) => p.order.orderRef === adoptionClientOrderId(MID, entryId, 'AAPL')).length;
    const again = await acts.reconcileSessionStart(input);
    assert.equal(again.adopted[0]?.exit?.id, r.adopted[0]?.exit?.id);
    assert.equal(placed(t).filter((p) => p.order.orderRef === adoptionClientOrderId(MID, entryId, 'AAPL')).length, sells, 'the retry sold nothing more');
    await restarted.close();
  });
});

describe('daily restart window', () => {
  void test('inRestartWindow reads New York wall time and runs past midnight', () => {
    const w = { startNy: '23:50', minutes: 20 };
    // 2025-04-09 is daylight time: New York = UTC-4.
    assert.equal(inRestartWindow(Date.parse('2025-04-10T03:55:00Z'), w), true);
    assert.equal(inRestartWindow(Date.parse('2025-04-10T04:09:00Z'), w), true);
    assert.equal(inRestartWindow(Date.parse('2025-04-10T04:10:00Z'), w), false);
    assert.equal(inRestartWindow(Date.parse('2025-04-10T03:49:00Z'), w), false);
  });

  void test('no order is sent during the window: a retryable NetworkError gateway_restart', async () => {
    const t = tws();
    const b = broker(t, { now: () => Date.parse('2025-04-09T14:01:00Z'), restartWindow: { startNy: '10:00', minutes: 5 } });
    await assert.rejects(b.submitOrder(order()), (e: unknown) => e instanceof NetworkError && e.code === 'gateway_restart');
    assert.equal(placed(t).length, 0);
  });

  void test('1100 arrives as info (no request id) and makes the broker unhealthy', async () => {
    const t = tws();
    const b = broker(t);
    await b.authenticate();
    assert.equal(b.healthy, true);
    (t.connections[0] as FakeIbConnection).loseServerConnectivity();
    assert.equal(b.healthy, false);
    await b.close();
  });
});
