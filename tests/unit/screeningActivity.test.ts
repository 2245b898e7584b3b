import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { BarStore } from '../../activities/marketData/barStore';
import { CsvReplaySource } from '../../activities/marketData/csvReplaySource';
import { FinnhubClient } from '../../activities/marketData/finnhubClient';
import type { MarketDataSource } from '../../activities/marketData/marketDataSource';
import { loadMinuteBars } from '../../activities/marketData/minuteBarCsv';
import { RateLimiter, TokenBucket } from '../../activities/marketData/rateLimiter';
import {
  createScreenerActivities,
  replayFactsFromBars,
  type ScreenCandidatesInput,
  type ScreenerConfig,
} from '../../activities/screening/screenerActivities';
import { finnhubScreeningProvider, type ScreeningDataProvider } from '../../activities/screening/screeningDataProvider';
import { screeningFacts, sessionCloseOf } from '../../domain/screening/replayScreeningFacts';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { isConfigError } from '../../domain/config/configError';
import type { Bar } from '../../domain/market/bar';
import { screenSymbol } from '../../domain/screening/screen';
import { parseSymbolList } from '../../domain/screening/symbolList';

const REPO = path.resolve(__dirname, '..', '..');
const MINUTE = path.join(REPO, 'tests', 'fixtures', 'minute');
const FIXTURES = path.join(REPO, 'tests', 'fixtures', 'screening');
const DATE = '2025-04-09';
/** OPEN's default 14:30 UTC start (10:30 New York on this daylight-saving date). */
const OPEN_START = Date.parse(`${DATE}T14:30:00Z`);

/** The facts the backtester (domain/backtest/portfolio.ts) screens with: earlier dates' closes, the date's bars. */
function backtestFacts(symbol: string, bars: readonly Bar[]) {
  const dateOf = (b: Bar) => new Date(b.t).toISOString().slice(0, 10);
  const dates = [...new Set(bars.map(dateOf))].filter((d) => d < DATE);
  const history = dates.flatMap((d) => sessionCloseOf(d, bars.filter((b) => dateOf(b) === d)) ?? []);
  return screeningFacts({ symbol, date: DATE, firstSessionBarMs: OPEN_START, history, bars: bars.filter((b) => dateOf(b) === DATE) });
}

const BOT = defaultBotConfig();
const CONFIG: ScreenerConfig = { ...BOT };

function replaySource(): CsvReplaySource {
  const data = loadMinuteBars(MINUTE);
  const flat = new Map<string, Bar[]>();
  for (const [s, byDate] of data.bars) flat.set(s, [...byDate.values()].flat());
  return new CsvReplaySource(new BarStore(flat));
}

function input(over: Partial<ScreenCandidatesInput> = {}): ScreenCandidatesInput {
  return { date: DATE, strategy: 'open', universe: [], testMode: true, replayFolder: MINUTE, firstSessionBarMs: OPEN_START, config: CONFIG, ...over };
}

