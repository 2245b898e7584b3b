import test from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, trading } from '@alpacahq/alpaca-trade-api';
import { BrokerError, ConfigError } from '../../domain/errors/errorClasses';
import { optionFillPrice, optionPremium, optionQuote } from '../../domain/emulator/options';
import { parseOccSymbol } from '../../domain/instruments/occSymbol';
import type { OrderRequest } from '../../activities/broker/brokerTypes';
import { at, brokerFor, DATE, emulatorAt, fixtureBar, jump } from './emulatorHarness';
import { loadVixCsv } from '../../activities/marketData/vixCsv';
import { vixCloseBefore } from '../../domain/backtest/signalAudit';
import { DEFAULT_SIGMA } from '../../domain/instruments/optionModelInputs';

// Contract tests: the real AlpacaBroker (built as brokerFactory.createBroker builds it) and the SDK's own
// generated clients, over HTTP, against the emulator on the 2025-04-09 fixture day.

// The emulator harness's VIX file: the put model's volatility input for the date.
const FIXTURE_VIX = vixCloseBefore(loadVixCsv('tests/emulator/fixtures/vix.csv'), DATE);

const order = (over: Partial<OrderRequest> = {}): OrderRequest => ({ clientOrderId: 'tb-emu-TQQQ-entry', symbol: 'TQQQ', assetClass: 'us_equity', side: 'buy', qty: 10, type: 'market', ...over });

function sdkOrders(emu: { tradingUrl: string; keyId: string; secret: string }): trading.OrdersApi {
  return new trading.OrdersApi(new trading.Configuration({ keyId: emu.keyId, secret: emu.secret, basePath: emu.tradingUrl, timeoutMs: 2000 }));
}

test('account: authenticate and the starting cash and buying power of a margin account', async () => {
  const emu = await emulatorAt(at('14:00', 30));
  try {
    const b = brokerFor(emu);
    await b.authenticate();
    assert.deepEqual(await b.account(), { accountValue: 100_000, cash: 100_000, buyingPower: 200_000 });
    assert.equal(b.capabilities.options, true);
    const clock = await b.clock();
    assert.equal(clock.isOpen, true);
    assert.equal(clock.nextClose, '2025-04-09T20:00:00.000Z');
  } finally {
    await emu.close();
  }
});

test('bad keys: authenticate is a ConfigError, and the emulator answers 401 in Alpaca shape', async () => {
  const emu = await emulatorAt(at('14:00', 30));
  try {
    await assert.rejects(brokerFor(emu, { keyId: emu.keyId, secret: 'wrong' }).authenticate(), (e: unknown) => e instanceof ConfigError && /credentials were rejected/.test(e.message));
    const err = await sdkOrders({ ...emu, secret: 'wrong' }).getAllOrders({}).catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 401);
    assert.equal(err.code, 40110000);
  } finally {
    await emu.close();
  }
});

test('a market order fills at its minute bar open plus slippage; lookup by client id; duplicate id is 422', async () => {
  const emu = await emulatorAt(at('14:00', 30), { slippageBps: 10 });
  try {
    const b = brokerFor(emu);
    const filled = await b.submitOrder(order());
    const open = fixtureBar('TQQQ', '14:00').o;
    assert.equal(filled.status, 'filled');
    assert.equal(filled.filledQty, 10);
    assert.ok(Math.abs((filled.filledAvgPrice ?? 0) - open * 1.001) < 1e-9, `price ${filled.filledAvgPrice} vs ${open * 1.001}`);
    assert.ok(Date.parse(filled.filledAt ?? '') >= at('14:00', 30) && Date.parse(filled.filledAt ?? '') < at('14:00', 35));
    const found = await b.getOrderByClientId(order().clientOrderId);
    assert.equal(found?.id, filled.id);
    assert.equal(await b.getOrderByClientId('no-such-id'), null);
    const dup = await sdkOrders(emu)
      .postOrder({ postOrderRequest: { symbol: 'TQQQ', qty: '1', side: 'buy', type: 'market', timeInForce: 'day', clientOrderId: order().clientOrderId } })
      .catch((e: unknown) => e);
    assert.ok(dup instanceof ApiError);
    assert.equal(dup.status, 422);
    assert.equal(dup.message, 'client_order_id must be unique');
    // The adapter resolves the same id to the existing order instead of a second one.
    assert.equal((await b.submitOrder(order())).id, filled.id);
    assert.equal(emu.orders().length, 1);
  } finally {
    await emu.close();
  }
});

