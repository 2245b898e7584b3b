import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { FinnhubClient, isFundByFinnhub, loadVixSource, parseAnyVixCsv } from '../../activities/marketData/finnhubClient';
import { RateLimiter, TokenBucket } from '../../activities/marketData/rateLimiter';
import { ConfigError, NetworkError } from '../../domain/errors/errorClasses';
import { vixCloseBefore } from '../../domain/backtest/signalAudit';

// Contract tests: the finnhub package's endpoint methods with our transport, against a loopback server
// answering with Finnhub's documented JSON (quote, profile2, metric) and its error bodies.

const KEY = 'fh-test-key';
const fastSleep = () => new Promise<void>((r) => setImmediate(r));

type Fault = { status: number; body: string; headers?: Record<string, string> } | 'timeout';
let server: http.Server;
let url: string;
const seen: { path: string; query: URLSearchParams; token: string | undefined }[] = [];
const faults: { path: string; fault: Fault }[] = [];
const held: http.ServerResponse[] = [];

const QUOTES: Record<string, unknown> = {
  AAPL: { c: 261.74, d: 2.29, dp: 0.8826, h: 263.31, l: 260.68, o: 261.07, pc: 259.45, t: 1582641000 },
  '^VIX': { c: 18.2, d: 0.5, dp: 2.8, h: 18.9, l: 17.1, o: 17.5, pc: 17.7, t: 1741017600 },
};

before(async () => {
  server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: u.pathname, query: u.searchParams, token: req.headers['x-finnhub-token'] as string | undefined });
    const i = faults.findIndex((f) => f.path === u.pathname);
    if (i >= 0) {
      const { fault } = faults.splice(i, 1)[0]!;
      if (fault === 'timeout') {
        held.push(res);
        return;
      }
      res.writeHead(fault.status, { 'Content-Type': 'application/json', ...(fault.headers ?? {}) });
      res.end(fault.body);
      return;
    }
    if (u.pathname === '/vix.csv') {
      res.writeHead(200, { 'Content-Type': 'text/csv' });
      res.end('DATE,OPEN,HIGH,LOW,CLOSE\n02/28/2025,19.00,21.00,18.50,19.63\n03/03/2025,19.70,23.50,19.20,22.78\n');
      return;
    }
    if (req.headers['x-finnhub-token'] !== KEY) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'Invalid API key.' }));
      return;
    }
    const symbol = u.searchParams.get('symbol') ?? '';
    let body: unknown;
    if (u.pathname === '/api/v1/quote') body = QUOTES[symbol] ?? { c: 0, d: null, dp: null, h: 0, l: 0, o: 0, pc: 0, t: 0 };
    else if (u.pathname === '/api/v1/stock/profile2') {
      body = symbol === 'AAPL'
        ? { country: 'US', currency: 'USD', exchange: 'NASDAQ NMS - GLOBAL MARKET', ipo: '1980-12-12', marketCapitalization: 1415993, name: 'Apple Inc', shareOutstanding: 4375.48, ticker: 'AAPL', weburl: 'https://www.apple.com/', finnhubIndustry: 'Technology' }
        : {};
    } else if (u.pathname === '/api/v1/stock/metric') body = { metric: { '10DayAverageTradingVolume': 32.50147, '52WeekHigh': 327.85 }, metricType: 'all', symbol };
    else {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  seen.length = 0;
  faults.length = 0;
});

/** A roomy bucket so tests do not wait for real refills; 429 handling is the same code. */
const testLimiter = () => new RateLimiter({ provider: 'finnhub', bucket: new TokenBucket({ capacity: 100, refillPerSecond: 1000 }), sleep: fastSleep });

function client(over: Partial<ConstructorParameters<typeof FinnhubClient>[0]> = {}): FinnhubClient {
  return new FinnhubClient({ apiKey: KEY, baseUrl: `${url}/api/v1`, timeoutMs: 300, limiter: testLimiter(), ...over });
}

void test('quote, previous close, profile (market cap in dollars), average volume (shares); key sent as a header, not in the URL', async () => {
  const c = client();
  const q = await c.quote('AAPL');
  assert.equal(q?.current, 261.74);
  assert.equal(q?.previousClose, 259.45);
  assert.equal(q?.time, '2020-02-25T14:30:00.000Z');
  assert.equal(await c.previousClose('AAPL'), 259.45);
  const p = await c.companyProfile('AAPL');
  assert.equal(p?.marketCap, 1415993e6);
  assert.equal(p?.industry, 'Technology');
  assert.equal(await c.averageVolume('AAPL'), 32501470);
  const s = await c.screening('AAPL');
  assert.deepEqual(s, { symbol: 'AAPL', price: 261.74, open: 261.07, previousClose: 259.45, marketCap: 1415993e6, averageVolume: 32501470, fund: false });
  assert.ok(seen.every((r) => r.token === KEY && !r.query.has('token')));
  assert.deepEqual([...new Set(seen.map((r) => r.path))].sort(), ['/api/v1/quote', '/api/v1/stock/metric', '/api/v1/stock/profile2']);
});