/** The facts, read from the CSV text with plain string handling (not the loader), to check the activity against. */
function factsFromCsvText(symbol: string) {
  const file = fs.readdirSync(MINUTE).find((f) => f.startsWith(`${symbol}_`))!;
  const rows = fs
    .readFileSync(path.join(MINUTE, file), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  // Regular session on 2025-04-08 and -09 (EDT): bar starts 13:30 to 19:59 UTC; the 20:00 closing-auction bar is not in it.
  const prev = rows.filter((r) => r[0]!.startsWith('2025-04-08') && r[0]! < '2025-04-08T20:00:00Z');
  const today = rows.filter((r) => r[0]!.startsWith(DATE));
  const beforeStart = today.filter((r) => r[0]! < `${DATE}T14:30:00Z`);
  return {
    previousClose: Number(prev[prev.length - 1]![4]),
    open: Number(today[0]![1]),
    price: Number(beforeStart[beforeStart.length - 1]![4]),
    averageDailyVolume: prev.reduce((a, r) => a + Number(r[5]), 0),
  };
}

describe('screenCandidates on a TEST_MODE replay', () => {
  const source = replaySource();
  const deps = { marketData: async () => source as MarketDataSource, baseDir: REPO };

  test('facts from the replay: previous close, first regular-session open, latest price, average volume', async () => {
    for (const symbol of source.store.symbols()) {
      const got = await source.closedBars([symbol], Date.parse('2025-03-01T00:00:00Z'), OPEN_START + 60_000);
      const f = replayFactsFromBars(symbol, DATE, OPEN_START, got[symbol]!);
      const want = factsFromCsvText(symbol);
      assert.deepEqual(
        { previousClose: f.previousClose, open: f.open, price: f.price, averageDailyVolume: f.averageDailyVolume, marketCap: f.marketCap, spread: f.spread },
        { ...want, marketCap: null, spread: null },
        symbol,
      );
    }
  });

  test('accepted exactly where price and gap are inside their bands; market cap skipped and said; volume not checked', async () => {
    const { screenCandidates } = createScreenerActivities(deps);
    // Narrower than the defaults (which all six ETFs pass on this date), so that both rules reject something.
    const cfg = { ...CONFIG, MAX_PRICE: 40, MAX_GAP_PCT_OPEN: 0.03 };
    const r = await screenCandidates(input({ config: cfg }));
    const symbols = source.store.symbols();
    const expectAccepted = symbols.filter((s) => {
      const f = factsFromCsvText(s);
      return f.price >= cfg.MIN_PRICE && f.price <= cfg.MAX_PRICE && Math.abs(f.open / f.previousClose - 1) <= cfg.MAX_GAP_PCT_OPEN;
    });
    assert.deepEqual(r.accepted, expectAccepted);
    assert.deepEqual([...r.accepted, ...r.rejected.map((x) => x.symbol)].sort(), symbols, 'every symbol accepted or rejected');
    for (const x of r.rejected) assert.ok(['price', 'gap'].includes(x.rule) && x.reason.length > 0, `${x.symbol}: ${x.rule} ${x.reason}`);
    assert.deepEqual([...new Set(r.rejected.map((x) => x.rule))].sort(), ['gap', 'price']);
    const all = await screenCandidates(input());
    assert.deepEqual(all.accepted, symbols, 'the default bands accept all six on this date');
    assert.deepEqual(r.skipped.map((s) => s.symbol), r.accepted);
    assert.ok(r.skipped.every((s) => s.rule === 'market_cap' && /replay data has none\): filter skipped in TEST_MODE/.test(s.reason)));
    assert.ok(r.notes.some((n) => /skipped in TEST_MODE/.test(n)));
    assert.equal(r.factsSource, 'replay');
    assert.equal(r.universeSource, 'replay');
  });

  test('same decisions as the backtester\'s screen on the same bars (price, gap, volume off in TEST_MODE)', async () => {
    for (const over of [{}, { MAX_PRICE: 40, MAX_GAP_PCT_OPEN: 0.03 }, { MIN_PRICE: 20, MAX_GAP_PCT_OPEN: 0.02 }]) {
      const cfg = { ...BOT, ...over };
      for (const symbol of source.store.symbols()) {
        const got = await source.closedBars([symbol], Date.parse('2025-03-01T00:00:00Z'), OPEN_START + 60_000);
        const f = replayFactsFromBars(symbol, DATE, OPEN_START, got[symbol]!);
        const ours = screenSymbol(f, cfg, { strategy: 'open', testMode: true });
        // The backtester's own path: its facts from the same bars, screened at the session stage.
        const theirs = screenSymbol(backtestFacts(symbol, got[symbol]!), cfg, { strategy: 'open', testMode: true, stage: 'session' });
        assert.equal(ours.pass, theirs.pass, `${symbol} ${JSON.stringify(over)}`);
        if (!ours.pass && !theirs.pass) assert.equal(ours.rejection.rule, theirs.rejection.rule);
      }
    }
  });

  test('property: the facts never look past the session\'s first bar', () => {
    const bars = source.store.range('TQQQ', Date.parse('2025-04-08T00:00:00Z'), Date.parse('2025-04-10T00:00:00Z'));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 389 }), fc.double({ min: 0.5, max: 2, noNaN: true }), (minute, factor) => {
        const first = Date.parse(`${DATE}T13:30:00Z`) + minute * 60_000;
        const visible = bars.filter((b) => b.t <= first);
        // Later bars changed beyond recognition: the facts must not move.
        const tampered = bars.map((b) => (b.t > first ? { ...b, o: b.o * factor, c: b.c * factor, v: b.v * 3 } : b));
        assert.deepEqual(replayFactsFromBars('TQQQ', DATE, first, tampered), replayFactsFromBars('TQQQ', DATE, first, visible));
      }),
      { numRuns: 60 },
    );
  });

  test('SYMBOL_LIST_PATH: the file is the universe (comments, case, repeats), symbols without bars are reported', async () => {
    const { screenCandidates } = createScreenerActivities(deps);
    const wide = { ...CONFIG, MAX_GAP_PCT_OPEN: 100, SYMBOL_LIST_PATH: 'tests/fixtures/screening/symbols.txt' };
    const r = await screenCandidates(input({ config: wide }));
    assert.equal(r.universeSource, path.join(FIXTURES, 'symbols.txt'));
    assert.deepEqual(r.accepted, ['TQQQ', 'SQQQ', 'TNA', 'UVXY']);
    assert.deepEqual(r.rejected, [{ symbol: 'SPY', rule: 'data', reason: 'no bars on 2025-04-09 in the replay data' }]);
    // The day's own selection (--symbols) narrows the file.
    const n = await screenCandidates(input({ config: wide, universe: ['TNA', 'uvxy'] }));
    assert.deepEqual(n.accepted, ['TNA', 'UVXY']);
    assert.deepEqual(n.rejected.map((x) => [x.symbol, x.rule]), [['TQQQ', 'universe'], ['SQQQ', 'universe'], ['SPY', 'universe']]);
  });

  test('a bad symbol list names the file and the line', async () => {
    const { screenCandidates } = createScreenerActivities(deps);
    await assert.rejects(
      () => screenCandidates(input({ config: { ...CONFIG, SYMBOL_LIST_PATH: 'tests/fixtures/screening/symbols_bad.txt' } })),
      (err: Error) => {
        assert.ok(isConfigError(err));
        assert.equal(
          err.message,
          `SYMBOL_LIST_PATH: ${path.join(FIXTURES, 'symbols_bad.txt')}:4: "^VIX" is not a ticker symbol (symbols are separated by commas, spaces or new lines; # starts a comment)`,
        );
        return true;
      },
    );
    await assert.rejects(() => screenCandidates(input({ config: { ...CONFIG, SYMBOL_LIST_PATH: 'tests/fixtures/screening/missing.txt' } })), /SYMBOL_LIST_PATH: cannot read .*missing\.txt/);
    assert.throws(() => parseSymbolList('# only comments\n\n', 'x.txt'), /x\.txt lists no symbols/);
    assert.deepEqual(parseSymbolList('BRK.B\nBF-B # class B\r\n', 'y.txt'), ['BRK.B', 'BF-B']);
    assert.throws(() => parseSymbolList('^VIX\n', 'z.txt'), /z\.txt:1: "\^VIX" is not a ticker symbol/);
  });

  test('TEST_MODE deadline: symbols not examined in time are reported, not dropped', async () => {
    let t = 0;
    // Each clock reading advances 25 s: the third symbol is looked at after 50 s, the fourth after 75 s.
    const { screenCandidates } = createScreenerActivities({ ...deps, nowMs: () => (t += 25_000) - 25_000 });
    const r = await screenCandidates(input({ config: { ...CONFIG, MAX_GAP_PCT_OPEN: 100 } }));
    const all = source.store.symbols();
    const late = r.rejected.filter((x) => x.rule === 'deadline');
    assert.ok(late.length > 0 && r.accepted.length > 0);
    assert.deepEqual([...r.accepted, ...late.map((x) => x.symbol)], all, 'examined in order, the rest reported');
    assert.match(late[0]!.reason, /^not examined: the TEST_MODE screening deadline \(60 s\) passed after \d of 6 symbols$/);
    assert.ok(r.notes.some((n) => n.startsWith(`screening deadline: ${late.length} of 6 symbols not examined`)));
    // Live scans have no such deadline (they have the activity's own timeouts).
    t = 0;
    const liveProvider: ScreeningDataProvider = { name: 'stub', facts: async () => ({ price: 50, open: 50, previousClose: 50, averageDailyVolume: 5e6, marketCap: 5e9, spread: null }) };
    const { screenCandidates: liveScreen } = createScreenerActivities({ ...deps, provider: liveProvider, nowMs: () => (t += 25_000) });
    const l = await liveScreen(input({ testMode: false, replayFolder: null, universe: all }));
    assert.deepEqual(l.accepted, all);
  });
});

