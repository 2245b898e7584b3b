import type { Benchmarks } from '../../domain/backtest/benchmarks';
import type { BacktestMetrics, MetricsBlock } from '../../domain/backtest/metrics';
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
}
