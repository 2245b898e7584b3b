import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { AlpacaBroker } from '../../activities/broker/alpaca/alpacaBroker';
import { createAlpacaLimiters } from '../../activities/broker/alpaca/alpacaLimiters';
import { AlpacaBarsSource } from '../../activities/marketData/alpacaBarsSource';
import { FinnhubClient } from '../../activities/marketData/finnhubClient';
import { BrokerError, ConfigError, LogicError, NetworkError } from '../../domain/errors/errorClasses';

/**
 * Fuzzing of the broker and market-data response parsers (issue 9, bad input): the real Alpaca adapter
 * (through the real SDK), the Alpaca bars source and the Finnhub client, against a loopback server that
 * answers with Alpaca- and Finnhub-shaped JSON whose fields were replaced by hostile values, with random
 * JSON, or with text that is not JSON at all. Every call either returns well-formed data (finite numbers,
 * real times) or fails with one of the bot's four error classes, naming the provider and the request;
 * never a TypeError, a RangeError or a SyntaxError. Fixed seed, modest run counts.
 */

const SEED = 1717;
const RUNS = 60;

type Answer = { status: number; body: string };
let answer: (path: string) => Answer = () => ({ status: 500, body: '' });
let server: http.Server;
let url = '';

before(async () => {
  server = http.createServer((req, res) => {
    const a = answer(new URL(req.url ?? '/', 'http://x').pathname);
    res.writeHead(a.status, { 'Content-Type': 'application/json' });
    res.end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const fastSleep = () => new Promise<void>((r) => setImmediate(r));

/** Values that break naive readers: wrong types, empty, not numbers, not times, huge, nested. */
const nastyArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, '', 'abc', 'NaN', '1e400', '-1', '0', -5, 0, 1e308, true, false, [], {}, '2025-13-45T99:99:99Z', 'Infinity', '  '),
  fc.string({ maxLength: 8 }),
  fc.double(),
  fc.jsonValue({ maxDepth: 1 }),
);

/** A template with some of its values replaced by nasty ones (or removed), recursively. */
function mutated(template: unknown): fc.Arbitrary<unknown> {
  if (Array.isArray(template)) {
    return fc.oneof({ weight: 6, arbitrary: fc.array(mutated(template[0]), { maxLength: 3 }) }, { weight: 1, arbitrary: nastyArb });
  }
  if (typeof template === 'object' && template !== null) {
    const fields = Object.fromEntries(
      Object.entries(template).map(([k, v]) => [
        k,
        fc.oneof({ weight: 8, arbitrary: mutated(v) }, { weight: 1, arbitrary: nastyArb }, { weight: 1, arbitrary: fc.constant(undefined) }),
      ]),
    );
    return fc.oneof({ weight: 8, arbitrary: fc.record(fields) }, { weight: 1, arbitrary: nastyArb });
  }
  return fc.oneof({ weight: 4, arbitrary: fc.constant(template) }, { weight: 1, arbitrary: nastyArb });
}

/** A body: the mutated template as JSON (mostly), random JSON, or not JSON at all; sometimes an error status. */
function answerArb(template: unknown): fc.Arbitrary<Answer> {
  const body = fc.oneof(
    { weight: 8, arbitrary: mutated(template).map((v) => JSON.stringify(v) ?? '') },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('<html>502 Bad Gateway</html>', '{"equity": "1', '')) },
  );
  const status = fc.oneof({ weight: 9, arbitrary: fc.constant(200) }, { weight: 1, arbitrary: fc.constantFrom(400, 401, 403, 404, 422, 500, 503) });
  return fc.record({ status, body });
}

/** A failure is one of the bot's classes, names the provider, and is one readable line. */
function assertClassified(e: unknown, provider: string): void {
  assert.ok(
    e instanceof NetworkError || e instanceof BrokerError || e instanceof LogicError || e instanceof ConfigError,
    `not a classified error: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`,
  );
  assert.ok(e.message.startsWith(provider), `does not name ${provider}: ${e.message}`);
  assert.ok(!/\n\s+at /.test(e.message), 'a stack trace in the message');
  // A malformed answer is never blamed on the bot itself (LogicError: never retried, "a bug").
  assert.ok(!(e instanceof LogicError && /unexpectedly/.test(e.message)), `an unclassified failure: ${e.message}`);
}

function assertFiniteNumbers(v: unknown, where = 'result'): void {
  if (typeof v === 'number') assert.ok(Number.isFinite(v), `${where} is ${v}`);
  else if (Array.isArray(v)) v.forEach((x, i) => assertFiniteNumbers(x, `${where}[${i}]`));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) assertFiniteNumbers(x, `${where}.${k}`);
}

function assertTimes(...times: (string | null)[]): void {
  for (const t of times) if (t !== null && t !== '') assert.ok(!Number.isNaN(Date.parse(t)), `not a time: ${t}`);
}

