import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { AlpacaBroker, AlpacaBrokerOptions } from '../../activities/broker/alpaca/alpacaBroker';
import { createAlpacaLimiters } from '../../activities/broker/alpaca/alpacaLimiters';
import { ALPACA_ERRORS, FakeAlpacaServer, fakeServerBroker } from '../helpers/fakeAlpacaServer';
import { BrokerError, ConfigError, NetworkError, describeError } from '../../domain/errors/errorClasses';
import { toApplicationFailure } from '../../activities/activityFailures';
import type { OrderRequest } from '../../activities/broker/brokerTypes';

// Contract tests: the real adapter and the real SDK against a loopback server speaking Alpaca's JSON.

const KEY = { keyId: 'PKTESTKEY', secret: 'test-secret' };
const fastSleep = () => new Promise<void>((r) => setImmediate(r));

let server: FakeAlpacaServer;

function broker(over: Partial<AlpacaBrokerOptions> = {}): AlpacaBroker {
  return fakeServerBroker(server, KEY, { fillTimeoutMs: 300, ...over });
}

function order(over: Partial<OrderRequest> = {}): OrderRequest {
  return { clientOrderId: 'tb-0123456789abcdef-AAPL-entry', symbol: 'AAPL', assetClass: 'us_equity', side: 'buy', qty: 10, type: 'market', ...over };
}

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
  server.assets.clear();
  server.prices.clear();
  server.prices.set('AAPL', 190.5);
  server.clock = { isOpen: true, nextOpen: '2030-01-02T14:30:00Z', nextClose: '2030-01-01T21:00:00Z' };
  Object.assign(server.account, { equity: 100_000, cash: 100_000, buyingPower: 200_000, status: 'ACTIVE', tradingBlocked: false, optionsTradingLevel: 2, shortingEnabled: true });
});

describe('authentication', () => {
  void test('valid keys: authenticate succeeds and sends both Alpaca headers', async () => {
    const b = broker();
    await b.authenticate();
    const r = server.requests.at(-1);
    assert.equal(r?.path, '/v2/account');
    assert.equal(r?.headers['apca-api-key-id'], KEY.keyId);
    assert.equal(r?.headers['apca-api-secret-key'], KEY.secret);
    assert.equal(b.capabilities.options, true);
    assert.equal(b.capabilities.shortSelling, true);
  });

  void test('rejected keys are a ConfigError naming the .env keys, never their values', async () => {
    const b = broker({ secret: 'wrong-secret-value' });
    await assert.rejects(b.authenticate(), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /ALPACA_PAPER_API_KEY and ALPACA_PAPER_SECRET_KEY/);
      assert.match(err.message, /401/);
      assert.doesNotMatch(err.message, /wrong-secret-value/);
      return true;
    });
  });

  void test('missing keys: ConfigError before any request', () => {
    assert.throws(() => broker({ secret: '' }), ConfigError);
  });

  void test('an account that cannot trade is a hard stop', async () => {
    server.account.tradingBlocked = true;
    await assert.rejects(broker().authenticate(), /trading is blocked/);
  });
});

describe('account, positions, clock, calendar', () => {
  void test('account value is equity; cash and buying power as numbers', async () => {
    server.account.equity = 12345.67;
    server.account.cash = 2000;
    server.account.buyingPower = 4000;
    assert.deepEqual(await broker().account(), { accountValue: 12345.67, cash: 2000, buyingPower: 4000 });
  });

  void test('positions: longs, shorts (negative qty) and options in the bot\'s padded OCC form', async () => {
    const b = broker();
    server.prices.set('SPY250117P00500000', 3.2);
    await b.submitOrder(order({ clientOrderId: 'a1', qty: 3 }));
    await b.submitOrder(order({ clientOrderId: 'a2', symbol: 'TSLA', side: 'sell', qty: 2 }));
    await b.submitOrder(order({ clientOrderId: 'a3', symbol: 'SPY   250117P00500000', assetClass: 'us_option', qty: 1 }));
    const post = server.requests.filter((r) => r.method === 'POST').map((r) => (r.body as { symbol: string }).symbol);
    assert.deepEqual(post, ['AAPL', 'TSLA', 'SPY250117P00500000']);
    const pos = await b.positions();
    assert.deepEqual(
      pos.map((p) => [p.symbol, p.qty]),
      [
        ['AAPL', 3],
        ['SPY   250117P00500000', 1],
        ['TSLA', -2],
      ],
    );
  });

  void test('clock and calendar', async () => {
    const b = broker();
    server.clock.isOpen = false;
    const c = await b.clock();
    assert.equal(c.isOpen, false);
    assert.equal(c.nextOpen, '2030-01-02T14:30:00.000Z');
    const cal = await b.calendar('2025-01-06', '2025-01-10');
    assert.equal(cal.length, 5);
    assert.deepEqual(cal[0], { date: '2025-01-06', open: '09:30', close: '16:00' });
  });
});

