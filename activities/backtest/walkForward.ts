import path from 'node:path';
import { LogicError } from '../../domain/errors/errorClasses';
import { tradingDaysBetween } from '../../domain/market/exchangeCalendar';
import { DEFAULT_SWEEP_METRIC, metricLabel, metricValue, type SweepMetric } from '../../domain/backtest/sweepMetric';
import { walkForwardWindows, type WalkForwardPlan, type WalkForwardWindow } from '../../domain/backtest/walkForwardWindows';
import { writeFileAtomic } from '../outputs/atomicFile';
import { csvCell } from '../outputs/csvCell';
import { metricText } from './reportFormat';
import type { WalkForwardRow } from './reportTypes';
import type { PortfolioRunSpec } from './runBacktest';
import { bestCell, cellRunnerFor, sweepRows, type SweepRequest } from './sweep';
import type { CellResult, SweepCell } from './sweepCell';
import { cellTradesMetrics, readCellTrades, writeCellsReport } from './sweepReport';

/**
 * Walk-forward sweeps (`backtest --sweep ... --walk-forward TRAIN,TEST[,STEP]`): per window the whole grid
 * runs over the training dates, the best cell by the sweep's metric is chosen, and that one cell runs over
 * the test dates that follow, which it has never seen. The test ranges together are the honest result of
 * choosing settings this way. Outputs: `<results>/walk_forward_backtest.{csv,json}`, the report of the
 * out-of-sample trades, and each window's runs under `<results>/walk_forward/` (docs/backtest.md,
 * "Walk-forward").
 */

export interface WalkForwardRequest extends SweepRequest {
  readonly plan: WalkForwardPlan;
  /** Called as each window finishes, with a one-line summary. */
  readonly onWindow?: (line: string) => void;
}

export interface WalkForwardOutcome {
  readonly rows: readonly WalkForwardRow[];
  /** The out-of-sample cells, one per window, in window order. */
  readonly tested: readonly CellResult[];
  readonly text: string;
  readonly files: readonly string[];
  readonly ms: number;
  readonly where: string;
}

export async function runWalkForward(req: WalkForwardRequest): Promise<WalkForwardOutcome> {
  const started = performance.now();
  const metric = req.metric ?? DEFAULT_SWEEP_METRIC;
  const windows = walkForwardWindows(tradingDaysBetween(req.base.start, req.base.end), req.plan);
  const run = cellRunnerFor(req);
  const rows: WalkForwardRow[] = [];
  const tested: CellResult[] = [];
  let where = '';
  for (const window of windows) {
    const train = await run(windowSpec(req.base, window, 'train'), req.cells, req.onProgress);
    const best = bestCell(train.results, metric);
    const chosen = chosenCell(req.cells, best);
    const test = await run(windowSpec(req.base, window, 'test'), [chosen]);
    const row = windowRow(window, train.results, best!, test.results[0]!);
    rows.push(row);
    tested.push(test.results[0]!);
    where = train.where;
    req.onWindow?.(windowLine(row, windows.length, metric));
  }
  const files = req.base.resultsDir === null ? [] : writeWalkForwardOutputs(req.base, rows, tested, metric);
  return { rows, tested, text: walkForwardText(rows, metric), files, ms: performance.now() - started, where };
}

/** The run of one window's training or test dates, its outputs in its own folder. */
export function windowSpec(base: PortfolioRunSpec, window: WalkForwardWindow, part: 'train' | 'test'): PortfolioRunSpec {
  const [start, end] = part === 'train' ? [window.trainStart, window.trainEnd] : [window.testStart, window.testEnd];
  const folder = `window_${String(window.index).padStart(3, '0')}_${part}`;
  return {
    ...base,
    start,
    end,
    resultsDir: base.resultsDir === null ? null : path.join(base.resultsDir, 'walk_forward', folder),
    runInfo: { ...base.runInfo, dates: `${start}..${end}`, 'walk-forward': `window ${window.index} ${part}` },
  };
}

function chosenCell(cells: readonly SweepCell[], best: CellResult | null): SweepCell {
  const cell = best === null ? undefined : cells.find((c) => c.name === best.cell);
  if (cell === undefined) throw new LogicError(`walk-forward: the training grid returned no result for a known cell (${best?.cell ?? 'none'})`);
  return cell;
}

function windowRow(window: WalkForwardWindow, train: readonly CellResult[], best: CellResult, test: CellResult): WalkForwardRow {
  return {
    window,
    chosen: test.cell,
    settings: test.settings,
    inSample: best.overall,
    outOfSample: test.overall,
    outOfSampleReturn: test.totalReturn,
    grid: sweepRows(train),
  };
}

