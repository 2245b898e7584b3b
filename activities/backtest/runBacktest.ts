import path from 'node:path';
import { benchmarksFor } from '../../domain/backtest/benchmarks';
import { ColumnarMarket } from '../../domain/backtest/columnar';
import { computeMetrics, type BacktestMetrics } from '../../domain/backtest/metrics';
import { instrumentSymbolsFor, runPortfolio, type PortfolioResult } from '../../domain/backtest/portfolio';
import type { ExecutionModel } from '../../domain/backtest/executionModel';
import type { VixSeries } from '../../domain/backtest/signalAudit';
import type { BotConfig } from '../../domain/config/botConfigSchema';
import { loadVixCsv } from '../marketData/vixCsv';
import { loadColumns, type LoadedColumns } from './barCache';
import { writeReport } from './htmlReport';
import { symbolDayCharts } from './reportChartData';
import type { SweepRow } from './reportTypes';
import { backtestOutputFiles, writeBacktestOutputs, type BacktestOutputFiles } from './outputs';
import { createProgress } from './progress';
import type { StrategyName } from '../../domain/vocabulary';

/** Everything one portfolio run needs; plain data, so a worker thread or a Temporal activity can take it. */
export interface PortfolioRunSpec {
  readonly dataSource: string;
  /** Bar cache folder; null = always parse the CSVs. */
  readonly cacheDir: string | null;
  /** Tradable symbols; null = every symbol of the data source. */
  readonly symbols: readonly string[] | null;
  readonly strategies: readonly StrategyName[];
  readonly start: string;
  readonly end: string;
  readonly cfg: BotConfig;
  readonly vixFile: string | null;
  readonly execution: ExecutionModel;
  /** Where outputs go; null = compute only (sweep cells keep just their metrics). */
  readonly resultsDir: string | null;
  readonly report: boolean;
  /** Show a progress bar (only ever drawn on a terminal). */
  readonly progress: boolean;
  /** Shown in the report and stored in metrics_backtest.json. */
  readonly runInfo: Readonly<Record<string, string>>;
  readonly sweep?: readonly SweepRow[];
}

export interface PortfolioRunOutcome {
  readonly result: PortfolioResult;
  readonly metrics: BacktestMetrics;
  readonly loaded: Omit<LoadedColumns, 'series'>;
  readonly files: BacktestOutputFiles | null;
  readonly reportFile: string | null;
  readonly timings: { readonly loadMs: number; readonly runMs: number; readonly writeMs: number };
}

export const REPORT_FILE = 'report_backtest.html';

/** The symbols to load: the tradable ones plus the inverse ETFs their bearish trades may buy. */
export function symbolsToLoad(spec: Pick<PortfolioRunSpec, 'symbols' | 'cfg' | 'strategies'>): string[] | null {
  if (spec.symbols === null) return null;
  return [...spec.symbols, ...instrumentSymbolsFor(spec.symbols, spec.cfg, spec.strategies)];
}

export function loadVix(file: string | null): VixSeries | null {
  return file === null ? null : loadVixCsv(file);
}

/**
 * Loads (through the cache), runs portfolio mode, computes metrics, writes outputs and the report.
 * `preloaded`: the columns of exactly `symbolsToLoad(spec)`, already loaded (a sweep's shared bars).
 */
export function runPortfolioBacktest(spec: PortfolioRunSpec, preloaded?: LoadedColumns): PortfolioRunOutcome {
  const t0 = performance.now();
  const toLoad = symbolsToLoad(spec);
  const loaded = preloaded ?? loadColumns(spec.dataSource, { cacheDir: spec.cacheDir, ...(toLoad ? { symbols: toLoad } : {}) });
  const market = new ColumnarMarket(loaded.series);
  const vix = spec.strategies.includes('close') ? loadVix(spec.vixFile) : null;
  const t1 = performance.now();
  const progress = spec.progress ? createProgress('backtest') : null;
  const result = runPortfolio({
    market,
    cfg: spec.cfg,
    strategies: spec.strategies,
    vix,
    startDate: spec.start,
    endDate: spec.end,
    universe: spec.symbols,
    execution: spec.execution,
    ...(progress ? { onProgress: (d: number, n: number) => progress.update(d, n) } : {}),
  });
  progress?.finish();
  const metrics = computeMetrics({ trades: result.trades, days: result.days, startingCash: result.startingCash, strategies: spec.strategies });
  const t2 = performance.now();
  let files: BacktestOutputFiles | null = null;
  let reportFile: string | null = null;
  const warnings = [...loaded.cacheWarnings, ...result.warnings];
  if (spec.symbols !== null) {
    const missing = spec.symbols.filter((s) => !market.symbols().includes(s));
    if (missing.length > 0) warnings.unshift(`no data for ${missing.join(', ')}`);
  }
  if (loaded.gaps.gaps > 0) {
    warnings.push(`data gaps: ${loaded.gaps.gaps} places inside regular sessions with ${loaded.gaps.missingMinutes} missing minutes in all (tolerated)`);
  }
  if (spec.resultsDir !== null) {
    const dir = path.resolve(spec.resultsDir);
    files = writeBacktestOutputs(dir, result, metrics, { ...spec.runInfo, gaps: loaded.gaps });
    if (spec.report) {
      reportFile = path.join(dir, REPORT_FILE);
      const { charts, omitted } = symbolDayCharts(result.trades, market, { cfg: spec.cfg, fill: spec.execution.fill });
      writeReport(reportFile, {
        title: `TradeBot backtest ${spec.start} to ${spec.end}`,
        run: spec.runInfo,
        metrics,
        strategies: spec.strategies,
        charts,
        chartsOmitted: omitted,
        trades: result.trades,
        warnings,
        benchmarks: benchmarksFor(market, [...new Set(result.trades.map((t) => t.underlying))], result.days.map((d) => d.date), result.startingCash),
        ...(spec.sweep ? { sweep: spec.sweep } : {}),
      });
    }
  }
  const t3 = performance.now();
  const { series: _series, ...loadInfo } = loaded;
  return {
    result: { ...result, warnings },
    metrics,
    loaded: loadInfo,
    files,
    reportFile,
    timings: { loadMs: t1 - t0, runMs: t2 - t1, writeMs: t3 - t2 },
  };
}

export { backtestOutputFiles };
