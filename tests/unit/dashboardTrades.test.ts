import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { Dashboard } from '../../dashboard/server';
import { Browserish, fakeTemporal, PASSWORD, projectWith, startTestDashboard, USER } from './dashboardFixtures';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { tradeRecordFixture } from '../helpers/tradeFixtures';

/*
 * The trades page, the PnL chart and the token-authenticated JSON API, on a hand-written trade history
 * (the PnL figures below are sums of the records' own pnl fields), and the filters and chart in headless
 * Chromium.
 */

const TOKEN = 'test-api-token-0123456789abcdefghijklmnop';

function trade(id: string, over: Partial<TradeRecord>): TradeRecord {
  return tradeRecordFixture({
    tradeId: id, ticker: 'TQQQ', underlying: 'TQQQ', signal_price: 50, entry_price: 50, exit_price: 51, entry_time: '2025-04-09T14:35:00.000Z',
    exit_time: '2025-04-09T14:50:00.000Z', exit_reason: 'trailing_stop', pnl: 10, allocation: 500, client_order_ids: [], ...over,
  });
}

const TRADES = [
  trade('a', { pnl: 12.5 }),
  trade('b', { strategy_name: 'mid', ticker: 'SQQQ', underlying: 'QQQ', side: 'short', instrument: 'inverse_etf', pnl: -4.25, entry_time: '2025-04-09T15:40:00.000Z', exit_time: '2025-04-09T16:10:00.000Z' }),
  trade('c', { strategy_name: 'close', broker: 'sim-ibkr', ticker: 'SPY', underlying: 'SPY', pnl: 3, entry_time: '2025-04-09T19:30:00.000Z', exit_time: '2025-04-09T19:55:00.000Z' }),
  trade('d', { date: '2025-04-08', pnl: -7, entry_time: '2025-04-08T14:35:00.000Z', exit_time: '2025-04-08T15:00:00.000Z' }),
];

