import type { MetricsBlock } from './metrics';

/*
 * The figure a sweep ranks its cells by (`backtest --metric`, default sharpe): it picks the best cell,
 * colours the heat map and, walk-forward, chooses each window's setting (docs/backtest.md, "Sweeps").
 */

export const SWEEP_METRICS = ['sharpe', 'sortino', 'calmar', 'total_pnl', 'profit_factor', 'expectancy', 'win_rate', 'max_drawdown_pct'] as const;
export type SweepMetric = (typeof SWEEP_METRICS)[number];
export const DEFAULT_SWEEP_METRIC: SweepMetric = 'sharpe';

interface MetricDefinition {
  readonly label: string;
  /** Lower is better for a drawdown; every other metric ranks the highest first. */
  readonly higherIsBetter: boolean;
  readonly of: (m: MetricsBlock) => number | null;
}

const DEFINITIONS: Readonly<Record<SweepMetric, MetricDefinition>> = {
  sharpe: { label: 'Sharpe ratio', higherIsBetter: true, of: (m) => m.sharpe },
  sortino: { label: 'Sortino ratio', higherIsBetter: true, of: (m) => m.sortino },
  calmar: { label: 'Calmar ratio', higherIsBetter: true, of: (m) => m.calmar },
  total_pnl: { label: 'total PnL', higherIsBetter: true, of: (m) => m.totalPnl },
  profit_factor: { label: 'profit factor', higherIsBetter: true, of: (m) => m.profitFactor },
  expectancy: { label: 'expectancy per trade', higherIsBetter: true, of: (m) => m.expectancy },
  win_rate: { label: 'win rate', higherIsBetter: true, of: (m) => m.winRate },
  max_drawdown_pct: { label: 'max drawdown', higherIsBetter: false, of: (m) => m.maxDrawdownPct },
};

export function isSweepMetric(name: string): name is SweepMetric {
  return (SWEEP_METRICS as readonly string[]).includes(name);
}

export const metricLabel = (metric: SweepMetric): string => DEFINITIONS[metric].label;
export const metricValue = (metric: SweepMetric, m: MetricsBlock): number | null => DEFINITIONS[metric].of(m);
export const higherIsBetter = (metric: SweepMetric): boolean => DEFINITIONS[metric].higherIsBetter;

/**
 * Comparator, best first: the metric (a cell without it, such as a Sharpe ratio of no trades, ranks
 * last), then total PnL; equal cells keep their grid order (Array.prototype.sort is stable).
 */
export function betterCellFirst(metric: SweepMetric): (a: MetricsBlock, b: MetricsBlock) => number {
  const sign = higherIsBetter(metric) ? 1 : -1;
  return (a, b) => {
    const va = metricValue(metric, a);
    const vb = metricValue(metric, b);
    if (va === null || vb === null) return va === vb ? b.totalPnl - a.totalPnl : va === null ? 1 : -1;
    return sign * (vb - va) || b.totalPnl - a.totalPnl;
  };
}

/** The best of `rows` by `metric`, or null for none. */
export function bestBy<T>(metric: SweepMetric, rows: readonly T[], metricsOf: (row: T) => MetricsBlock): T | null {
  const compare = betterCellFirst(metric);
  let best: T | null = null;
  for (const row of rows) if (best === null || compare(metricsOf(row), metricsOf(best)) < 0) best = row;
  return best;
}
