import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  alpacaEndpoint,
  brokerPlan,
  createAuthenticatedBrokers,
  createBroker,
  ibkrEndpoint,
  parseBrokerName,
} from '../../activities/broker/brokerFactory';
import { AlpacaBroker } from '../../activities/broker/alpaca/alpacaBroker';
import { botConfigSchema, defaultBotConfig, type BotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig, type EnvConfig } from '../../domain/config/envSchema';
import { ConfigError } from '../../domain/errors/errorClasses';
import { FakeAlpacaServer } from '../helpers/fakeAlpacaServer';

const PAPER = { keyId: 'PKPAPER', secret: 'paper-secret' };
const LIVE = { keyId: 'AKLIVE', secret: 'live-secret' };

let paper: FakeAlpacaServer;
let live: FakeAlpacaServer;

before(async () => {
  paper = await FakeAlpacaServer.start(PAPER);
  live = await FakeAlpacaServer.start(LIVE);
});
after(async () => {
  await paper.close();
  await live.close();
});

function bot(over: Partial<BotConfig> = {}): BotConfig {
  return { ...defaultBotConfig(), API_TIMEOUT: 2, ...over };
}

function env(over: Partial<EnvConfig> = {}): EnvConfig {
  return {
    ...defaultEnvConfig(),
    ALPACA_PAPER_API_KEY: PAPER.keyId,
    ALPACA_PAPER_SECRET_KEY: PAPER.secret,
    ALPACA_LIVE_API_KEY: LIVE.keyId,
    ALPACA_LIVE_SECRET_KEY: LIVE.secret,
    ALPACA_PAPER_URL: paper.url,
    ALPACA_LIVE_URL: live.url,
    ...over,
  };
}

void test('TEST_MODE=true never yields a live URL or live keys, whatever ALPACA_MODE and FORCE_PAPER_EXPORT say', () => {
  fc.assert(
    fc.property(fc.constantFrom('paper' as const, 'live' as const), fc.boolean(), (mode, force) => {
      const ep = alpacaEndpoint(bot({ TEST_MODE: true, ALPACA_MODE: mode, FORCE_PAPER_EXPORT: force }), env());
      assert.equal(ep.mode, 'paper');
      assert.equal(ep.tradingUrl, paper.url);
      assert.equal(ep.keyId, PAPER.keyId);
      assert.deepEqual(ep.keyNames, ['ALPACA_PAPER_API_KEY', 'ALPACA_PAPER_SECRET_KEY']);
      const ib = ibkrEndpoint(bot({ TEST_MODE: true, IBKR_MODE: mode }), env({ IBKR_PAPER_ACCOUNT_NUMBER: 'DU111', IBKR_LIVE_ACCOUNT_NUMBER: 'U222' }));
      assert.equal(ib.mode, 'paper');
      assert.equal(ib.account, 'DU111');
    }),
  );
  // Outside TEST_MODE the configured mode decides.
  assert.equal(alpacaEndpoint(bot({ TEST_MODE: false, ALPACA_MODE: 'live' }), env()).tradingUrl, live.url);
  assert.equal(alpacaEndpoint(bot({ TEST_MODE: false, ALPACA_MODE: 'paper' }), env()).tradingUrl, paper.url);
});

void test('TEST_MODE with ALPACA_MODE=live: a whole broker session calls the paper server and never the live one', async () => {
  paper.requests.length = 0;
  live.requests.length = 0;
  paper.prices.set('AAPL', 100);
  const brokers = await createAuthenticatedBrokers({ bot: bot({ TEST_MODE: true, ALPACA_MODE: 'live' }), env: env(), pollIntervalMs: 1, alpacaDataUrl: paper.url });
  const b = brokers.get('alpaca');
  assert.ok(b instanceof AlpacaBroker);
  assert.equal(b.tradingUrl, paper.url);
  await b.account();
  await b.positions();
  await b.submitOrder({ clientOrderId: 'tb-testmode-AAPL-entry', symbol: 'AAPL', assetClass: 'us_equity', side: 'buy', qty: 1, type: 'market' });
  await b.quote('AAPL', 'us_equity', 0);
  assert.ok(paper.requests.length >= 5);
  assert.equal(live.requests.length, 0, 'TEST_MODE reached the live endpoint');
  // Control: with TEST_MODE=false and ALPACA_MODE=live the live server is the one called.
  const liveBrokers = await createAuthenticatedBrokers({ bot: bot({ TEST_MODE: false, ALPACA_MODE: 'live' }), env: env() });
  assert.equal((liveBrokers.get('alpaca') as AlpacaBroker).tradingUrl, live.url);
  assert.ok(live.requests.length >= 1);
});

void test('a paper URL that points at Alpaca\'s live host is refused before any call', () => {
  for (const url of ['https://api.alpaca.markets', 'https://API.alpaca.markets/', live.url]) {
    assert.throws(() => alpacaEndpoint(bot({ TEST_MODE: true }), env({ ALPACA_PAPER_URL: url })), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /ALPACA_PAPER_URL/);
      assert.match(err.message, /never reach a live endpoint/);
      return true;
    });
  }
});