describe('dashboard trades and JSON API', () => {
  let dash: Dashboard;
  let noApi: Dashboard;
  let dir: string;

  before(async () => {
    const p = await projectWith({ env: `DASHBOARD_API_TOKEN=${TOKEN}\n` });
    dir = p.dir;
    fs.mkdirSync(path.join(dir, 'output', 'trades'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'output', 'trades', 'trade_history_paper.json'), JSON.stringify([...TRADES, { not: 'a trade' }]));
    dash = await startTestDashboard(p.config, dir, fakeTemporal());
    const q = await projectWith();
    noApi = await startTestDashboard(q.config, q.dir, fakeTemporal());
  });
  after(async () => {
    await dash.close();
    await noApi.close();
  });

  const api = (base: string, p: string, token?: string) => fetch(`${base}${p}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  test('API: off without a token configured, 401 without or with a wrong token, logged without the token', async () => {
    const off = await api(noApi.url, '/api/v1/status', TOKEN);
    assert.equal(off.status, 404);
    assert.match(((await off.json()) as { error: string }).error, /DASHBOARD_API_TOKEN/);
    const missing = await api(dash.url, '/api/v1/trades');
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
    const wrong = await api(dash.url, '/api/v1/trades', `${TOKEN}x`);
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: string }).error, 'wrong API token');
    // A session cookie is no substitute for the token.
    const b = new Browserish(dash.url);
    await b.login(USER, PASSWORD);
    assert.equal((await b.request('/api/v1/status')).status, 401);
    const log = fs.readFileSync(path.join(dir, 'output', 'logs', 'web', 'auth_failures.log'), 'utf8');
    assert.match(log, /"reason":"missing_token"/);
    assert.match(log, /"reason":"wrong_token"/);
    assert.ok(!log.includes(TOKEN), 'the token is never logged');
  });

  test('API: status and filtered trades with the right token', async () => {
    const status = await api(dash.url, '/api/v1/status?date=2025-04-09', TOKEN);
    assert.equal(status.status, 200);
    const s = (await status.json()) as { date: string; kind: string; status: { entries: number } };
    assert.deepEqual([s.date, s.kind, s.status.entries], ['2025-04-09', 'ok', 1]);
    const all = (await (await api(dash.url, '/api/v1/trades', TOKEN)).json()) as { count: number; unreadable: number; realizedPnl: number; trades: { tradeId: string }[] };
    assert.equal(all.count, 4);
    assert.equal(all.unreadable, 1);
    assert.equal(all.realizedPnl, 12.5 - 4.25 + 3 - 7);
    assert.deepEqual(all.trades.map((t) => t.tradeId), ['c', 'b', 'a', 'd'], 'newest first');
    const day = (await (await api(dash.url, '/api/v1/trades?date=2025-04-09&strategy=mid', TOKEN)).json()) as { trades: { tradeId: string }[] };
    assert.deepEqual(day.trades.map((t) => t.tradeId), ['b']);
    const broker = (await (await api(dash.url, '/api/v1/trades?broker=sim-ibkr&limit=1', TOKEN)).json()) as { count: number; trades: unknown[] };
    assert.equal(broker.count, 1);
    const live = (await (await api(dash.url, '/api/v1/trades?mode=live', TOKEN)).json()) as { count: number };
    assert.equal(live.count, 0, 'the live history file is another file');
  });

  test('API and page: bad filter values are a clear 400', async () => {
    const cases: [string, RegExp][] = [
      ['strategy=lunch', /strategy=lunch is invalid \(allowed: open, mid, close\)/],
      ['date=2025-13-01', /date=2025-13-01 is invalid/],
      ['from=2025-04-10&to=2025-04-01', /from=2025-04-10 is after to=2025-04-01/],
      ['mode=demo', /mode=demo is invalid \(allowed: paper, live, backtest\)/],
      ['limit=0', /limit=0 is invalid/],
      ['colour=red', /unknown filter colour/],
      ['broker=a&broker=b', /broker is given more than once/],
    ];
    for (const [q, re] of cases) {
      const r = await api(dash.url, `/api/v1/trades?${q}`, TOKEN);
      assert.equal(r.status, 400, q);
      assert.match(((await r.json()) as { error: string }).error, re, q);
    }
    assert.equal((await api(dash.url, '/api/v1/status?date=yesterday', TOKEN)).status, 400);
    assert.equal((await api(dash.url, '/api/v1/nothing', TOKEN)).status, 404);
    const b = new Browserish(dash.url);
    await b.login(USER, PASSWORD);
    const page = await b.request('/trades?strategy=lunch');
    assert.equal(page.status, 400);
    assert.match(page.text, /strategy=lunch is invalid/);
  });

  describe('in headless Chromium', () => {
    let browser: Browser;
    before(async () => {
      browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    });
    after(async () => {
      await browser?.close();
    });

    test('the filters narrow the trades and the chart draws the day\'s realised PnL', async () => {
      const page = await (await browser.newContext()).newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(`${dash.url}/login`);
      await page.fill('input[name=username]', USER);
      await page.fill('input[name=password]', PASSWORD);
      await Promise.all([page.waitForURL(`${dash.url}/`), page.click('form.login button[type=submit]')]);
      await page.goto(`${dash.url}/trades`);
      assert.equal(await page.textContent('#trade-count'), '4');
      // The chart is for the newest day: three exits, ending at 12.50 - 4.25 + 3.00.
      assert.equal(await page.getAttribute('#pnl-chart', 'data-date'), '2025-04-09');
      assert.equal(await page.getAttribute('#pnl-chart', 'data-total'), '11.25');
      assert.equal(await page.locator('#pnl-chart circle').count(), 3);
      const box = await page.locator('#pnl-chart').boundingBox();
      assert.ok(box !== null && box.width > 200 && box.height > 60, `chart drawn ${JSON.stringify(box)}`);
      // A positive day ends above the zero line (smaller y is higher).
      const lastY = Number(await page.locator('#pnl-chart circle').last().getAttribute('cy'));
      const zeroY = Number(await page.locator('#pnl-chart line.zero').getAttribute('y1'));
      assert.ok(lastY < zeroY, `${lastY} above ${zeroY}`);

      await page.fill('input[name=from]', '2025-04-09');
      await page.fill('input[name=to]', '2025-04-09');
      await page.selectOption('select[name=strategy]', 'mid');
      await Promise.all([page.waitForURL(/strategy=mid/), page.click('#trade-filters button[type=submit]')]);
      assert.equal(await page.textContent('#trade-count'), '1');
      assert.deepEqual(await page.locator('#trades tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-trade-id'))), ['b']);
      assert.equal(await page.textContent('#trade-pnl'), '-4.25');
      assert.equal(await page.getAttribute('#pnl-chart', 'data-total'), '-4.25');
      const y = Number(await page.locator('#pnl-chart circle').last().getAttribute('cy'));
      const zero = Number(await page.locator('#pnl-chart line.zero').getAttribute('y1'));
      assert.ok(y > zero, 'a losing day ends below the zero line');

      await page.selectOption('select[name=strategy]', '');
      await page.selectOption('select[name=broker]', 'sim-ibkr');
      await Promise.all([page.waitForURL(/broker=sim-ibkr/), page.click('#trade-filters button[type=submit]')]);
      assert.equal(await page.textContent('#trade-count'), '1');
      assert.equal(await page.textContent('#trades tbody tr td:nth-child(5)'), 'SPY');
      assert.deepEqual(errors, [], 'no console errors (the CSP allows everything the page uses)');
    });
  });
});

describe('dashboard position stop', () => {
  // Expected levels from the rule README.md states ("Paper and live"): MID 1.5% fixed, OPEN 2% trailing, none for options.
  const base = { underlying: 'QQQ', ticker: 'QQQ', side: 'long' as const, size: 1, entryPrice: 100, currentPrice: 104, unrealizedPnl: 4 };
  const plan = (over: Record<string, unknown> = {}) => ({ openSide: 'buy' as const, assetClass: 'us_equity' as const, exitClientOrderId: 'x', stopClientOrderId: 's', ...over });
  test('fixed, trailing floor, none for options and unprotected positions', async () => {
    const { positionStop } = await import('../../dashboard/positionStop');
    const mid = positionStop({ ...base, exitPlan: plan() }, 'mid');
    assert.ok(mid.kind === 'fixed' && Math.abs(mid.price - 98.5) < 1e-9);
    const open = positionStop({ ...base, exitPlan: plan() }, 'open');
    assert.ok(open.kind === 'trailing' && Math.abs(open.floor - 104 * 0.98) < 1e-9 && open.long);
    const shortOpen = positionStop({ ...base, exitPlan: plan({ openSide: 'sell' }) }, 'open');
    assert.ok(shortOpen.kind === 'trailing' && Math.abs(shortOpen.floor - 100 * 1.02) < 1e-9);
    assert.equal(positionStop({ ...base, exitPlan: plan({ assetClass: 'us_option' }) }, 'close').kind, 'none');
    assert.equal(positionStop({ ...base, exitPlan: plan({ stopClientOrderId: null }) }, 'close').kind, 'none');
    assert.equal(positionStop(base, 'close').kind, 'unknown');
  });
});
