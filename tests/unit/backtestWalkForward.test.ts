import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPortfolioBacktest } from '../../activities/backtest/runBacktest';
import { sweepCells } from '../../activities/backtest/sweep';
import { cellSpec } from '../../activities/backtest/sweepCell';
import { runWalkForward } from '../../activities/backtest/walkForward';
import { computeMetrics, type MetricsBlock } from '../../domain/backtest/metrics';
import { bestBy, betterCellFirst } from '../../domain/backtest/sweepMetric';
import { walkForwardWindows } from '../../domain/backtest/walkForwardWindows';
import { botConfigSchema } from '../../domain/config/botConfigSchema';
import { tradingDaysBetween } from '../../domain/market/exchangeCalendar';
import { sweepHeatMap } from '../../activities/backtest/reportHeatMap';
import { runBacktestCommand } from '../../scripts/commands/backtest';
import { fixtureRunSpec, MINUTE_FIXTURE } from '../helpers/fixtureRunSpec';

// Walk-forward sweeps and the sweep's ranking metric (docs/backtest.md, "Walk-forward").

const dir = mkdtempSync(join(tmpdir(), 'tradebot-walkforward-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const empty = computeMetrics({ trades: [], days: [], startingCash: 10_000, strategies: ['open'] }).overall;
const block = (m: Partial<MetricsBlock>): MetricsBlock => ({ ...empty, ...m });

void test('windows: train then test, the next window a step later, only whole windows', () => {
  const dates = ['d01', 'd02', 'd03', 'd04', 'd05', 'd06', 'd07', 'd08', 'd09', 'd10'];
  const windows = walkForwardWindows(dates, { trainDays: 4, testDays: 2, stepDays: 2 });
  assert.deepEqual(
    windows.map((w) => [w.index, w.trainStart, w.trainEnd, w.testStart, w.testEnd]),
    [
      [1, 'd01', 'd04', 'd05', 'd06'],
      [2, 'd03', 'd06', 'd07', 'd08'],
      [3, 'd05', 'd08', 'd09', 'd10'],
    ],
  );
  // A step longer than the test range leaves dates untested but never overlaps the tests.
  assert.deepEqual(walkForwardWindows(dates, { trainDays: 3, testDays: 1, stepDays: 5 }).map((w) => w.testStart), ['d04', 'd09']);
});

void test('windows: a range too short for one window, and a bad plan, are refused with every problem', () => {
  assert.throws(() => walkForwardWindows(['a', 'b', 'c'], { trainDays: 3, testDays: 1, stepDays: 1 }), /walk-forward needs 4 trading days \(train 3 \+ test 1\); the range holds 3/);
  assert.throws(
    () => walkForwardWindows(['a', 'b'], { trainDays: 0, testDays: 1.5, stepDays: 1 }),
    (err: Error & { problems?: string[] }) => err.name === 'ConfigError' && err.problems?.length === 2 && /train: 0/.test(err.problems[0]!) && /test: 1\.5/.test(err.problems[1]!),
  );
});

void test('trading days are the NYSE calendar: weekends and Good Friday skipped', () => {
  assert.deepEqual(tradingDaysBetween('2025-04-16', '2025-04-22'), ['2025-04-16', '2025-04-17', '2025-04-21', '2025-04-22']);
});

void test('the metric ranks the cells: highest first, a drawdown lowest first, a missing value last, ties by PnL', () => {
  const cells = [
    { name: 'a', m: block({ sharpe: 1.2, sortino: 0.5, totalPnl: 10, maxDrawdownPct: 0.08 }) },
    { name: 'b', m: block({ sharpe: 0.4, sortino: 2.0, totalPnl: 30, maxDrawdownPct: 0.02 }) },
    { name: 'c', m: block({ sharpe: null, sortino: null, totalPnl: 50, maxDrawdownPct: 0.01 }) },
    { name: 'd', m: block({ sharpe: 1.2, sortino: 0.1, totalPnl: 20, maxDrawdownPct: 0.05 }) },
  ];
  const best = (metric: Parameters<typeof bestBy>[0]) => bestBy(metric, cells, (c) => c.m)?.name;
  assert.equal(best('sharpe'), 'd', 'equal Sharpe ratios: the higher PnL');
  assert.equal(best('sortino'), 'b');
  assert.equal(best('total_pnl'), 'c');
  assert.equal(best('max_drawdown_pct'), 'c');
  assert.deepEqual([...cells].sort((x, y) => betterCellFirst('sharpe')(x.m, y.m)).map((c) => c.name), ['d', 'a', 'b', 'c']);
  assert.equal(bestBy('sharpe', [], (c: { m: MetricsBlock }) => c.m), null);
});

void test('the heat map colours by the chosen metric: for a drawdown the smallest is green', () => {
  const row = (a: string, b: string, dd: number) => ({ cell: `A=${a},B=${b}`, settings: { A: a, B: b }, metrics: block({ maxDrawdownPct: dd }), endingEquity: 0, totalReturn: 0 });
  const html = sweepHeatMap([row('1', 'x', 0.01), row('1', 'y', 0.04), row('2', 'x', 0.02), row('2', 'y', 0.03)], 'max_drawdown_pct');
  assert.match(html, /<h3>Max drawdown by setting<\/h3>/);
  assert.match(html, /style="background: rgb\(82, 170, 110\)" title="A=1,B=x">1\.00%</);
  assert.match(html, /style="background: rgb\(214, 96, 77\)" title="A=1,B=y">4\.00%</);
});

const base = fixtureRunSpec({ resultsDir: join(dir, 'direct'), report: true });

void test('a walk-forward run chooses on the training day and trades that cell alone on the unseen test day', async () => {
  const cells = await sweepCells([{ key: 'STRAT_OPEN_BUFFER', values: ['0.002', '0.005', '0.02'] }], async (s) => botConfigSchema.parse(s));
  const windows: string[] = [];
  const out = await runWalkForward({ base, cells, workers: 2, metric: 'total_pnl', plan: { trainDays: 1, testDays: 1, stepDays: 1 }, onWindow: (l) => windows.push(l) });
  assert.equal(out.rows.length, 1);
  assert.equal(windows.length, 1);
  // Each cell's training result is the plain backtest of that cell over the training day.
  const trained = cells.map((c) => runPortfolioBacktest({ ...cellSpec(base, c), start: '2025-04-08', end: '2025-04-08', resultsDir: null }).metrics.overall);
  const bestPnl = Math.max(...trained.map((m) => m.totalPnl));
  const row = out.rows[0]!;
  assert.equal(row.inSample.totalPnl, bestPnl);
  assert.equal(row.chosen, cells[trained.findIndex((m) => m.totalPnl === bestPnl)]!.name);
  assert.deepEqual(row.grid.map((g) => g.metrics.totalPnl), trained.map((m) => m.totalPnl));
  // Out of sample: the chosen cell alone, over the test day only.
  const chosen = cells.find((c) => c.name === row.chosen)!;
  const tested = runPortfolioBacktest({ ...cellSpec(base, chosen), start: '2025-04-09', end: '2025-04-09', resultsDir: null }).metrics;
  assert.deepEqual(row.outOfSample, tested.overall);
  assert.equal(out.tested.length, 1);
  assert.equal(out.tested[0]!.tradingDays, 1);
  assert.ok(tested.overall.trades > 0, 'the test day trades, so the comparison means something');

  const json = JSON.parse(readFileSync(join(base.resultsDir!, 'walk_forward_backtest.json'), 'utf8')) as { metric: string; outOfSample: { overall: MetricsBlock } };
  assert.equal(json.metric, 'total_pnl');
  assert.equal(json.outOfSample.overall.totalPnl, tested.overall.totalPnl);
  assert.equal(json.outOfSample.overall.trades, tested.overall.trades);
  const csv = readFileSync(join(base.resultsDir!, 'walk_forward_backtest.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 2);
  assert.match(csv[0]!, /^window,train_start,train_end,test_start,test_end,chosen,STRAT_OPEN_BUFFER,in_sample_total_pnl,out_of_sample_total_pnl/);
  assert.match(csv[1]!, new RegExp(`^1,2025-04-08,2025-04-08,2025-04-09,2025-04-09,${row.chosen.replace(/[.]/g, '\\.')},`));
  const html = readFileSync(join(base.resultsDir!, 'walk_forward_report_backtest.html'), 'utf8');
  assert.match(html, /id="walk-forward-table"/);
  // The report's trades are the out-of-sample ones: every row is on the test day.
  const tradeDates = [...html.matchAll(/<tr class="trade[^"]*"[^>]*><td>(\d{4}-\d\d-\d\d)/g)].map((m) => m[1]);
  assert.equal(tradeDates.length, tested.overall.trades);
  assert.ok(tradeDates.every((d) => d === '2025-04-09'), tradeDates.join(','));
  assert.ok(existsSync(join(base.resultsDir!, 'walk_forward', 'window_001_train', 'sweep', cells[0]!.name, 'metrics_backtest.json')));
});

void test('the command: a range shorter than one window fails with the reason (exit 1), nothing half-written', async () => {
  const results = join(dir, 'short');
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = () => undefined;
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  let code: number;
  try {
    code = await runBacktestCommand(['--strategy=open', '--start=2025-04-08', '--end=2025-04-09', `--data_source=${MINUTE_FIXTURE}`, '--results', results, '--no-cache', '--sweep', 'STRAT_OPEN_BUFFER=0.002,0.02', '--walk-forward=2,1']);
  } finally {
    console.log = log;
    console.error = error;
  }
  assert.equal(code, 1);
  assert.match(err.join('\n'), /backtest: walk-forward needs 3 trading days \(train 2 \+ test 1\); the range holds 2/);
  assert.equal(existsSync(join(results, 'walk_forward_backtest.json')), false);
});