describe('screenCandidates with recorded Finnhub answers (offline, loopback)', () => {
  const KEY = 'fh-screening-test';
  const recorded = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'finnhub_2026-03-13.json'), 'utf8')) as {
    answers: Record<string, { quote: unknown; profile2: unknown; metric: unknown }>;
  };
  let server: http.Server;
  let base = '';
  before(async () => {
    server = http.createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const symbol = u.searchParams.get('symbol') ?? '';
      if (req.headers['x-finnhub-token'] !== KEY) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: 'Invalid API key.' }));
        return;
      }
      if (symbol === 'DOWN') {
        res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end('bad gateway');
        return;
      }
      const a = recorded.answers[symbol];
      let body: unknown;
      if (u.pathname === '/api/v1/quote') body = a?.quote ?? { c: 0, d: null, dp: null, h: 0, l: 0, o: 0, pc: 0, t: 0 };
      else if (u.pathname === '/api/v1/stock/profile2') body = a?.profile2 ?? {};
      else if (u.pathname === '/api/v1/stock/metric') body = a?.metric ?? { metric: {}, metricType: 'all', symbol };
      else {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const provider = (apiKey = KEY) =>
    finnhubScreeningProvider(
      new FinnhubClient({
        apiKey,
        baseUrl: base,
        timeoutMs: 2000,
        limiter: new RateLimiter({ provider: 'finnhub', bucket: new TokenBucket({ capacity: 100, refillPerSecond: 1000 }), sleep: async () => undefined }),
      }),
    );
  const noReplay = { marketData: async (): Promise<MarketDataSource> => { throw new Error('no replay in this test'); } };
  const UNIVERSE = ['BILI', 'NIO', 'PLTR', 'RKLB', 'XPEV', 'RIVN', 'SOXS', 'ZZZZ'];
  // Caps up to 2e10 so that each recorded symbol trips a different rule.
  const cfg: ScreenerConfig = { ...CONFIG, MAX_MARKET_CAP_OPEN: 2e10 };
  const live = (over: Partial<ScreenCandidatesInput> = {}) =>
    input({ date: '2026-03-13', testMode: false, replayFolder: null, universe: UNIVERSE, firstSessionBarMs: Date.parse('2026-03-13T13:40:00Z'), config: cfg, ...over });

  test('live: every rule from provider facts; a fund skips the market-cap rule; unknown symbols reported', async () => {
    const { screenCandidates } = createScreenerActivities({ ...noReplay, provider: provider() });
    const r = await screenCandidates(live());
    assert.equal(r.factsSource, 'finnhub');
    assert.deepEqual(r.accepted, ['BILI', 'NIO', 'SOXS']);
    assert.deepEqual(
      r.rejected.map((x) => [x.symbol, x.rule]),
      [['PLTR', 'price'], ['RKLB', 'market_cap'], ['XPEV', 'gap'], ['RIVN', 'volume'], ['ZZZZ', 'provider']],
    );
    const reason = (s: string) => r.rejected.find((x) => x.symbol === s)!.reason;
    assert.match(reason('RKLB'), /market cap 3\.340e\+10 outside MIN_MARKET_CAP_OPEN\.\.MAX_MARKET_CAP_OPEN \(2\.000e\+9\.\.2\.000e\+10\)/);
    assert.match(reason('XPEV'), /gap 0\.107389 .* above MAX_GAP_PCT_OPEN=0\.1/);
    assert.match(reason('RIVN'), /average daily volume 850000 below MIN_VOLUME_THRESHOLD=1000000/);
    assert.equal(reason('ZZZZ'), 'finnhub has no data for ZZZZ');
    // The fund's skipped rule is in the result, for the session log.
    assert.deepEqual(r.skipped, [{ symbol: 'SOXS', rule: 'market_cap', reason: 'fund (ETF): has no market cap; the market-cap rule applies to companies only' }]);
  });

  test('live ETF universe: funds are admitted; a company without a market cap and a symbol without a quote are not', async () => {
    const { screenCandidates } = createScreenerActivities({ ...noReplay, provider: provider() });
    const r = await screenCandidates(live({ universe: ['SOXS', 'SQQQ', 'TNA', 'CMPX', 'GHST', 'ZZZZ'] }));
    assert.deepEqual(r.accepted, ['SOXS', 'SQQQ', 'TNA']);
    assert.deepEqual(r.skipped.map((s) => [s.symbol, s.rule]), [['SOXS', 'market_cap'], ['SQQQ', 'market_cap'], ['TNA', 'market_cap']]);
    assert.deepEqual(
      r.rejected.map((x) => [x.symbol, x.rule, x.reason]),
      [
        ['CMPX', 'market_cap', 'market cap unknown: rejected (live screening does not trade what it cannot check)'],
        ['GHST', 'price', 'no price known'],
        ['ZZZZ', 'provider', 'finnhub has no data for ZZZZ'],
      ],
    );
  });

  test('TEST_MODE on provider facts: volume not checked, unknown market cap skipped and said', async () => {
    const { screenCandidates } = createScreenerActivities({ ...noReplay, provider: provider() });
    const r = await screenCandidates(live({ testMode: true }));
    assert.deepEqual(r.accepted, ['BILI', 'NIO', 'RIVN', 'SOXS']);
    assert.deepEqual(r.skipped.map((s) => [s.symbol, s.rule]), [['SOXS', 'market_cap']]);
  });

  test('a provider that is down fails the scan (Temporal retries it); a bad key is a ConfigError', async () => {
    const { screenCandidates } = createScreenerActivities({ ...noReplay, provider: provider() });
    await assert.rejects(() => screenCandidates(live({ universe: ['BILI', 'DOWN'] })), (err: Error) => err.name === 'NetworkError');
    const { screenCandidates: badKey } = createScreenerActivities({ ...noReplay, provider: provider('wrong') });
    await assert.rejects(() => badKey(live()), (err: Error) => isConfigError(err) || err.name === 'ConfigError');
  });

  test('live without a provider, or without a universe, is a configuration error', async () => {
    const { screenCandidates } = createScreenerActivities(noReplay);
    await assert.rejects(() => screenCandidates(live()), /no screening data provider is configured/);
    const { screenCandidates: withProvider } = createScreenerActivities({ ...noReplay, provider: provider() });
    await assert.rejects(() => withProvider(live({ universe: [] })), /no universe: set SYMBOL_LIST_PATH/);
  });
});
