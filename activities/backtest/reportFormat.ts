import { metricValue, type SweepMetric } from '../../domain/backtest/sweepMetric';
import type { MetricsBlock } from '../../domain/backtest/metrics';

/** Formatting shared by the report's parts: HTML escaping, percentages, dollars, prices. */

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export const pct = (x: number | null, digits = 1): string => (x === null ? 'n/a' : `${(x * 100).toFixed(digits)}%`);
export const num = (x: number | null, digits = 2): string => (x === null ? 'n/a' : x.toFixed(digits));
export const money = (x: number | null): string =>
  x === null ? 'n/a' : `${x < 0 ? '-' : ''}$${Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** The text with its first letter in upper case (a metric's label as a heading). */
export const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export function fmtPrice(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(2) : Math.abs(x) >= 1 ? x.toFixed(3) : x.toFixed(4);
}

/** A JSON value safe inside a <script type="application/json"> element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** A sweep metric's value as the report shows it: rates as percentages, PnL in dollars, ratios as numbers. */
export function metricText(metric: SweepMetric, block: MetricsBlock): string {
  const v = metricValue(metric, block);
  if (metric === 'win_rate' || metric === 'max_drawdown_pct') return pct(v, metric === 'win_rate' ? 1 : 2);
  if (metric === 'total_pnl' || metric === 'expectancy') return money(v);
  return num(v);
}
