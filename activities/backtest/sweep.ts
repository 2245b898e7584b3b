import { availableParallelism } from 'node:os';
import path from 'node:path';
import { sweepGrid, type SweepAxis } from '../../domain/backtest/sweepGrid';
import { bestBy, DEFAULT_SWEEP_METRIC, metricLabel, type SweepMetric } from '../../domain/backtest/sweepMetric';
import type { BotConfig } from '../../domain/config/botConfigSchema';
import { writeFileAtomic } from '../outputs/atomicFile';
import { loadColumns } from './barCache';
import type { SweepRow } from './reportTypes';
import { symbolsToLoad, type PortfolioRunSpec } from './runBacktest';
import { cellSpec, type CellResult, type SweepCell } from './sweepCell';
import { shareColumns, type SharedBars } from './sharedBars';
import { SweepThreadPool } from './sweepThreadPool';
import { cellTradesMetrics, readCellTrades, writeCellsReport } from './sweepReport';
import { csvCell } from '../outputs/csvCell';

/**
 * Parameter sweeps: `--sweep KEY=v1,v2 [--sweep KEY2=...]` runs the grid of every combination, each
 * cell a full portfolio backtest with those `.env_bot` values on top of the run's own. Cells run in
 * worker threads on this machine, or (`--temporal`) as activities on the task queue, so any number of
 * workers on any number of machines share them. Each cell writes its outputs under
 * `<results>/sweep/<cell>/`; the comparison goes to `<results>/sweep_backtest.{csv,json}` and a report
 * (the comparison table plus the full report of the best cell by the sweep's metric, `--metric`).
 * The bars are loaded once and shared by every thread (sharedBars.ts); see docs/backtest.md.
 */

export type { SweepAxis };
export { startSweepThread } from './sweepThreadPool';

/**
 * Every combination of the axes' values, in axis order; each cell's config validated by `loadCfg`.
 * A bad grid (no values, a key or value twice, clashing folder names, too many cells) throws ConfigError.
 */
export async function sweepCells(axes: readonly SweepAxis[], loadCfg: (settings: Record<string, string>) => Promise<BotConfig>): Promise<SweepCell[]> {
  const cells: SweepCell[] = [];
  for (const { name, settings } of sweepGrid(axes)) cells.push({ name, settings, cfg: await loadCfg({ ...settings }) });
  return cells;
}

/** The symbols every cell together needs (each cell's own plus its inverse ETFs); null = all of the data source. */
export function sweepSymbols(base: PortfolioRunSpec, cells: readonly SweepCell[]): string[] | null {
  if (base.symbols === null) return null;
  const all = new Set<string>();
  for (const cell of cells) for (const s of symbolsToLoad({ ...base, cfg: cell.cfg }) ?? []) all.add(s);
  return [...all].sort();
}

/** The bars of a whole sweep, loaded once (through the cache) into shared memory. */
export function loadSharedBars(base: PortfolioRunSpec, cells: readonly SweepCell[]): SharedBars {
  const symbols = sweepSymbols(base, cells);
  return shareColumns(loadColumns(base.dataSource, { cacheDir: base.cacheDir, ...(symbols ? { symbols } : {}) }));
}

export interface ThreadSweepOptions {
  /**
   * Each cell loads its own bars in its thread (the way before shared memory): one copy per running cell.
   * Kept to compare against (tests, the bench); the default shares one copy.
   */
  readonly barsPerCell?: boolean;
}

/**
 * Runs cells on a pool of worker threads, at most `threads` at a time; results in cell order. The bars
 * are loaded once, here, into shared memory that every thread reads. The first failing cell ends the sweep.
 */
export async function runCellsInThreads(
  base: PortfolioRunSpec,
  cells: readonly SweepCell[],
  threads: number,
  onProgress?: (done: number, total: number) => void,
  opts: ThreadSweepOptions = {},
): Promise<CellResult[]> {
  const bars = opts.barsPerCell === true || cells.length === 0 ? null : loadSharedBars(base, cells);
  const pool = new SweepThreadPool(Math.max(1, Math.min(threads, cells.length)));
  let done = 0;
  try {
    return await Promise.all(
      cells.map(async (cell) => {
        const job = { spec: cellSpec(base, cell), cell: { name: cell.name, settings: cell.settings }, bars };
        const result = await pool.run(job).catch((err: Error) => {
          throw new Error(`sweep cell ${cell.name}: ${err.message}`, { cause: err });
        });
        done += 1;
        onProgress?.(done, cells.length);
        return result;
      }),
    );
  } finally {
    await pool.close();
  }
}

export interface SweepOutcome {
  readonly results: readonly CellResult[];
  readonly text: string;
  readonly files: readonly string[];
  readonly ms: number;
  readonly where: string;
}

/** Runs the cells on the Temporal worker fleet (workers/temporal/sweepClient.ts, given by the CLI). */
export type TemporalCellRunner = (base: PortfolioRunSpec, cells: readonly SweepCell[], onProgress?: (done: number, total: number) => void) => Promise<CellResult[]>;

export interface SweepRequest {
  readonly base: PortfolioRunSpec;
  readonly cells: readonly SweepCell[];
  /** Local threads; default: one per core, at most one per cell. */
  readonly workers: number | null;
  /** Run the cells as Temporal activities instead of local threads (the worker fleet registers workflows/backtestSweep.ts). */
  readonly temporal?: TemporalCellRunner;
  /** Cells done out of total, as each finishes (threads) or as the workflow reports it (Temporal). */
  readonly onProgress?: (done: number, total: number) => void;
  /** What ranks the cells (best cell, heat map); default sharpe. */
  readonly metric?: SweepMetric;
}