void test('unknown symbol: Finnhub answers zeros and {} which read as no data, and not as a fund', async () => {
  const c = client();
  assert.equal(await c.quote('ZZZZ'), null);
  assert.equal(await c.companyProfile('ZZZZ'), null);
  assert.equal((await c.screening('ZZZZ')).fund, false);
});

void test('fund rule: a symbol that trades with an empty profile, or a profile without cap and shares, is a fund', () => {
  const quote = { current: 41.7, open: 41.3, high: 42, low: 41, previousClose: 41.1, change: null, percentChange: null, time: '2026-03-13T13:40:00.000Z' };
  const profile = { symbol: 'X', name: 'X', marketCap: null, exchange: null, industry: null, sharesOutstanding: null };
  assert.equal(isFundByFinnhub(quote, null), true, 'profile2 {}');
  assert.equal(isFundByFinnhub(quote, profile), true, 'no marketCapitalization, no shares');
  assert.equal(isFundByFinnhub(quote, { ...profile, sharesOutstanding: 96.1 }), false, 'a company whose cap is missing');
  assert.equal(isFundByFinnhub(quote, { ...profile, marketCap: 2e9 }), false, 'a company');
  assert.equal(isFundByFinnhub(null, null), false, 'no quote: unknown, not a fund');
});

void test('invalid key (401 {"error":"Invalid API key."}): ConfigError naming FINNHUB_API_KEY, key not echoed', async () => {
  await assert.rejects(client({ apiKey: 'nope-key' }).quote('AAPL'), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /FINNHUB_API_KEY/);
    assert.match(err.message, /Invalid API key/);
    assert.doesNotMatch(err.message, /nope-key/);
    return true;
  });
  assert.throws(() => new FinnhubClient({ apiKey: '', timeoutMs: 100 }), ConfigError);
});

void test('429 "API limit reached" is waited out, then succeeds; persistent 429 becomes a retryable NetworkError', async () => {
  const limiter = testLimiter();
  const limit = { status: 429, body: JSON.stringify({ error: 'API limit reached. Please try again later. Remaining Limit: 0' }), headers: { 'Retry-After': '0' } };
  faults.push({ path: '/api/v1/quote', fault: limit }, { path: '/api/v1/quote', fault: limit });
  assert.equal((await client({ limiter }).quote('AAPL'))?.current, 261.74);
  assert.equal(limiter.throttled, 2);
  for (let i = 0; i < 6; i++) faults.push({ path: '/api/v1/quote', fault: limit });
  await assert.rejects(client().quote('AAPL'), (err: unknown) => err instanceof NetworkError && err.code === 'rate_limited');
});

void test('500 and timeouts are NetworkError (Temporal retries them)', async () => {
  faults.push({ path: '/api/v1/quote', fault: { status: 502, body: '<html>Bad Gateway</html>' } });
  await assert.rejects(client().quote('AAPL'), (err: unknown) => err instanceof NetworkError && err.code === '502');
  faults.push({ path: '/api/v1/quote', fault: 'timeout' });
  await assert.rejects(client({ timeoutMs: 100 }).quote('AAPL'), (err: unknown) => err instanceof NetworkError && err.code === 'timeout');
});

void test('token bucket: a burst beyond capacity waits for refill', async () => {
  const waits: number[] = [];
  let now = 0;
  const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1, now: () => now, sleep: async (ms) => { waits.push(ms); now += ms; } });
  for (let i = 0; i < 4; i++) await bucket.acquire();
  assert.deepEqual(waits, [1000, 1000]);
});

void test('VIX source: CBOE CSV by URL, date,close file, finnhub quote; unavailable is a warning and no series', async () => {
  const cboe = await loadVixSource(`${url}/vix.csv`, { cwd: '/', timeoutMs: 500 });
  assert.equal(cboe.warning, null);
  assert.equal(vixCloseBefore(cboe.series, '2025-03-04'), 22.78);
  assert.equal(vixCloseBefore(cboe.series, '2025-03-03'), 19.63);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vix-'));
  fs.writeFileSync(path.join(dir, 'vix.csv'), 'date,close\n2025-03-03,22.78\n');
  const file = await loadVixSource('vix.csv', { cwd: dir, timeoutMs: 500 });
  assert.equal(vixCloseBefore(file.series, '2025-03-04'), 22.78);

  const fh = await loadVixSource('finnhub', { cwd: '/', timeoutMs: 500, finnhub: client(), sessionDate: '2025-03-03' });
  // The quote is from 2025-03-03 (the session date): its previous close is the gate's value.
  assert.equal(vixCloseBefore(fh.series, '2025-03-03'), 17.7);

  for (const [src, why] of [
    [undefined, /VIX_SOURCE is not set/],
    ['finnhub', /FINNHUB_API_KEY is not set/],
    [`${url}/missing.csv`, /HTTP 401/],
    ['no-such-file.csv', /not found/],
  ] as const) {
    const r = await loadVixSource(src, { cwd: dir, timeoutMs: 500 });
    assert.equal(r.series, null);
    assert.match(r.warning ?? '', why);
    assert.match(r.warning ?? '', /does not block/);
  }
  assert.throws(() => parseAnyVixCsv('when,what\n', 'x'), /no DATE and CLOSE columns/);
});