void test('reserved brokers are a clear config error naming the supported brokers', () => {
  for (const name of ['tradier', 'webull', 'robinhood', 'Tradier']) {
    assert.throws(() => parseBrokerName(name), /reserved and not supported yet; supported brokers: alpaca, ibkr/);
  }
  assert.throws(() => parseBrokerName('etrade'), /unknown broker "etrade"; supported brokers: alpaca, ibkr/);
  assert.equal(parseBrokerName(' IBKR '), 'ibkr');
  const parsed = botConfigSchema.safeParse({ WEBULL_ENABLED: 'true' });
  assert.equal(parsed.success, false);
  assert.match(JSON.stringify(parsed.error?.issues), /webull is reserved, not supported yet; supported brokers: alpaca, ibkr/);
});

void test('broker plan: TEST_MODE without paper keys uses the simulator; outside TEST_MODE missing keys are problems', () => {
  const noKeys = env({ ALPACA_PAPER_API_KEY: undefined, ALPACA_PAPER_SECRET_KEY: undefined });
  assert.deepEqual(brokerPlan(bot({ TEST_MODE: true }), noKeys).entries.map((e) => e.broker), ['sim']);
  assert.deepEqual(brokerPlan(bot({ TEST_MODE: true }), env()).entries.map((e) => [e.broker, e.mode]), [['alpaca', 'paper']]);
  const p = brokerPlan(bot({ TEST_MODE: false, ALPACA_MODE: 'paper' }), noKeys);
  assert.deepEqual(p.entries, []);
  assert.match(p.problems[0] ?? '', /ALPACA_PAPER_API_KEY and ALPACA_PAPER_SECRET_KEY are required/);
  const ib = brokerPlan(bot({ TEST_MODE: false, ALPACA_ENABLED: false, IBKR_ENABLED: true, IBKR_MODE: 'live' }), env());
  assert.match(ib.problems[0] ?? '', /IBKR_LIVE_ACCOUNT_NUMBER is required/);
  assert.match(brokerPlan(bot({ ALPACA_ENABLED: false }), env()).problems[0] ?? '', /no broker is enabled/);
});

void test('startup: rejected or missing credentials are one hard-stop ConfigError naming what to fix', async () => {
  await assert.rejects(
    createAuthenticatedBrokers({ bot: bot({ TEST_MODE: false, ALPACA_MODE: 'paper' }), env: env({ ALPACA_PAPER_SECRET_KEY: 'rotated' }) }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /alpaca paper at .*credentials were rejected/);
      assert.doesNotMatch(err.message, /rotated/);
      return true;
    },
  );
  assert.throws(() => createBroker('alpaca', { bot: bot({ TEST_MODE: false, ALPACA_MODE: 'live' }), env: env({ ALPACA_LIVE_API_KEY: undefined }) }), /ALPACA_LIVE_API_KEY and ALPACA_LIVE_SECRET_KEY must be set/);
  // An unreachable broker at start is also a hard stop (nothing may trade blind).
  await assert.rejects(
    createAuthenticatedBrokers({ bot: bot({ TEST_MODE: false, ALPACA_MODE: 'paper', API_TIMEOUT: 1 }), env: env({ ALPACA_PAPER_URL: 'http://127.0.0.1:9' }) }),
    /network error|timed out/,
  );
});

void test('live wiring: authenticated brokers, Alpaca bars through the data API, VIX from VIX_SOURCE (warning when missing)', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wiring-'));
  fs.writeFileSync(path.join(dir, 'vix.csv'), 'date,close\n2025-03-03,22.5\n');
  const t0 = Date.parse('2025-03-04T14:30:00Z');
  paper.bars.set('AAPL', [0, 1, 2].map((i) => ({ t: t0 + i * 60_000, o: 1, h: 2, l: 0.5, c: 1.5, v: 10 })));
  const warnings: string[] = [];
  const { createLiveWiring } = await import('../../activities/broker/brokerFactory');
  const w = await createLiveWiring({
    bot: bot({ TEST_MODE: false, ALPACA_MODE: 'paper' }),
    env: { ...env(), VIX_SOURCE: 'vix.csv', FINNHUB_API_KEY: 'fh-wiring-key' },
    cwd: dir,
    alpacaDataUrl: paper.url,
    finnhubBaseUrl: 'http://127.0.0.1:9',
    now: () => new Date('2025-03-04T15:00:00Z'),
    warn: (m) => warnings.push(m),
  });
  assert.equal(w.primary, 'alpaca');
  assert.equal(w.screening.name, 'finnhub', 'live screening reads Finnhub');
  assert.equal((await w.marketData.closedBars(['AAPL'], t0, t0 + 3 * 60_000)).AAPL?.length, 3);
  assert.deepEqual(await w.vixSeries(), { dates: ['2025-03-03'], closes: [22.5] });
  await assert.rejects(
    createLiveWiring({ bot: bot({ TEST_MODE: false, ALPACA_MODE: 'paper' }), env: { ...env(), FINNHUB_API_KEY: undefined }, cwd: dir, alpacaDataUrl: paper.url }),
    (err: unknown) => err instanceof ConfigError && /FINNHUB_API_KEY must be set for paper and live sessions/.test(err.message),
  );
  const noVix = await createLiveWiring({ bot: bot({ TEST_MODE: false, ALPACA_MODE: 'paper' }), env: { ...env(), VIX_SOURCE: undefined, FINNHUB_API_KEY: 'fh-wiring-key' }, cwd: dir, alpacaDataUrl: paper.url, warn: (m) => warnings.push(m) });
  assert.equal(await noVix.vixSeries(), null);
  assert.match(warnings.join('\n'), /VIX_SOURCE is not set.*does not block/);
  await w.close();
  await noVix.close();
});