function alpaca(): AlpacaBroker {
  return new AlpacaBroker({
    keyId: 'PKFUZZ',
    secret: 'fuzz-secret',
    tradingUrl: url,
    dataUrl: url,
    endpointMode: 'paper',
    timeoutMs: 2000,
    fractional: true,
    fillTimeoutMs: 20,
    pollIntervalMs: 1,
    limiters: createAlpacaLimiters(fastSleep),
    sleep: fastSleep,
  });
}

const ORDER = {
  id: '61e69015-8549-4bfd-b9c3-01e75843f47d',
  client_order_id: 'tb-fuzz-AAPL-entry',
  symbol: 'AAPL',
  asset_class: 'us_equity',
  qty: '10',
  filled_qty: '10',
  filled_avg_price: '190.5',
  status: 'filled',
  side: 'buy',
  type: 'market',
  order_type: 'market',
  time_in_force: 'day',
  created_at: '2025-04-09T14:31:00Z',
  submitted_at: '2025-04-09T14:31:00Z',
  filled_at: '2025-04-09T14:31:01Z',
};

const ALPACA_CASES: { name: string; template: unknown; route: RegExp; run: (b: AlpacaBroker) => Promise<unknown>; check?: (r: unknown) => void }[] = [
  {
    name: 'account',
    route: /^\/v2\/account$/,
    template: { id: 'x', status: 'ACTIVE', currency: 'USD', equity: '100000.00', cash: '5000.5', buying_power: '200000', portfolio_value: '100000', options_trading_level: 2, shorting_enabled: true, trading_blocked: false, account_blocked: false },
    run: (b) => b.account(),
  },
  { name: 'authenticate', route: /^\/v2\/account$/, template: { id: 'x', status: 'ACTIVE', equity: '1', trading_blocked: false, account_blocked: false }, run: (b) => b.authenticate() },
  {
    name: 'positions',
    route: /^\/v2\/positions$/,
    template: [{ symbol: 'AAPL', qty: '-10', side: 'short', avg_entry_price: '190.5', asset_class: 'us_equity', market_value: '1905' }],
    run: (b) => b.positions(),
  },
  {
    name: 'order lookup',
    route: /^\/v2\/orders:by_client_order_id$/,
    template: ORDER,
    run: (b) => b.getOrderByClientId('tb-fuzz-AAPL-entry'),
    check: (r) => {
      const o = r as { submittedAt: string; filledAt: string | null; filledQty: number; filledAvgPrice: number | null } | null;
      if (o === null) return;
      assertTimes(o.submittedAt, o.filledAt);
      // A fill always has its price: a trade is never booked at 0 or at no price.
      if (o.filledQty > 0) assert.ok(o.filledAvgPrice !== null && o.filledAvgPrice > 0, `fill without a price: ${JSON.stringify(o)}`);
    },
  },
  { name: 'open orders', route: /^\/v2\/orders$/, template: [ORDER], run: (b) => b.openOrders() },
  {
    name: 'clock',
    route: /^\/v2\/clock$/,
    template: { timestamp: '2025-04-09T14:31:00-04:00', is_open: true, next_open: '2025-04-10T09:30:00-04:00', next_close: '2025-04-09T16:00:00-04:00' },
    run: (b) => b.clock(),
    check: (r) => {
      const c = r as { isOpen: unknown; timestamp: string; nextOpen: string; nextClose: string };
      assert.equal(typeof c.isOpen, 'boolean');
      assertTimes(c.timestamp, c.nextOpen, c.nextClose);
    },
  },
  { name: 'calendar', route: /^\/v2\/calendar$/, template: [{ date: '2025-04-09', open: '09:30', close: '16:00' }], run: (b) => b.calendar('2025-04-09', '2025-04-10') },
  {
    name: 'stock quote',
    route: /^\/v2\/stocks\/quotes\/latest$/,
    template: { quotes: { AAPL: { bp: 190.1, ap: 190.3, bs: 1, as: 2, t: '2025-04-09T14:31:00.5Z' } } },
    run: (b) => b.latestQuote('AAPL', 'us_equity'),
  },
  {
    name: 'asset',
    route: /^\/v2\/assets\/.+$/,
    template: { id: 'a', symbol: 'AAPL', class: 'us_equity', exchange: 'NASDAQ', status: 'active', tradable: true, shortable: true, easy_to_borrow: true, fractionable: true },
    run: (b) => b.assetInfo(`AAPL`),
    check: (r) => {
      const a = r as Record<string, unknown> | null;
      if (a !== null) for (const k of ['tradable', 'shortable', 'easyToBorrow', 'fractionable']) assert.equal(typeof a[k], 'boolean', k);
    },
  },
  {
    name: 'put contracts',
    route: /^\/v2\/options\/contracts$/,
    template: { option_contracts: [{ id: 'c', symbol: 'AAPL250411P00190000', expiration_date: '2025-04-11', strike_price: '190', type: 'put', tradable: true, status: 'active' }], next_page_token: null },
    run: (b) => b.putContracts('AAPL', { expiryFrom: '2025-04-10', expiryTo: '2025-04-20' }),
  },
];