describe('market orders', () => {
  void test('a market order is sent once with the client order id, day TIF, qty as a string, and fills', async () => {
    const o = await broker().submitOrder(order());
    assert.equal(o.status, 'filled');
    assert.equal(o.filledQty, 10);
    assert.equal(o.filledAvgPrice, 190.5);
    assert.equal(o.clientOrderId, 'tb-0123456789abcdef-AAPL-entry');
    const posts = server.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, 1);
    assert.deepEqual(posts[0]?.body, { client_order_id: 'tb-0123456789abcdef-AAPL-entry', qty: '10', side: 'buy', symbol: 'AAPL', time_in_force: 'day', type: 'market' });
  });

  void test('a second submit with the same client order id returns the first order and posts nothing', async () => {
    const b = broker();
    const first = await b.submitOrder(order());
    const again = await broker().submitOrder(order());
    assert.equal(again.id, first.id);
    assert.equal(server.orders.length, 1);
    assert.equal(server.count('POST', '/v2/orders'), 1);
  });

  void test('duplicate client_order_id (422) resolves to the existing order, never a second one', async () => {
    const b = broker();
    const first = await b.submitOrder(order());
    // The lookup misses once (e.g. a stale read), so the adapter posts and Alpaca refuses the duplicate.
    server.inject('/v2/orders:by_client_order_id', { kind: 'status', ...ALPACA_ERRORS.notFound });
    const again = await b.submitOrder(order());
    assert.equal(again.id, first.id);
    assert.equal(server.orders.length, 1);
    assert.equal(server.count('POST', '/v2/orders'), 2);
  });

  void test('500 after the order was created: found by client id, one order', async () => {
    server.inject('/v2/orders', { kind: 'process_then_status', status: 500 }, { method: 'POST' });
    const o = await broker().submitOrder(order());
    assert.equal(o.status, 'filled');
    assert.equal(server.orders.length, 1);
  });

  void test('timeout after the order was created: found by client id, one order', async () => {
    server.inject('/v2/orders', { kind: 'process_then_timeout' }, { method: 'POST' });
    const o = await broker().submitOrder(order());
    assert.equal(o.status, 'filled');
    assert.equal(server.orders.length, 1);
  });

  void test('500 before anything was created: a retryable NetworkError; the retry places exactly one order', async () => {
    server.inject('/v2/orders', { kind: 'status', ...ALPACA_ERRORS.internal }, { method: 'POST' });
    const b = broker();
    await assert.rejects(b.submitOrder(order()), (err: unknown) => {
      assert.ok(err instanceof NetworkError);
      assert.equal(err.code, '50010000');
      const f = toApplicationFailure(err);
      assert.equal(f.type, 'NetworkError');
      assert.equal(f.nonRetryable, false);
      return true;
    });
    assert.equal(server.orders.length, 0);
    const o = await b.submitOrder(order());
    assert.equal(o.status, 'filled');
    assert.equal(server.orders.length, 1);
  });

  void test('connection reset on submit: NetworkError, then one order on retry', async () => {
    server.inject('/v2/orders', { kind: 'reset' }, { method: 'POST' });
    const b = broker();
    await assert.rejects(b.submitOrder(order()), (err: unknown) => err instanceof NetworkError && err.code === 'network');
    await b.submitOrder(order());
    assert.equal(server.orders.length, 1);
  });

  void test('a fill that arrives on a later status read is waited for', async () => {
    server.fills.set('AAPL', { kind: 'fill_after_polls', polls: 2 });
    const o = await broker().submitOrder(order());
    assert.equal(o.status, 'filled');
    assert.ok(server.count('GET', /^\/v2\/orders\/[^/]+$/) >= 2);
  });

  void test('partial fill: the rest is cancelled after the fill timeout; partially_filled with the filled qty and a code', async () => {
    server.fills.set('AAPL', { kind: 'partial', fraction: 0.4 });
    const o = await broker().submitOrder(order());
    assert.equal(o.status, 'partially_filled');
    assert.equal(o.filledQty, 4);
    assert.equal(o.filledAvgPrice, 190.5);
    assert.match(o.rejectReason ?? '', /^partial_fill/);
    assert.equal(server.count('DELETE', /^\/v2\/orders\//), 1);
  });

  void test('never filled: cancelled after the timeout, canceled with not_filled_in_time', async () => {
    server.fills.set('AAPL', { kind: 'pending' });
    const o = await broker().submitOrder(order());
    assert.equal(o.status, 'canceled');
    assert.equal(o.filledQty, 0);
    assert.equal(o.rejectReason, 'not_filled_in_time');
  });

  void test('accepted then rejected by Alpaca: rejected', async () => {
    server.fills.set('AAPL', { kind: 'async_reject' });
    const o = await broker().submitOrder(order());
    assert.equal(o.status, 'rejected');
    assert.equal(o.rejectReason, 'rejected_by_broker');
  });
});

describe('rejections are returned with error codes, not thrown', () => {
  void test('insufficient buying power (403, 40310000)', async () => {
    const e = ALPACA_ERRORS.buyingPower;
    server.fills.set('AAPL', { kind: 'refuse', status: e.status, code: e.code, message: e.message, extra: { buying_power: '100.00', cost_basis: '1905.00' } });
    const o = await broker().submitOrder(order());
    assert.equal(o.status, 'rejected');
    assert.equal(o.rejectReason, 'insufficient_buying_power:40310000');
  });

  void test('pattern day trading protection (403, 40310100)', async () => {
    const e = ALPACA_ERRORS.pdt;
    server.fills.set('AAPL', { kind: 'refuse', status: e.status, code: e.code, message: e.message });
    const o = await broker().submitOrder(order({ side: 'sell' }));
    assert.equal(o.rejectReason, 'pdt_protection:40310100');
  });

  void test('not shortable (422)', async () => {
    const e = ALPACA_ERRORS.notShortable('GME');
    server.prices.set('GME', 20);
    server.fills.set('GME', { kind: 'refuse', status: e.status, code: e.code, message: e.message });
    const o = await broker().submitOrder(order({ symbol: 'GME', side: 'sell' }));
    assert.equal(o.status, 'rejected');
    assert.equal(o.rejectReason, 'not_shortable:42210000');
  });

  void test('market closed: nothing is sent (a market order would wait for the next open)', async () => {
    server.clock.isOpen = false;
    const o = await broker().submitOrder(order());
    assert.equal(o.status, 'rejected');
    assert.equal(o.rejectReason, 'market_closed');
    assert.equal(server.count('POST', '/v2/orders'), 0);
  });

  void test('invalid quantity: rejected locally', async () => {
    const o = await broker().submitOrder(order({ qty: 0 }));
    assert.equal(o.rejectReason, 'invalid_qty');
    assert.equal(server.count('POST', '/v2/orders'), 0);
  });
});

describe('fractional quantities', () => {
  void test('fractionable asset with FRACTIONAL=true: the fraction is sent', async () => {
    server.assets.set('AAPL', { fractionable: true, shortable: true, easyToBorrow: true, tradable: true });
    const o = await broker().submitOrder(order({ qty: 1.2345 }));
    assert.equal(o.filledQty, 1.2345);
    assert.equal((server.requests.find((r) => r.method === 'POST')?.body as { qty: string }).qty, '1.2345');
  });

  void test('asset not fractionable: rounded down to whole shares; under one share is rejected', async () => {
    server.assets.set('AAPL', { fractionable: false, shortable: true, easyToBorrow: true, tradable: true });
    const b = broker();
    assert.equal((await b.submitOrder(order({ qty: 3.7 }))).filledQty, 3);
    const tiny = await b.submitOrder(order({ clientOrderId: 'tiny', qty: 0.5 }));
    assert.equal(tiny.rejectReason, 'not_fractionable');
  });

  void test('FRACTIONAL=false: whole shares even when the asset allows fractions', async () => {
    server.assets.set('AAPL', { fractionable: true, shortable: true, easyToBorrow: true, tradable: true });
    assert.equal((await broker({ fractional: false }).submitOrder(order({ qty: 2.9 }))).filledQty, 2);
  });
});

describe('protective stops held at the broker', () => {
  void test('OPEN: trailing stop with trail percent, day order, idempotent', async () => {
    const b = broker();
    const req = { clientOrderId: 'tb-x-AAPL-stop', symbol: 'AAPL', assetClass: 'us_equity' as const, side: 'sell' as const, qty: 10, kind: 'trailing' as const, trailPercent: 2, referencePrice: 190 };
    const r = await b.placeProtectiveStop(req);
    assert.equal(r.placed, true);
    const body = server.requests.find((x) => x.method === 'POST')?.body;
    assert.deepEqual(body, { client_order_id: 'tb-x-AAPL-stop', qty: '10', side: 'sell', symbol: 'AAPL', time_in_force: 'day', trail_percent: '2', type: 'trailing_stop' });
    const again = await b.placeProtectiveStop(req);
    assert.equal(again.placed, true);
    assert.equal(server.orders.length, 1);
  });

  void test('MID/CLOSE: fixed stop at the given price', async () => {
    const r = await broker().placeProtectiveStop({ clientOrderId: 's2', symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 5, kind: 'stop', stopPrice: 187.123, referencePrice: 190 });
    assert.equal(r.placed, true);
    assert.equal((server.requests.find((x) => x.method === 'POST')?.body as { stop_price: string }).stop_price, '187.12');
  });

  void test('fractional quantity: a fixed stop at the initial trail level replaces the trailing stop', async () => {
    const r = await broker().placeProtectiveStop({ clientOrderId: 's3', symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 1.5, kind: 'trailing', trailPercent: 2, referencePrice: 200 });
    assert.ok(r.placed);
    if (r.placed) assert.equal(r.kind, 'stop');
    const body = server.requests.find((x) => x.method === 'POST')?.body as { type: string; stop_price: string };
    assert.equal(body.type, 'stop');
    assert.equal(body.stop_price, '196.00');
  });

  void test('options: not placed at Alpaca (only market and limit orders for options); the bot\'s own exits stand', async () => {
    const r = await broker().placeProtectiveStop({ clientOrderId: 's4', symbol: 'SPY   250117P00500000', assetClass: 'us_option', side: 'sell', qty: 1, kind: 'stop', stopPrice: 2, referencePrice: 3 });
    assert.equal(r.placed, false);
    assert.equal(server.count('POST', '/v2/orders'), 0);
  });
});

describe('cancel, lookups, quotes, assets, options', () => {
  void test('cancelling a filled order is not an error; cancelling an unknown id is a BrokerError', async () => {
    const b = broker();
    const o = await b.submitOrder(order());
    await b.cancelOrder(o.id);
    await assert.rejects(b.cancelOrder('00000000-0000-0000-0000-000000000000'), BrokerError);
  });

  void test('unknown client order id: null', async () => {
    assert.equal(await broker().getOrderByClientId('nope'), null);
  });

  void test('quote is the bid/ask midpoint; option quotes use the unpadded symbol', async () => {
    const b = broker();
    assert.equal(await b.quote('AAPL', 'us_equity', 0), 190.5);
    server.prices.set('SPY250117P00500000', 3.2);
    assert.equal(await b.quote('SPY   250117P00500000', 'us_option', 0), 3.2);
    assert.equal(await b.quote('NOPE', 'us_equity', 0), null);
  });

  void test('asset info and put contracts', async () => {
    server.assets.set('GME', { fractionable: false, shortable: false, easyToBorrow: false, tradable: true });
    const b = broker();
    assert.deepEqual(await b.assetInfo('GME'), { symbol: 'GME', tradable: true, shortable: false, easyToBorrow: false, fractionable: false });
    assert.equal(await b.assetInfo('ZZZZ'), null);
    server.optionContracts.push(
      { symbol: 'SPY250117P00500000', underlying: 'SPY', expiry: '2025-01-17', strike: 500 },
      { symbol: 'SPY250124P00499000', underlying: 'SPY', expiry: '2025-01-24', strike: 499 },
      { symbol: 'SPY250321P00500000', underlying: 'SPY', expiry: '2025-03-21', strike: 500 },
    );
    const puts = await b.putContracts('SPY', { expiryFrom: '2025-01-15', expiryTo: '2025-01-31' });
    assert.deepEqual(puts.map((p) => p.symbol), ['SPY   250117P00500000', 'SPY   250124P00499000']);
  });
});

describe('transient failures and rate limits', () => {
  void test('429s are waited out (token bucket drained, backoff) and the call then succeeds', async () => {
    const limiters = createAlpacaLimiters(fastSleep);
    server.inject('/v2/account', { kind: 'status', ...ALPACA_ERRORS.rateLimited }, { times: 2 });
    const a = await broker({ limiters }).account();
    assert.equal(a.accountValue, 100000);
    assert.equal(limiters.trading.throttled, 2);
  });

  void test('persistent 429: a NetworkError with code rate_limited (retryable by Temporal)', async () => {
    server.inject('/v2/account', { kind: 'status', ...ALPACA_ERRORS.rateLimited }, { times: 10 });
    await assert.rejects(broker().account(), (err: unknown) => {
      assert.ok(err instanceof NetworkError);
      assert.equal(err.code, 'rate_limited');
      assert.equal(describeError(err).retryable, true);
      return true;
    });
  });

  void test('a request that times out is a NetworkError with code timeout', async () => {
    server.inject('/v2/positions', { kind: 'timeout' });
    await assert.rejects(broker({ timeoutMs: 150 }).positions(), (err: unknown) => err instanceof NetworkError && err.code === 'timeout');
  });

  void test('a 503 whose rate-limit window resets a minute away retries on the policy backoff, not at the reset (a CLOSE exit must not wait past the bell)', async () => {
    const resetInAMinute = { 'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000) + 60) };
    server.inject('/v2/orders', { kind: 'status', status: 503, body: { code: 50310000, message: 'service unavailable' }, headers: resetInAMinute }, { method: 'POST' });
    const order = { clientOrderId: 'retry-delay-503', symbol: 'AAPL', assetClass: 'us_equity' as const, side: 'buy' as const, qty: 1, type: 'market' as const };
    const unavailable = await broker().submitOrder(order).then(() => null, (err: unknown) => err);
    assert.ok(unavailable instanceof NetworkError, String(unavailable));
    assert.equal(unavailable.retryAfterMs, null);
    assert.equal(toApplicationFailure(unavailable).nextRetryDelay, undefined);
  });

  void test('503 on a read: NetworkError; 404 on a read of an unknown order: BrokerError (not retried)', async () => {
    server.inject('/v2/account', { kind: 'status', status: 503, body: { code: 50310000, message: 'service unavailable' } });
    await assert.rejects(broker().account(), NetworkError);
    await assert.rejects(broker().cancelOrder('missing'), (err: unknown) => err instanceof BrokerError && toApplicationFailure(err).nonRetryable === true);
  });
});