function windowLine(row: WalkForwardRow, total: number, metric: SweepMetric): string {
  const w = row.window;
  return (
    `walk-forward: window ${w.index}/${total} trained ${w.trainStart}..${w.trainEnd}, chose ${row.chosen} ` +
    `(${metricLabel(metric)} ${metricText(metric, row.inSample)}); tested ${w.testStart}..${w.testEnd}: ` +
    `${row.outOfSample.trades} trades, PnL ${row.outOfSample.totalPnl.toFixed(2)}, ${metricLabel(metric)} ${metricText(metric, row.outOfSample)}`
  );
}

/** One line per window for the terminal, and the out-of-sample total. */
export function walkForwardText(rows: readonly WalkForwardRow[], metric: SweepMetric = DEFAULT_SWEEP_METRIC): string {
  const head = ['window', 'train', 'test', 'chosen cell', 'in sample', 'out of sample', 'trades', 'pnl'];
  const body = rows.map((r) => [
    String(r.window.index),
    `${r.window.trainStart}..${r.window.trainEnd}`,
    `${r.window.testStart}..${r.window.testEnd}`,
    r.chosen,
    metricText(metric, r.inSample),
    metricText(metric, r.outOfSample),
    String(r.outOfSample.trades),
    r.outOfSample.totalPnl.toFixed(2),
  ]);
  const table = [head, ...body];
  const widths = head.map((_, j) => Math.max(...table.map((r) => r[j]!.length)));
  const lines = table.map((r) => r.map((c, j) => (j <= 3 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  '));
  const pnl = rows.reduce((sum, r) => sum + r.outOfSample.totalPnl, 0);
  const trades = rows.reduce((sum, r) => sum + r.outOfSample.trades, 0);
  return [...lines, `out of sample (${metricLabel(metric)} ranks the cells): ${trades} trades, PnL ${pnl.toFixed(2)} over ${rows.length} window(s)`].join('\n');
}

/** The windows (CSV, JSON) and the out-of-sample report, in the run's results folder. */
export function writeWalkForwardOutputs(base: PortfolioRunSpec, rows: readonly WalkForwardRow[], tested: readonly CellResult[], metric: SweepMetric): string[] {
  const dir = path.resolve(base.resultsDir!);
  const jsonFile = path.join(dir, 'walk_forward_backtest.json');
  const csvFile = path.join(dir, 'walk_forward_backtest.csv');
  const read = readCellTrades(tested);
  const outOfSample = cellTradesMetrics(base, read);
  const windows = rows.map(({ grid, ...row }) => ({ ...row, grid: grid.map((g) => ({ cell: g.cell, metrics: g.metrics })) }));
  writeFileAtomic(jsonFile, `${JSON.stringify({ run: base.runInfo, metric, outOfSample, windows }, null, 2)}\n`);
  writeFileAtomic(csvFile, walkForwardCsv(rows, metric));
  const files = [csvFile, jsonFile];
  if (base.report) {
    const reportFile = path.join(dir, 'walk_forward_report_backtest.html');
    writeCellsReport(reportFile, base, { read, metrics: outOfSample, settings: rows[0]?.settings ?? {} }, {
      title: `TradeBot walk-forward backtest ${base.start} to ${base.end} (out of sample)`,
      run: { ...base.runInfo, windows: String(rows.length), 'ranked by': metricLabel(metric) },
      walkForward: rows,
      sweepMetric: metric,
    });
    files.push(reportFile);
  }
  return files;
}

function walkForwardCsv(rows: readonly WalkForwardRow[], metric: SweepMetric): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.settings)))];
  const cols = ['window', 'train_start', 'train_end', 'test_start', 'test_end', 'chosen', ...keys, `in_sample_${metric}`, `out_of_sample_${metric}`, 'out_of_sample_trades', 'out_of_sample_pnl', 'out_of_sample_return'];
  const value = (block: WalkForwardRow['inSample']) => {
    const v = metricValue(metric, block);
    return v === null ? '' : String(v);
  };
  const lines = rows.map((r) =>
    [r.window.index, r.window.trainStart, r.window.trainEnd, r.window.testStart, r.window.testEnd, r.chosen, ...keys.map((k) => r.settings[k] ?? ''), value(r.inSample), value(r.outOfSample), r.outOfSample.trades, r.outOfSample.totalPnl, r.outOfSampleReturn]
      .map(csvCell)
      .join(','),
  );
  return `${[cols.join(','), ...lines].join('\n')}\n`;
}