for (const c of ALPACA_CASES) {
  void test(`fuzz Alpaca ${c.name} responses: well-formed data or a classified error naming alpaca`, async () => {
    await fc.assert(
      fc.asyncProperty(answerArb(c.template), async (a) => {
        answer = (p) => (c.route.test(p) ? a : { status: 404, body: '{"code":40410000,"message":"not found"}' });
        // A fresh broker each time: the asset and clock caches must not carry one answer into the next.
        let result: unknown;
        try {
          result = await c.run(alpaca());
        } catch (e) {
          assertClassified(e, 'alpaca');
          return;
        }
        assertFiniteNumbers(result);
        c.check?.(result);
      }),
      { seed: SEED, numRuns: RUNS, includeErrorInReport: true },
    );
  });
}

void test('fuzz Alpaca order submission: a malformed order answer is never taken for a fill', async () => {
  await fc.assert(
    fc.asyncProperty(answerArb(ORDER), async (a) => {
      answer = (p) => {
        if (p === '/v2/orders:by_client_order_id') return { status: 404, body: '{"code":40410000,"message":"order not found"}' };
        if (p === '/v2/clock') return { status: 200, body: JSON.stringify({ timestamp: new Date().toISOString(), is_open: true, next_open: '2099-01-01T00:00:00Z', next_close: '2099-01-01T00:00:00Z' }) };
        return a;
      };
      let result;
      try {
        result = await alpaca().submitOrder({ clientOrderId: 'tb-fuzz-AAPL-entry', symbol: 'AAPL', assetClass: 'us_equity', side: 'buy', qty: 10, type: 'market' });
      } catch (e) {
        assertClassified(e, 'alpaca');
        return;
      }
      assertFiniteNumbers(result);
      if (result.filledQty > 0) assert.ok(result.filledAvgPrice !== null && result.filledAvgPrice > 0, `fill without a price: ${JSON.stringify(result)}`);
    }),
    { seed: SEED, numRuns: RUNS, includeErrorInReport: true },
  );
});

void test('fuzz Alpaca minute bars: bars with real times and positive prices, or a classified error', async () => {
  const template = { bars: { AAPL: [{ t: '2025-04-09T14:30:00Z', o: 190, h: 191, l: 189.5, c: 190.5, v: 1200, n: 10, vw: 190.2 }] }, next_page_token: null };
  await fc.assert(
    fc.asyncProperty(answerArb(template), async (a) => {
      answer = () => a;
      const src = new AlpacaBarsSource({ keyId: 'PKFUZZ', secret: 'fuzz-secret', dataUrl: url, timeoutMs: 2000, limiter: createAlpacaLimiters(fastSleep).data });
      const from = Date.parse('2025-04-09T14:00:00Z');
      let got: Record<string, { t: number; o: number; h: number; l: number; c: number; v: number }[]>;
      try {
        got = await src.closedBars(['AAPL'], from, from + 3_600_000);
      } catch (e) {
        assertClassified(e, 'alpaca');
        return;
      }
      for (const b of got.AAPL ?? []) {
        assert.ok(Number.isFinite(b.t), 'bar time');
        for (const x of [b.o, b.h, b.l, b.c]) assert.ok(Number.isFinite(x) && x > 0, `price ${x}`);
        assert.ok(Number.isFinite(b.v) && b.v >= 0, `volume ${b.v}`);
      }
    }),
    { seed: SEED, numRuns: RUNS * 2, includeErrorInReport: true },
  );
});

const FINNHUB_CASES: { name: string; template: unknown; run: (f: FinnhubClient) => Promise<unknown> }[] = [
  { name: 'quote', template: { c: 261.74, d: 2.29, dp: 0.88, h: 263.31, l: 260.68, o: 261.07, pc: 259.45, t: 1582641000 }, run: (f) => f.quote('AAPL') },
  { name: 'company profile', template: { ticker: 'AAPL', name: 'Apple Inc', marketCapitalization: 3_000_000, exchange: 'NASDAQ', finnhubIndustry: 'Technology' }, run: (f) => f.companyProfile('AAPL') },
  { name: 'basic financials', template: { metric: { '10DayAverageTradingVolume': 55.2 }, symbol: 'AAPL' }, run: (f) => f.averageVolume('AAPL') },
];

for (const c of FINNHUB_CASES) {
  void test(`fuzz Finnhub ${c.name} responses: well-formed data or a classified error naming finnhub`, async () => {
    await fc.assert(
      fc.asyncProperty(answerArb(c.template), async (a) => {
        answer = () => a;
        const client = new FinnhubClient({ apiKey: 'fh-fuzz', baseUrl: url, timeoutMs: 2000, sleep: fastSleep });
        let result: unknown;
        try {
          result = await c.run(client);
        } catch (e) {
          assertClassified(e, 'finnhub');
          return;
        }
        if (c.name === 'quote' && result !== null) {
          const q = result as { time: string; current: number; previousClose: number };
          assertTimes(q.time);
        } else assertFiniteNumbers(result);
      }),
      { seed: SEED, numRuns: RUNS, includeErrorInReport: true },
    );
  });
}
