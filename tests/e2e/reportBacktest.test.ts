import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { runPortfolioBacktest } from '../../activities/backtest/runBacktest';
import { botConfigSchema } from '../../domain/config/botConfigSchema';

/**
 * The backtest report renders in headless Chromium with no network: equity curve, drawdown, metrics, and
 * a price chart with entry and exit markers for the symbol-day chosen in the list. Screenshots are saved
 * under output/test-artifacts/ for a person to look at.
 */

const CHROMIUM = '/usr/bin/chromium';
const REPO = resolve(__dirname, '..', '..');
const ARTIFACTS = join(REPO, 'output', 'test-artifacts');
const dir = mkdtempSync(join(tmpdir(), 'tradebot-report-'));
let browser: Browser;
let reportFile: string;

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`headless Chromium not found at ${CHROMIUM}: install it (Debian/Ubuntu: apt-get install -y chromium); the report test needs it`);
  }
  // Two real days of six ETFs (the repository's replay fixture), loose thresholds so every session trades.
  const out = runPortfolioBacktest({
    dataSource: join(REPO, 'tests', 'fixtures', 'minute'),
    cacheDir: null,
    symbols: null,
    strategies: ['open', 'mid', 'close'],
    start: '2025-04-08',
    end: '2025-04-09',
    cfg: botConfigSchema.parse({ STRAT_OPEN_BUFFER: '0.002', STRAT_MID_VWAP_THRESHOLD: '0.005', STRAT_CLOSE_VIX_THRESHOLD: '0' }),
    vixFile: null,
    execution: { fill: 'next_open', slippageBps: 5, feePerOrder: 0 },
    resultsDir: dir,
    report: true,
    progress: false,
    runInfo: { test: 'report' },
  });
  assert.ok(out.reportFile !== null);
  assert.ok(out.metrics.overall.trades >= 3, `expected trades to chart, got ${out.metrics.overall.trades}`);
  reportFile = out.reportFile;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

void test('the report file is self-contained: no external resource is referenced', () => {
  const html = readFileSync(reportFile, 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|@import|url\(http/i);
  assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
});

void test('renders in headless Chromium offline: charts and tables are not empty, markers on the chosen symbol-day', async () => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  const network: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  // Any request other than the file itself would be a resource the report fails to carry.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    network.push(url);
    return route.abort();
  });
  await page.goto(`file://${reportFile}`);

  const equityPoints = await page.$eval('#equity-chart polyline.series', (el) => el.getAttribute('points')!.trim().split(/\s+/).length);
  assert.ok(equityPoints >= 4, `equity curve has ${equityPoints} points`);
  const equityBox = await page.locator('#equity-chart polyline.series').boundingBox();
  assert.ok(equityBox !== null && equityBox.width > 100 && equityBox.height > 5, `equity curve drawn: ${JSON.stringify(equityBox)}`);
  assert.equal(await page.locator('#drawdown-chart polygon.area').count(), 1);
  assert.ok((await page.locator('#metrics-table tr').count()) >= 10);
  assert.match((await page.locator('#metrics-table').innerText()).replace(/\s+/g, ' '), /Win rate .*Sharpe ratio .*Maximum drawdown .*Average trade duration/);
  assert.match((await page.locator('#metrics-table').innerText()).replace(/\s+/g, ' '), /CAGR .*Sortino ratio .*Calmar ratio .*Expectancy per trade .*Longest losing streak/);
  for (const dim of ['strategy', 'symbol', 'month', 'exit_reason']) {
    assert.ok((await page.locator(`#by-${dim} tr`).count()) >= 2, `breakdown by ${dim} has rows`);
  }
  // The fixture's month is April 2025 only, and its symbols include no SPY: the report must say so.
  assert.equal(await page.locator('#by-month tr').count(), 2);
  assert.ok((await page.locator('#benchmarks-table tr').count()) >= 2, 'buy and hold of the traded symbols');
  assert.match(await page.locator('#spy-missing').innerText(), /SPY has no bars/);
  assert.match(await page.locator('body').innerText(), /Option prices in backtests and TEST_MODE are modelled/);
  const trades = await page.locator('#trades-table tr').count();
  assert.ok(trades >= 4, `trade rows: ${trades}`);

  const options = await page.locator('#symbol-day option').count();
  assert.ok(options >= 2, `symbol-days to choose from: ${options}`);
  await page.screenshot({ path: join(ARTIFACTS, 'backtest-report.png'), fullPage: true });
  for (const choice of ['0', String(options - 1)]) {
    await page.selectOption('#symbol-day', choice);
    const pricePoints = await page.$eval('#price-chart polyline.price', (el) => el.getAttribute('points')!.trim().split(/\s+/).length);
    assert.ok(pricePoints >= 10, `price line has ${pricePoints} points`);
    assert.ok((await page.locator('#price-chart .marker.entry').count()) >= 1, 'an entry marker');
    assert.ok((await page.locator('#price-chart .marker.exit').count()) >= 1, 'an exit marker');
    assert.match(await page.locator('#price-info').innerText(), /entry .* exit /);
  }
  await page.locator('#price-chart').screenshot({ path: join(ARTIFACTS, 'backtest-report-price.png') });
  assert.deepEqual(errors, []);
  assert.deepEqual(network, []);
  await page.close();
});

mkdirSync(ARTIFACTS, { recursive: true });