test('positions, a protective stop that triggers on a later bar, and the stop fill as the exit', async () => {
  const emu = await emulatorAt(at('14:00', 30));
  try {
    const b = brokerFor(emu);
    await b.submitOrder(order());
    assert.deepEqual(await b.positions(), [{ symbol: 'TQQQ', qty: 10, avgEntryPrice: fixtureBar('TQQQ', '14:00').o }]);
    const stop = await b.placeProtectiveStop({ clientOrderId: 'tb-emu-TQQQ-stop', symbol: 'TQQQ', assetClass: 'us_equity', side: 'sell', qty: 10, kind: 'stop', stopPrice: 40.8, referencePrice: 40.38 });
    assert.equal(stop.placed, true);
    // Bars 14:01-14:03 stay above 40.80; the 14:04 bar (open 41.00, low 40.70) crosses it.
    jump(emu, at('14:04', 50));
    assert.equal((await b.getOrderByClientId('tb-emu-TQQQ-stop'))?.status, 'accepted');
    jump(emu, at('14:05', 5));
    const done = await b.getOrderByClientId('tb-emu-TQQQ-stop');
    assert.equal(done?.status, 'filled');
    assert.equal(done?.filledAvgPrice, 40.8);
    assert.equal(done?.filledAt, new Date(at('14:05')).toISOString());
    assert.deepEqual(await b.positions(), []);
    assert.deepEqual(await b.openOrders(), []);
    assert.ok(emu.journal().some((e) => e.kind === 'order' && e.event === 'triggered' && e.clientOrderId === 'tb-emu-TQQQ-stop'));
  } finally {
    await emu.close();
  }
});

test('cancel a working stop; cancelling a filled order is Alpaca\'s 422; closing a position', async () => {
  const emu = await emulatorAt(at('14:00', 30));
  try {
    const b = brokerFor(emu);
    const entry = await b.submitOrder(order());
    const stop = await b.placeProtectiveStop({ clientOrderId: 'tb-emu-TQQQ-stop', symbol: 'TQQQ', assetClass: 'us_equity', side: 'sell', qty: 10, kind: 'trailing', trailPercent: 5, referencePrice: 40.38 });
    assert.ok(stop.placed);
    // The stop holds the shares: a market exit now is refused by the broker.
    const blocked = await b.submitOrder(order({ clientOrderId: 'tb-emu-TQQQ-exit-1', side: 'sell' }));
    assert.equal(blocked.status, 'rejected');
    assert.match(blocked.rejectReason ?? '', /^insufficient_qty:40310000/);
    await b.cancelOrder(stop.order.id);
    assert.equal((await b.getOrderByClientId('tb-emu-TQQQ-stop'))?.status, 'canceled');
    const raw = await sdkOrders(emu).deleteOrderByOrderID({ orderId: entry.id }).catch((e: unknown) => e);
    assert.ok(raw instanceof ApiError);
    assert.equal(raw.status, 422);
    await b.cancelOrder(entry.id); // the adapter treats 422 as nothing left to cancel
    const positions = new trading.PositionsApi(new trading.Configuration({ keyId: emu.keyId, secret: emu.secret, basePath: emu.tradingUrl }));
    const closed = await positions.deleteOpenPosition({ symbolOrAssetId: 'TQQQ' });
    assert.equal(closed.status, 'filled');
    assert.equal(closed.side, 'sell');
    assert.deepEqual(await b.positions(), []);
    const missing = await positions.deleteOpenPosition({ symbolOrAssetId: 'TQQQ' }).catch((e: unknown) => e);
    assert.ok(missing instanceof ApiError && missing.status === 404);
  } finally {
    await emu.close();
  }
});

test('after the close a day market order is accepted, does not fill, and is recorded', async () => {
  const emu = await emulatorAt(at('19:59', 30));
  try {
    const b = brokerFor(emu);
    await b.submitOrder(order());
    jump(emu, at('20:00', 20));
    // The adapter refuses to send while its clock says closed, so this goes through the SDK as a late client would.
    const late = await sdkOrders(emu).postOrder({ postOrderRequest: { symbol: 'TQQQ', qty: '10', side: 'sell', type: 'market', timeInForce: 'day', clientOrderId: 'late-exit' } });
    assert.equal(late.status, 'accepted');
    jump(emu, at('21:00'));
    assert.equal((await b.getOrderByClientId('late-exit'))?.status, 'accepted');
    const s = emu.stats();
    assert.deepEqual(s.ordersAfterClose.map((o) => o.clientOrderId), ['late-exit']);
    assert.equal(s.closeReached, true);
    assert.deepEqual(s.positionsAtClose.map((p) => [p.symbol, p.qty]), [['TQQQ', 10]]);
    assert.deepEqual(s.workingOrdersAtClose, []);
    assert.equal((await b.clock()).isOpen, false);
  } finally {
    await emu.close();
  }
});

