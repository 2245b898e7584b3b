import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runPortfolioBacktest } from '../../activities/backtest/runBacktest';
import { sweepCells } from '../../activities/backtest/sweep';
import { runWalkForward } from '../../activities/backtest/walkForward';
import { botConfigSchema } from '../../domain/config/botConfigSchema';
import { fixtureRunSpec } from '../helpers/fixtureRunSpec';

/**
 * The backtest report renders in headless Chromium with no network: equity curve, drawdown, metrics, and
 * the inlined Lightweight Charts price chart (candles, volume, indicators, entry and exit markers) of the
 * symbol-day chosen in the list or by a click on a trade row. Screenshots are saved under
 * output/test-artifacts/ for a person to look at.
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
  const out = runPortfolioBacktest(
    fixtureRunSpec({
      cfg: botConfigSchema.parse({ STRAT_OPEN_BUFFER: '0.002', STRAT_MID_VWAP_THRESHOLD: '0.005', STRAT_CLOSE_VIX_THRESHOLD: '0' }),
      resultsDir: dir,
      report: true,
      runInfo: { test: 'report' },
    }),
  );
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
  // The inlined library keeps its license header (which names the license's address); outside it, no address at all.
  const lib = /<script id="lightweight-charts">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(lib !== null, 'the chart library is inlined');
  assert.match(lib[1]!, /@license[\s\S]*Lightweight Charts[\s\S]*v5\.\d+\.\d+[\s\S]*TradingView, Inc\.[\s\S]*Apache License 2\.0/);
  assert.doesNotMatch(html.replace(lib[0], ''), /https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  assert.match(html, /TradingView Lightweight Charts v5\.\d+\.\d+, Copyright TradingView, Inc\., licensed under the Apache-2\.0 license/);
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
  const charted = await chartData(page);
  for (const choice of ['0', String(options - 1)]) {
    await page.selectOption('#symbol-day', choice);
    const chart = charted[Number(choice)]!;
    await assertChartShows(page, chart);
    assert.match(await page.locator('#price-info').innerText(), /entry .* exit /);
  }
  await page.locator('#price-chart').screenshot({ path: join(ARTIFACTS, 'backtest-report-price.png') });

  // A click on a trade of another symbol-day selects that one, in the list and in the chart.
  await page.selectOption('#symbol-day', '0');
  const other = page.locator(`#trades-table tr.trade:not([data-chart="${charted[0]!.id}"])`).first();
  const otherId = await other.getAttribute('data-chart');
  const otherIndex = charted.findIndex((c) => c.id === otherId);
  assert.ok(otherIndex > 0, `the clicked trade's symbol-day ${otherId} is charted`);
  await other.click();
  assert.equal(await page.locator('#symbol-day').inputValue(), String(otherIndex));
  await assertChartShows(page, charted[otherIndex]!);
  assert.equal(await page.locator(`#trades-table tr.selected`).count(), await page.locator(`#trades-table tr.trade[data-chart="${otherId}"]`).count());
  await page.locator('#price-chart').screenshot({ path: join(ARTIFACTS, 'backtest-report-price-clicked.png') });
  assert.deepEqual(errors, []);
  assert.deepEqual(network, []);
  await page.close();
});

void test('a walk-forward report renders: its windows, the latest training grid as a heat map, the out-of-sample trades charted', async () => {
  const spec = fixtureRunSpec({
    cfg: botConfigSchema.parse({ STRAT_MID_VWAP_THRESHOLD: '0.005', STRAT_CLOSE_VIX_THRESHOLD: '0' }),
    resultsDir: join(dir, 'walk-forward'),
    report: true,
    runInfo: { test: 'walk-forward report' },
  });
  const axes = [
    { key: 'STRAT_OPEN_BUFFER', values: ['0.002', '0.02'] },
    { key: 'TOTAL_ALLOCATION', values: ['0.02', '0.05'] },
  ];
  const cells = await sweepCells(axes, async (s) => botConfigSchema.parse({ STRAT_MID_VWAP_THRESHOLD: '0.005', STRAT_CLOSE_VIX_THRESHOLD: '0', ...s }));
  const out = await runWalkForward({ base: spec, cells, workers: 2, metric: 'expectancy', plan: { trainDays: 1, testDays: 1, stepDays: 1 } });
  const file = out.files.find((f) => f.endsWith('walk_forward_report_backtest.html'));
  assert.ok(file !== undefined, out.files.join(', '));
  const oosTrades = out.rows[0]!.outOfSample.trades;
  assert.ok(oosTrades >= 2, `out-of-sample trades to chart: ${oosTrades}`);

  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`file://${file}`);
  assert.equal(await page.locator('#walk-forward-table tr').count(), 2);
  assert.match((await page.locator('#walk-forward-table').innerText()).replace(/\s+/g, ' '), /Expectancy per trade in sample .*2025-04-08 to 2025-04-08 2025-04-09 to 2025-04-09/);
  const map = page.locator('#walk-forward-heat-map-1');
  assert.ok(await map.isVisible(), 'the latest window\'s grid is open');
  // A one-day window has no daily ratio, but every cell has an expectancy: all four coloured.
  assert.equal(await map.locator('td.heat:not(.none)').count(), 4);
  assert.equal(await page.locator('#trades-table tr.trade').count(), oosTrades);
  const box = page.locator('#price-chart');
  assert.ok((await box.locator('canvas').count()) >= 1, 'the out-of-sample price chart is drawn');
  await page.screenshot({ path: join(ARTIFACTS, 'backtest-walk-forward-report.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

interface ChartJson {
  readonly id: string;
  readonly bars: readonly unknown[];
  readonly markers: readonly unknown[];
  readonly lines: readonly { name: string }[];
}

/** The charts the report carries, as embedded in the page. */
async function chartData(page: Page): Promise<ChartJson[]> {
  return JSON.parse(await page.$eval('#chart-data', (el) => el.textContent ?? '[]')) as ChartJson[];
}

/** The chart container draws `chart`: a canvas, and as many candles and markers as the symbol-day has (read back from the library's series). */
async function assertChartShows(page: Page, chart: ChartJson): Promise<void> {
  const box = page.locator('#price-chart');
  assert.equal(await box.getAttribute('data-chart'), chart.id);
  assert.ok(chart.bars.length >= 10, `${chart.id} has ${chart.bars.length} bars`);
  assert.equal(Number(await box.getAttribute('data-bars')), chart.bars.length, `candles of ${chart.id}`);
  assert.ok(chart.markers.length >= 2, `${chart.id} has an entry and an exit`);
  assert.equal(Number(await box.getAttribute('data-markers')), chart.markers.length, `markers of ${chart.id}`);
  assert.ok(chart.lines.some((l) => l.name === 'VWAP' || l.name.startsWith('Opening range')), `${chart.id} has indicator lines`);
  assert.ok((await box.locator('canvas').count()) >= 1, 'the library drew on a canvas');
  const size = await box.locator('canvas').first().boundingBox();
  assert.ok(size !== null && size.width > 300 && size.height > 200, `canvas size ${JSON.stringify(size)}`);
}

mkdirSync(ARTIFACTS, { recursive: true });
