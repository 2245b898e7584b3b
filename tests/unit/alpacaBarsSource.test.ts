import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { AlpacaBarsSource } from '../../activities/marketData/alpacaBarsSource';
import { createAlpacaLimiters } from '../../activities/broker/alpaca/alpacaLimiters';
import { ALPACA_ERRORS, FakeAlpacaServer } from '../helpers/fakeAlpacaServer';
import { BrokerError, ConfigError, NetworkError } from '../../domain/errors/errorClasses';

const KEY = { keyId: 'PKDATAKEY', secret: 'data-secret' };
const fastSleep = () => new Promise<void>((r) => setImmediate(r));
const T0 = Date.parse('2025-03-03T14:30:00Z');
const M = 60_000;

let server: FakeAlpacaServer;

function source(over: Partial<ConstructorParameters<typeof AlpacaBarsSource>[0]> = {}): AlpacaBarsSource {
  return new AlpacaBarsSource({ ...KEY, dataUrl: server.url, timeoutMs: 400, limiter: createAlpacaLimiters(fastSleep).data, ...over });
}

function minuteBars(n: number, base: number) {
  return Array.from({ length: n }, (_, i) => ({ t: T0 + i * M, o: base + i, h: base + i + 0.5, l: base + i - 0.5, c: base + i + 0.25, v: 1000 + i }));
}

before(async () => {
  server = await FakeAlpacaServer.start(KEY);
});
after(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
  server.bars.clear();
  server.barsPageLimit = 1000;
});

void test('closed bars: 1Min, IEX feed, raw prices; only bars that have closed by throughMs', async () => {
  server.bars.set('AAPL', minuteBars(10, 100));
  const got = await source().closedBars(['AAPL'], T0, T0 + 5 * M + 30_000);
  // Bars starting 14:30..14:34 have closed by 14:35:30; the 14:35 bar has not.
  assert.deepEqual(got.AAPL?.map((b) => b.t), [0, 1, 2, 3, 4].map((i) => T0 + i * M));
  assert.deepEqual(got.AAPL?.[0], { t: T0, o: 100, h: 100.5, l: 99.5, c: 100.25, v: 1000 });
  const q = server.requests.at(-1)?.query;
  assert.equal(q?.get('timeframe'), '1Min');
  assert.equal(q?.get('feed'), 'iex');
  assert.equal(q?.get('adjustment'), 'raw');
});

void test('pagination across symbols: every page is followed, nothing repeated or lost', async () => {
  server.bars.set('AAPL', minuteBars(7, 100));
  server.bars.set('MSFT', minuteBars(6, 400));
  server.barsPageLimit = 4;
  const got = await source().closedBars(['MSFT', 'AAPL', 'NONE'], T0, T0 + 60 * M);
  assert.equal(got.AAPL?.length, 7);
  assert.equal(got.MSFT?.length, 6);
  assert.deepEqual(got.NONE, []);
  assert.ok(server.requests.length >= 4);
});

void test('closeAt: the latest close at or before the bar, that UTC day only', async () => {
  server.bars.set('AAPL', minuteBars(10, 100));
  const s = source();
  assert.equal(await s.closeAt('AAPL', T0 + 3 * M), 103.25);
  assert.equal(await s.closeAt('AAPL', T0 + 100 * M), 109.25);
  assert.equal(await s.closeAt('AAPL', T0 - 60 * M), null);
});

void test('a live feed knows no universe and no end of data', async () => {
  assert.deepEqual(await source().symbolsOn('2025-03-03'), []);
  assert.deepEqual(await source().exhausted(['AAPL'], T0), []);
});

void test('errors: 429 waited out; 500 and timeouts are NetworkError; 403 SIP is a BrokerError; bad keys a ConfigError', async () => {
  server.bars.set('AAPL', minuteBars(3, 100));
  server.inject('/v2/stocks/bars', { kind: 'status', ...ALPACA_ERRORS.rateLimited });
  assert.equal((await source().closedBars(['AAPL'], T0, T0 + 10 * M)).AAPL?.length, 3);
  server.inject('/v2/stocks/bars', { kind: 'status', ...ALPACA_ERRORS.internal });
  await assert.rejects(source().closedBars(['AAPL'], T0, T0 + 10 * M), NetworkError);
  server.inject('/v2/stocks/bars', { kind: 'timeout' });
  await assert.rejects(source({ timeoutMs: 150 }).closedBars(['AAPL'], T0, T0 + 10 * M), (e: unknown) => e instanceof NetworkError && e.code === 'timeout');
  server.inject('/v2/stocks/bars', { kind: 'status', status: 403, body: { code: 40310000, message: 'subscription does not permit querying recent SIP data' } });
  await assert.rejects(source({ feed: 'sip' }).closedBars(['AAPL'], T0, T0 + 10 * M), BrokerError);
  await assert.rejects(source({ secret: 'bad' }).closedBars(['AAPL'], T0, T0 + 10 * M), ConfigError);
});
