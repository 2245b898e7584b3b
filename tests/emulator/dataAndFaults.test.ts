import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiError, FetchError, marketData, trading } from '@alpacahq/alpaca-trade-api';
import { AlpacaBarsSource } from '../../activities/marketData/alpacaBarsSource';
import { FinnhubClient, loadVixSource } from '../../activities/marketData/finnhubClient';
import { ConfigError } from '../../domain/errors/errorClasses';
import { regularSessionUtc } from '../../domain/market/exchangeCalendar';
import type { Emulator } from '../../scripts/emulator';
import { DATE, at, brokerFor, emulatorAt, fixtureBar, fixtureBars, jump } from './emulatorHarness';

// Contract tests of the market data and Finnhub endpoints and of the faults, through the real clients.

const SYMBOLS = ['SQQQ', 'SVIX', 'TNA', 'TQQQ', 'TZA', 'UVXY'];
const stocks = (emu: Emulator) => new marketData.StockApi(new marketData.Configuration({ keyId: emu.keyId, secret: emu.secret, basePath: emu.dataUrl, timeoutMs: 2000 }));
const account = (emu: Emulator, timeoutMs = 2000) => new trading.AccountsApi(new trading.Configuration({ keyId: emu.keyId, secret: emu.secret, basePath: emu.tradingUrl, timeoutMs }));

test('bars: only published bars, paginated when the limit is smaller than the bars, sorted by symbol then time', async () => {
  const emu = await emulatorAt(at('14:00', 1)); // the 13:59 bar is published at 14:00:02
  try {
    const open = regularSessionUtc(DATE)!.openMs;
    const got = new Map<string, number[]>();
    const order: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await stocks(emu).stockBars({ symbols: SYMBOLS.join(','), timeframe: '1Min', start: new Date(open), limit: 50, pageToken: token, feed: 'iex', adjustment: 'raw' });
      pages += 1;
      // The SDK types bars' t as Date, but its decoder leaves the multi-symbol page raw (t stays text).
      for (const [s, list] of Object.entries(page.bars as unknown as Record<string, { t: string }[]>)) {
        if (order.at(-1) !== s) order.push(s);
        got.set(s, [...(got.get(s) ?? []), ...list.map((b) => Date.parse(b.t))]);
      }
      token = page.nextPageToken ?? undefined;
    } while (token && pages < 20);
    assert.equal(pages, Math.ceil((6 * 29) / 50));
    assert.deepEqual(order, SYMBOLS);
    for (const s of SYMBOLS) {
      const t = got.get(s)!;
      assert.equal(t.length, 29, s); // 13:30 .. 13:58
      assert.equal(new Set(t).size, t.length);
      assert.equal(t.at(-1), at('13:58'));
    }
    jump(emu, at('14:00', 2));
    const source = new AlpacaBarsSource({ keyId: emu.keyId, secret: emu.secret, dataUrl: emu.dataUrl, timeoutMs: 2000 });
    const closed = await source.closedBars(['TQQQ'], open, at('14:00'));
    assert.equal(closed.TQQQ!.length, 30);
    assert.deepEqual(closed.TQQQ!.at(-1), fixtureBar('TQQQ', '13:59'));
    assert.equal(await source.closeAt('TQQQ', at('13:45')), fixtureBar('TQQQ', '13:45').c);
    assert.equal(emu.stats().barsPublished.total, 6 * 30);
  } finally {
    await emu.close();
  }
});

test('quotes and snapshots come from the latest published bar; a symbol without bars has none', async () => {
  const emu = await emulatorAt(at('14:10', 30));
  try {
    const q = await stocks(emu).stockLatestQuotes({ symbols: 'TQQQ,NOPE', feed: 'iex' });
    const close = fixtureBar('TQQQ', '14:09').c;
    assert.deepEqual(Object.keys(q.quotes), ['TQQQ']);
    assert.ok(q.quotes.TQQQ!.bp < close && q.quotes.TQQQ!.ap > close);
    const snaps = await stocks(emu).stockSnapshots({ symbols: 'TQQQ' });
    const snap = snaps.TQQQ!;
    assert.equal(snap.minuteBar?.c, close);
    assert.equal(snap.dailyBar?.o, fixtureBar('TQQQ', '13:30').o);
    const prev = fixtureBars('TQQQ', '2025-04-08').filter((b) => b.t < Date.parse('2025-04-08T20:00:00Z'));
    assert.equal(snap.prevDailyBar?.c, prev.at(-1)!.c);
  } finally {
    await emu.close();
  }
});