/** Runs cells where the request says (threads or Temporal) and says where they ran. */
export type CellRunner = (base: PortfolioRunSpec, cells: readonly SweepCell[], onProgress?: (done: number, total: number) => void) => Promise<{ results: CellResult[]; where: string }>;

export function cellRunnerFor(req: Pick<SweepRequest, 'workers' | 'temporal'>): CellRunner {
  const temporal = req.temporal;
  if (temporal) {
    return async (base, cells, onProgress) => {
      const results = await temporal(base, cells, onProgress);
      return { results, where: `Temporal, ${new Set(results.map((r) => r.ranBy)).size} worker(s)` };
    };
  }
  const threads = req.workers ?? Math.max(1, availableParallelism());
  return async (base, cells, onProgress) => ({
    results: await runCellsInThreads(base, cells, threads, onProgress),
    where: `${Math.min(threads, cells.length)} worker thread(s)`,
  });
}

export async function runSweep(req: SweepRequest): Promise<SweepOutcome> {
  const started = performance.now();
  const metric = req.metric ?? DEFAULT_SWEEP_METRIC;
  const { results, where } = await cellRunnerFor(req)(req.base, req.cells, req.onProgress);
  const files = req.base.resultsDir === null ? [] : writeSweepOutputs(req.base, results, metric);
  return { results, text: sweepText(results, metric), files, ms: performance.now() - started, where };
}

export function sweepRows(results: readonly CellResult[]): SweepRow[] {
  return results.map((r) => ({ cell: r.cell, settings: r.settings, metrics: r.overall, endingEquity: r.endingEquity, totalReturn: r.totalReturn }));
}

/** The best cell by the metric (default: the highest Sharpe ratio), then total PnL. */
export function bestCell(results: readonly CellResult[], metric: SweepMetric = DEFAULT_SWEEP_METRIC): CellResult | null {
  return bestBy(metric, results, (r) => r.overall);
}

const f = (x: number | null, d = 2) => (x === null ? 'n/a' : x.toFixed(d));

export function sweepText(results: readonly CellResult[], metric: SweepMetric = DEFAULT_SWEEP_METRIC): string {
  const head = ['cell', 'trades', 'win rate', 'total pnl', 'return', 'profit factor', 'sharpe', 'max dd', 'ran by'];
  const rows = results.map((r) => [
    r.cell,
    String(r.overall.trades),
    r.overall.winRate === null ? 'n/a' : `${(r.overall.winRate * 100).toFixed(1)}%`,
    f(r.overall.totalPnl),
    `${(r.totalReturn * 100).toFixed(2)}%`,
    f(r.overall.profitFactor),
    f(r.overall.sharpe),
    `${(r.overall.maxDrawdownPct * 100).toFixed(2)}%`,
    r.ranBy,
  ]);
  const table = [head, ...rows];
  const widths = head.map((_, j) => Math.max(...table.map((r) => r[j]!.length)));
  const lines = table.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  '));
  const best = bestCell(results, metric);
  return [...lines, ...(best === null ? [] : [`best cell by ${metricLabel(metric)}: ${best.cell}`])].join('\n');
}

/** Comparison table (CSV, JSON) and the sweep report, in the run's results folder. */
export function writeSweepOutputs(base: PortfolioRunSpec, results: readonly CellResult[], metric: SweepMetric = DEFAULT_SWEEP_METRIC): string[] {
  const dir = path.resolve(base.resultsDir!);
  const jsonFile = path.join(dir, 'sweep_backtest.json');
  const csvFile = path.join(dir, 'sweep_backtest.csv');
  const best = bestCell(results, metric);
  writeFileAtomic(jsonFile, `${JSON.stringify({ run: base.runInfo, metric, best: best?.cell ?? null, cells: results }, null, 2)}\n`);
  const keys = [...new Set(results.flatMap((r) => Object.keys(r.settings)))];
  const cols = ['cell', ...keys, 'trades', 'win_rate', 'total_pnl', 'avg_pnl', 'profit_factor', 'sharpe', 'max_drawdown', 'max_drawdown_pct', 'avg_duration_min', 'exposure', 'ending_equity', 'total_return', 'ran_by'];
  const lines = results.map((r) =>
    [
      r.cell,
      ...keys.map((k) => r.settings[k] ?? ''),
      r.overall.trades,
      r.overall.winRate,
      r.overall.totalPnl,
      r.overall.avgPnl,
      r.overall.profitFactor,
      r.overall.sharpe,
      r.overall.maxDrawdown,
      r.overall.maxDrawdownPct,
      r.overall.avgDurationMinutes,
      r.overall.exposure,
      r.endingEquity,
      r.totalReturn,
      r.ranBy,
    ]
      .map(csvCell)
      .join(','),
  );
  writeFileAtomic(csvFile, `${[cols.join(','), ...lines].join('\n')}\n`);
  const files = [csvFile, jsonFile];
  if (base.report && best !== null) {
    const reportFile = path.join(dir, 'sweep_report_backtest.html');
    const read = readCellTrades([best]);
    writeCellsReport(reportFile, base, { read, metrics: cellTradesMetrics(base, read), settings: best.settings }, {
      title: `TradeBot backtest sweep ${base.start} to ${base.end} (best cell: ${best.cell})`,
      run: { ...base.runInfo, cells: String(results.length), 'best cell': best.cell, 'ranked by': metricLabel(metric) },
      sweep: sweepRows(results),
      sweepMetric: metric,
    });
    files.push(reportFile);
  }
  return files;
}