test('a put: listed contracts, its quote and a market buy priced by the simulated option model', async () => {
  const emu = await emulatorAt(at('14:00', 30));
  try {
    const b = brokerFor(emu);
    await b.authenticate();
    const contracts = await b.putContracts('TQQQ', { expiryFrom: '2025-04-16', expiryTo: '2025-04-30', strikeTo: 41 });
    assert.ok(contracts.length > 0);
    assert.ok(contracts.every((c) => c.right === 'P' && c.strike <= 41 && c.expiry >= '2025-04-16' && c.expiry <= '2025-04-30'));
    const c = contracts[contracts.length - 1]!;
    const q = await b.latestQuote(c.symbol, 'us_option');
    const occ = parseOccSymbol(c.symbol)!;
    const quoted = fixtureBar('TQQQ', '13:59');
    const model = optionQuote(occ, quoted.c, quoted.t + 59_999, { vix: FIXTURE_VIX });
    assert.notEqual(model.sigma, DEFAULT_SIGMA, 'the fixture VIX sets the volatility');
    assert.deepEqual([q?.bid, q?.ask], [model.bid, model.ask]);
    assert.ok(model.ask > model.bid, 'the model quotes a spread');
    const filled = await b.submitOrder({ clientOrderId: 'tb-emu-put', symbol: c.symbol, assetClass: 'us_option', side: 'buy', qty: 2, type: 'market' });
    assert.equal(filled.status, 'filled');
    // A market buy pays the model's ask, priced at the fill bar's start from that bar's open.
    const fillBar = fixtureBar('TQQQ', '14:00');
    assert.equal(filled.filledAvgPrice, optionFillPrice(occ, 'buy', fillBar.o, fillBar.t, { vix: FIXTURE_VIX }));
    assert.ok((filled.filledAvgPrice ?? 0) > optionPremium(occ, fillBar.o, fillBar.t, { vix: FIXTURE_VIX }), 'the buy paid more than the mid');
    assert.deepEqual((await b.positions()).map((p) => [p.symbol, p.qty]), [[c.symbol, 2]]);
    const stop = await b.placeProtectiveStop({ clientOrderId: 'tb-emu-put-stop', symbol: c.symbol, assetClass: 'us_option', side: 'sell', qty: 2, kind: 'stop', stopPrice: 0.1, referencePrice: 1 });
    assert.equal(stop.placed, false);
  } finally {
    await emu.close();
  }
});

test('short sale of a non-shortable asset is refused; quote overrides make a quote one-sided or wide', async () => {
  const emu = await emulatorAt(at('14:00', 30), { factsFile: 'tests/emulator/fixtures/facts.json' });
  try {
    const b = brokerFor(emu);
    const short = await b.submitOrder(order({ clientOrderId: 'short-sqqq', symbol: 'SQQQ', side: 'sell' }));
    assert.equal(short.status, 'rejected');
    assert.match(short.rejectReason ?? '', /^not_shortable/);
    const asset = await b.assetInfo('SQQQ');
    assert.equal(asset?.shortable, false);
    assert.equal(await b.assetInfo('NOPE'), null);
    emu.setQuoteOverride('TQQQ', { bid: 0 });
    const oneSided = await b.latestQuote('TQQQ', 'us_equity');
    assert.equal(oneSided?.bid, 0);
    assert.ok((oneSided?.ask ?? 0) > 0);
    emu.setQuoteOverride('TQQQ', { spreadBps: 500 });
    const wide = await b.latestQuote('TQQQ', 'us_equity');
    assert.ok((wide?.ask ?? 0) - (wide?.bid ?? 0) > 1.9);
    emu.setQuoteOverride('TQQQ', null);
    const normal = await b.latestQuote('TQQQ', 'us_equity');
    assert.ok((normal?.ask ?? 0) - (normal?.bid ?? 0) < 0.05);
  } finally {
    await emu.close();
  }
});

test('an unknown order id is a 404 BrokerError through the adapter', async () => {
  const emu = await emulatorAt(at('14:00', 30));
  try {
    const err = await sdkOrders(emu).getOrderByOrderID({ orderId: 'nope' }).catch((e: unknown) => e);
    assert.ok(err instanceof ApiError && err.status === 404 && err.code === 40410000);
    await assert.rejects(brokerFor(emu).cancelOrder('nope'), (e: unknown) => e instanceof BrokerError && e.status === 404);
  } finally {
    await emu.close();
  }
});