test('Finnhub: quote, fund profile without a market cap, average volume, token checks; the VIX URL', async () => {
  const emu = await emulatorAt(at('14:10', 30), { factsFile: 'tests/emulator/fixtures/facts.json' });
  try {
    const fh = new FinnhubClient({ apiKey: emu.finnhubToken, baseUrl: emu.finnhubUrl, timeoutMs: 2000 });
    const q = await fh.quote('TQQQ');
    assert.equal(q?.current, fixtureBar('TQQQ', '14:09').c);
    assert.equal(q?.open, fixtureBar('TQQQ', '13:30').o);
    const prevSession = fixtureBars('TQQQ', '2025-04-08').filter((b) => b.t < Date.parse('2025-04-08T20:00:00Z'));
    assert.equal(q?.previousClose, prevSession.at(-1)!.c);
    assert.equal(await fh.companyProfile('TQQQ'), null); // a fund: {} as Finnhub answers for an ETF
    assert.equal(await fh.averageVolume('TQQQ'), 75_000_000); // from the facts file
    const tnaVolume = fixtureBars('TNA', '2025-04-08').filter((b) => b.t < Date.parse('2025-04-08T20:00:00Z')).reduce((sum, b) => sum + b.v, 0);
    assert.equal(await fh.averageVolume('TNA'), tnaVolume); // the backtester's mean over earlier sessions (one here)
    assert.equal(await fh.quote('NOPE'), null);
    await assert.rejects(new FinnhubClient({ apiKey: 'wrong', baseUrl: emu.finnhubUrl, timeoutMs: 2000 }).quote('TQQQ'), ConfigError);
    const vix = await loadVixSource(emu.vixUrl, { cwd: process.cwd(), timeoutMs: 2000 });
    assert.equal(vix.warning, null);
    assert.equal(vix.series?.dates.at(-1), '2025-04-08'); // the session's own close is not known yet
  } finally {
    await emu.close();
  }
});

test('faults: a 429 with Alpaca\'s rate-limit headers, a 500, then normal answers', async () => {
  const emu = await emulatorAt(at('14:00', 30));
  try {
    emu.setFaults({ next: [{ fault: 'rate_limit', path: '/v2/account' }, { fault: 'error', path: '/v2/account' }] });
    const limited = await account(emu).getAccount().catch((e: unknown) => e);
    assert.ok(limited instanceof ApiError);
    assert.equal(limited.status, 429);
    assert.equal(limited.code, 42910000);
    assert.equal(limited.rateLimit?.limit, 200);
    assert.equal(limited.rateLimit?.remaining, 0);
    assert.ok(limited.rateLimit?.reset instanceof Date);
    const failed = await account(emu).getAccount().catch((e: unknown) => e);
    assert.ok(failed instanceof ApiError && failed.status === 500 && failed.code === 50010000);
    assert.equal((await account(emu).getAccount()).status, 'ACTIVE');
    assert.deepEqual([emu.stats().faultsInjected.rate_limit, emu.stats().faultsInjected.error], [1, 1]);
    const journal = emu.journal().filter((e) => e.kind === 'request');
    assert.deepEqual(journal.map((e) => (e.kind === 'request' ? [e.status, e.fault] : null)), [[429, 'rate_limit'], [500, 'error'], [200, null]]);
  } finally {
    await emu.close();
  }
});

