import { computeMetrics, type BacktestMetrics } from '../../domain/backtest/metrics';
import { ColumnarMarket } from '../../domain/backtest/columnar';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { readJsonFile } from '../outputs/atomicFile';
import { loadColumns } from './barCache';
import { writeReport } from './htmlReport';
import { backtestOutputFiles } from './outputs';
import { indicatorConfigOf, symbolDayCharts } from './reportChartData';
import type { ReportData } from './reportTypes';
import { symbolsToLoad, type PortfolioRunSpec } from './runBacktest';
import type { CellResult } from './sweepCell';

/**
 * The full report of chosen cells, from their own outputs (written by a thread or a worker on this
 * machine): the best cell of a sweep, or the out-of-sample cells of every walk-forward window, their
 * trades concatenated in time order (docs/backtest.md, "Sweeps").
 */

export interface CellTrades {
  readonly trades: TradeRecord[];
  readonly days: { date: string; startEquity: number }[];
  /** Cells that reported trades whose trade file is missing (run on another machine). */
  readonly missing: string[];
}

/** The trades and days of `cells`, read from each cell's outputs. */
export function readCellTrades(cells: readonly CellResult[]): CellTrades {
  const out: CellTrades = { trades: [], days: [], missing: [] };
  for (const cell of cells) {
    const files = backtestOutputFiles(cell.resultsDir);
    const trades = readJsonFile<TradeRecord[]>(files.tradeHistoryJson, []);
    if (trades.length === 0 && cell.overall.trades > 0) out.missing.push(`trades of cell ${cell.cell} not found in ${files.tradeHistoryJson}`);
    out.trades.push(...trades);
    out.days.push(...(readJsonFile<{ days?: { date: string; startEquity: number }[] }>(files.metrics, {}).days ?? []));
  }
  return out;
}

/** The metrics of the concatenated trades, as one backtest would compute them. */
export function cellTradesMetrics(base: PortfolioRunSpec, read: CellTrades): BacktestMetrics {
  return computeMetrics({ trades: read.trades, days: read.days, startingCash: base.cfg.SIM_STARTING_CASH, strategies: base.strategies });
}

/** The chosen cells' trades as read, their metrics, and the swept settings (every cell of one grid sweeps the same keys). */
export interface ReportedCells {
  readonly read: CellTrades;
  readonly metrics: BacktestMetrics;
  readonly settings: Readonly<Record<string, string>>;
}

export function writeCellsReport(
  file: string,
  base: PortfolioRunSpec,
  cells: ReportedCells,
  extra: Pick<ReportData, 'title' | 'run'> & Partial<Pick<ReportData, 'sweep' | 'sweepMetric' | 'walkForward'>>,
): void {
  const { read } = cells;
  const toLoad = symbolsToLoad(base);
  const market = new ColumnarMarket(loadColumns(base.dataSource, { cacheDir: base.cacheDir, ...(toLoad ? { symbols: toLoad } : {}) }).series);
  const { charts, omitted } = symbolDayCharts(read.trades, market, { cfg: indicatorConfigOf(base.cfg, cells.settings), fill: base.execution.fill });
  writeReport(file, {
    ...extra,
    metrics: cells.metrics,
    strategies: base.strategies,
    charts,
    chartsOmitted: omitted,
    trades: read.trades,
    warnings: read.missing,
  });
}
