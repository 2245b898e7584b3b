import type { Benchmarks } from '../../domain/backtest/benchmarks';
import type { BacktestMetrics, MetricsBlock } from '../../domain/backtest/metrics';
import type { SweepMetric } from '../../domain/backtest/sweepMetric';
import type { WalkForwardWindow } from '../../domain/backtest/walkForwardWindows';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import type { StrategyName } from '../../domain/vocabulary';
import type { SymbolDayChart } from './reportChartData';

/** What the backtest report shows: plain data, gathered by the runner, rendered by htmlReport.ts. */

export interface SweepRow {
  readonly cell: string;
  readonly settings: Readonly<Record<string, string>>;
  readonly metrics: MetricsBlock;
  readonly endingEquity: number;
  readonly totalReturn: number;
}

export interface ReportData {
  readonly title: string;
  readonly run: Readonly<Record<string, string>>;
  readonly metrics: BacktestMetrics;
  readonly strategies: readonly StrategyName[];
  readonly charts: readonly SymbolDayChart[];
  readonly chartsOmitted: number;
  readonly trades: readonly TradeRecord[];
  readonly warnings: readonly string[];
  /** Buy and hold of the traded symbols and SPY (docs/backtest.md, "Metrics"); absent when the runner had no bars at hand. */
  readonly benchmarks?: Benchmarks;
  readonly sweep?: readonly SweepRow[];
  /** What ranks the sweep's cells and colours its heat map; default sharpe. */
  readonly sweepMetric?: SweepMetric;
  /** A walk-forward run: the report's trades and metrics are then the out-of-sample ones. */
  readonly walkForward?: readonly WalkForwardRow[];
}

/** One walk-forward window: the training grid, the cell it chose and how that cell did out of sample. */
export interface WalkForwardRow {
  readonly window: WalkForwardWindow;
  readonly chosen: string;
  readonly settings: Readonly<Record<string, string>>;
  readonly inSample: MetricsBlock;
  readonly outOfSample: MetricsBlock;
  readonly outOfSampleReturn: number;
  readonly grid: readonly SweepRow[];
}
