import { availableParallelism } from 'node:os';
import path from 'node:path';
import { computeMetrics } from '../../domain/backtest/metrics';
import { ColumnarMarket } from '../../domain/backtest/columnar';
import { sweepGrid, type SweepAxis } from '../../domain/backtest/sweepGrid';
import type { BotConfig } from '../../domain/config/botConfigSchema';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { readJsonFile, writeFileAtomic } from '../outputs/atomicFile';
import { loadColumns } from './barCache';
import { writeReport } from './htmlReport';
import { indicatorConfigOf, symbolDayCharts } from './reportChartData';
import type { SweepRow } from './reportTypes';
import { backtestOutputFiles } from './outputs';
import { symbolsToLoad, type PortfolioRunSpec } from './runBacktest';
import { cellSpec, type CellResult, type SweepCell } from './sweepCell';
import { shareColumns, type SharedBars } from './sharedBars';
import { SweepThreadPool } from './sweepThreadPool';

/**
 * Parameter sweeps: `--sweep KEY=v1,v2 [--sweep KEY2=...]` runs the grid of every combination, each
 * cell a full portfolio backtest with those `.env_bot` values on top of the run's own. Cells run in
 * worker threads on this machine, or (`--temporal`) as activities on the task queue, so any number of
 * workers on any number of machines share them. Each cell writes its outputs under
 * `<results>/sweep/<cell>/`; the comparison goes to `<results>/sweep_backtest.{csv,json}` and a report
 * (the comparison table plus the full report of the cell with the best Sharpe ratio).
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
}

export async function runSweep(req: SweepRequest): Promise<SweepOutcome> {
  const started = performance.now();
  let results: CellResult[];
  let where: string;
  if (req.temporal) {
    results = await req.temporal(req.base, req.cells, req.onProgress);
    where = `Temporal, ${new Set(results.map((r) => r.ranBy)).size} worker(s)`;
  } else {
    const threads = req.workers ?? Math.max(1, availableParallelism());
    results = await runCellsInThreads(req.base, req.cells, threads, req.onProgress);
    where = `${Math.min(threads, req.cells.length)} worker thread(s)`;
  }
  const files = req.base.resultsDir === null ? [] : writeSweepOutputs(req.base, results);
  return { results, text: sweepText(results), files, ms: performance.now() - started, where };
}

export function sweepRows(results: readonly CellResult[]): SweepRow[] {
  return results.map((r) => ({ cell: r.cell, settings: r.settings, metrics: r.overall, endingEquity: r.endingEquity, totalReturn: r.totalReturn }));
}

/** The best cell: highest Sharpe ratio, then total PnL. */
export function bestCell(results: readonly CellResult[]): CellResult | null {
  const score = (r: CellResult) => [r.overall.sharpe ?? Number.NEGATIVE_INFINITY, r.overall.totalPnl] as const;
  let best: CellResult | null = null;
  for (const r of results) {
    if (best === null) best = r;
    else {
      const [a1, a2] = score(r);
      const [b1, b2] = score(best);
      if (a1 > b1 || (a1 === b1 && a2 > b2)) best = r;
    }
  }
  return best;
}

const f = (x: number | null, d = 2) => (x === null ? 'n/a' : x.toFixed(d));

export function sweepText(results: readonly CellResult[]): string {
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
  return table.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ')).join('\n');
}

/** Comparison table (CSV, JSON) and the sweep report, in the run's results folder. */
export function writeSweepOutputs(base: PortfolioRunSpec, results: readonly CellResult[]): string[] {
  const dir = path.resolve(base.resultsDir!);
  const jsonFile = path.join(dir, 'sweep_backtest.json');
  const csvFile = path.join(dir, 'sweep_backtest.csv');
  writeFileAtomic(jsonFile, `${JSON.stringify({ run: base.runInfo, cells: results }, null, 2)}\n`);
  const keys = [...new Set(results.flatMap((r) => Object.keys(r.settings)))];
  const cols = ['cell', ...keys, 'trades', 'win_rate', 'total_pnl', 'avg_pnl', 'profit_factor', 'sharpe', 'max_drawdown', 'max_drawdown_pct', 'avg_duration_min', 'exposure', 'ending_equity', 'total_return', 'ran_by'];
  const cell = (v: unknown) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
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
      .map(cell)
      .join(','),
  );
  writeFileAtomic(csvFile, `${[cols.join(','), ...lines].join('\n')}\n`);
  const files = [csvFile, jsonFile];
  const best = bestCell(results);
  if (base.report && best !== null) {
    // The best cell's trades come from its own outputs (written by a thread or a worker on this machine).
    const tradesFile = backtestOutputFiles(best.resultsDir).tradeHistoryJson;
    const trades = readJsonFile<TradeRecord[]>(tradesFile, []);
    const metricsFile = backtestOutputFiles(best.resultsDir).metrics;
    const days = readJsonFile<{ days?: { date: string; startEquity: number }[] }>(metricsFile, {}).days ?? [];
    const toLoad = symbolsToLoad(base);
    const market = new ColumnarMarket(loadColumns(base.dataSource, { cacheDir: base.cacheDir, ...(toLoad ? { symbols: toLoad } : {}) }).series);
    const metrics = computeMetrics({ trades, days, startingCash: base.cfg.SIM_STARTING_CASH, strategies: base.strategies });
    const { charts, omitted } = symbolDayCharts(trades, market, { cfg: indicatorConfigOf(base.cfg, best.settings), fill: base.execution.fill });
    const reportFile = path.join(dir, 'sweep_report_backtest.html');
    writeReport(reportFile, {
      title: `TradeBot backtest sweep ${base.start} to ${base.end} (best cell: ${best.cell})`,
      run: { ...base.runInfo, cells: String(results.length), 'best cell': best.cell },
      metrics,
      strategies: base.strategies,
      charts,
      chartsOmitted: omitted,
      trades,
      warnings: trades.length === 0 && best.overall.trades > 0 ? [`trades of the best cell not found in ${tradesFile}`] : [],
      sweep: sweepRows(results),
    });
    files.push(reportFile);
  }
  return files;
}