test('a dropped answer: the order was placed, and the adapter finds it by client id instead of sending it twice', async () => {
  const emu = await emulatorAt(at('14:00', 30));
  try {
    emu.setFaults({ next: [{ fault: 'drop', method: 'POST', path: '/v2/orders' }] });
    const b = brokerFor(emu);
    const o = await b.submitOrder({ clientOrderId: 'tb-drop', symbol: 'TQQQ', assetClass: 'us_equity', side: 'buy', qty: 5, type: 'market' });
    assert.equal(o.status, 'filled');
    assert.equal(emu.orders().length, 1);
    assert.equal(emu.stats().faultsInjected.drop, 1);
    assert.ok(emu.journal().some((e) => e.kind === 'request' && e.fault === 'drop' && e.status === null));
  } finally {
    await emu.close();
  }
});

test('a timeout holds the answer past the client timeout without effect; the silent broker hangs until switched off', async () => {
  const emu = await emulatorAt(at('14:00', 30));
  try {
    emu.setFaults({ holdMs: 5_000, next: [{ fault: 'timeout', path: '/v2/account' }] });
    const t0 = Date.now();
    const err = await account(emu, 300).getAccount().catch((e: unknown) => e);
    assert.ok(err instanceof FetchError, String(err));
    assert.ok(Date.now() - t0 < 2_000);
    emu.setFaults({ silentBroker: true });
    assert.ok((await account(emu, 300).getAccount().catch((e: unknown) => e)) instanceof FetchError);
    // Market data is another host: it still answers.
    assert.ok((await stocks(emu).stockLatestQuotes({ symbols: 'TQQQ' })).quotes.TQQQ);
    emu.setFaults({ silentBroker: false });
    assert.equal((await account(emu).getAccount()).status, 'ACTIVE');
  } finally {
    await emu.close();
  }
});

test('seeded fault rates are the same for the same seed and request sequence', async () => {
  const run = async (seed: number) => {
    const emu = await emulatorAt(at('14:00', 30), { seed, faults: { errorRate: 0.3, rateLimitRate: 0.2 } });
    const out: number[] = [];
    try {
      for (let i = 0; i < 25; i++) out.push(await account(emu).getAccount().then(() => 200, (e: unknown) => (e instanceof ApiError ? e.status : -1)));
    } finally {
      await emu.close();
    }
    return out;
  };
  const a = await run(42);
  assert.deepEqual(await run(42), a);
  assert.ok(a.includes(500) && a.includes(429) && a.includes(200));
  assert.notDeepEqual(await run(43), a);
});

test('control surface: stats, journal, faults over HTTP; no key ever reaches the journal', async () => {
  const journalPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'emu-')), 'journal.jsonl');
  const emu = await emulatorAt(at('14:00', 30), { journalPath });
  try {
    await brokerFor(emu).submitOrder({ clientOrderId: 'tb-ctl', symbol: 'TNA', assetClass: 'us_equity', side: 'buy', qty: 1, type: 'market' });
    await new FinnhubClient({ apiKey: emu.finnhubToken, baseUrl: emu.finnhubUrl, timeoutMs: 2000 }).quote('TNA');
    await fetch(`${emu.finnhubUrl}/quote?symbol=TNA&token=${emu.finnhubToken}`);
    const stats = (await (await fetch(`${emu.baseUrl}/emulator/stats`)).json()) as { ordersReceived: number; fills: { clientOrderId: string }[] };
    assert.equal(stats.ordersReceived, 1);
    assert.deepEqual(stats.fills.map((f) => f.clientOrderId), ['tb-ctl']);
    const set = await fetch(`${emu.baseUrl}/emulator/faults`, { method: 'POST', body: JSON.stringify({ errorRate: 2 }) });
    assert.equal(set.status, 422);
    const ok = await fetch(`${emu.baseUrl}/emulator/faults`, { method: 'POST', body: JSON.stringify({ silentBroker: true }) });
    assert.equal(((await ok.json()) as { silentBroker: boolean }).silentBroker, true);
    const text = JSON.stringify(await (await fetch(`${emu.baseUrl}/emulator/journal`)).json());
    assert.ok(text.includes('"event":"filled"'));
    assert.ok(!text.includes(emu.secret) && !text.includes(emu.keyId));
    const file = fs.readFileSync(journalPath, 'utf8');
    assert.ok(file.includes('tb-ctl') && !file.includes(emu.secret));
  } finally {
    await emu.close();
  }
});
