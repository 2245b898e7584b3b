import type { Benchmarks } from '../../domain/backtest/benchmarks';
import { breakdownBy, type BreakdownDimension } from '../../domain/backtest/breakdown';
import type { BacktestMetrics, MetricsBlock } from '../../domain/backtest/metrics';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { chartIdOf } from './reportChartData';
import { esc, fmtPrice, metricText, money, num, pct } from './reportFormat';
import { DEFAULT_SWEEP_METRIC, metricLabel, type SweepMetric } from '../../domain/backtest/sweepMetric';
import type { SweepRow } from './reportTypes';

/** The report's tables: metrics, breakdowns, benchmarks, trades and the sweep comparison. */

/** Trades listed in the table at most (the CSV has all of them). */
export const MAX_TABLE_TRADES = 2000;

const METRIC_ROWS: readonly [string, (b: MetricsBlock) => string][] = [
  ['Trades', (b) => String(b.trades)],
  ['Long / short', (b) => `${b.long} / ${b.short}`],
  ['Win rate', (b) => pct(b.winRate)],
  ['Total PnL', (b) => money(b.totalPnl)],
  ['Average PnL per trade', (b) => money(b.avgPnl)],
  ['Profit factor', (b) => num(b.profitFactor)],
  ['Sharpe ratio (daily, annualised)', (b) => num(b.sharpe)],
  ['Maximum drawdown', (b) => `${money(b.maxDrawdown)} (${pct(b.maxDrawdownPct, 2)})`],
  ['Average trade duration', (b) => (b.avgDurationMinutes === null ? 'n/a' : `${b.avgDurationMinutes.toFixed(1)} min`)],
  ['Exposure (time in market)', (b) => pct(b.exposure, 2)],
  ['CAGR', (b) => pct(b.cagr, 2)],
  ['Sortino ratio (daily, annualised)', (b) => num(b.sortino)],
  ['Calmar ratio', (b) => num(b.calmar)],
  ['Expectancy per trade', (b) => `${money(b.expectancy)} (${num(b.expectancyRatio)} R)`],
  ['Longest losing streak', (b) => `${b.longestLosingStreak} trades`],
  ['Gross profit / loss', (b) => `${money(b.grossProfit)} / ${money(b.grossLoss)}`],
  ['Fees', (b) => money(b.fees)],
  ['Unpriced exits', (b) => String(b.failed)],
  ['Exit reasons', (b) => Object.entries(b.exitReasons).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'],
];

export function metricsTable(metrics: BacktestMetrics, strategies: readonly string[]): string {
  const cols: [string, MetricsBlock][] = [['Overall', metrics.overall]];
  for (const s of strategies) {
    const b = metrics.byStrategy[s as keyof typeof metrics.byStrategy];
    if (b) cols.push([s.toUpperCase(), b]);
  }
  const head = `<tr><th>Metric</th>${cols.map(([n]) => `<th>${esc(n)}</th>`).join('')}</tr>`;
  const rows = METRIC_ROWS.map(([label, f]) => `<tr><td>${esc(label)}</td>${cols.map(([, b]) => `<td>${esc(f(b))}</td>`).join('')}</tr>`);
  return `<table class="metrics" id="metrics-table">${head}${rows.join('')}</table>`;
}

const BREAKDOWNS: readonly [BreakdownDimension, string][] = [
  ['strategy', 'Strategy'],
  ['symbol', 'Symbol'],
  ['month', 'Month'],
  ['exit_reason', 'Exit reason'],
];

export function breakdownTables(trades: readonly TradeRecord[]): string {
  return BREAKDOWNS.map(([dim, title]) => {
    const rows = breakdownBy(trades, dim).map(
      (r) =>
        `<tr><td>${esc(r.key)}</td><td>${r.trades}</td><td>${pct(r.winRate)}</td><td>${money(r.totalPnl)}</td>` +
        `<td>${money(r.avgPnl)}</td><td>${num(r.profitFactor)}</td><td>${money(r.fees)}</td></tr>`,
    );
    const head = `<tr><th>${esc(title)}</th><th>Trades</th><th>Win rate</th><th>Total PnL</th><th>Average PnL</th><th>Profit factor</th><th>Fees</th></tr>`;
    return `<h3>By ${esc(title.toLowerCase())}</h3><table class="metrics breakdown" id="by-${dim}">${head}${rows.join('')}</table>`;
  }).join('');
}

export function benchmarksTable(b: Benchmarks): string {
  const head = '<tr><th>Buy and hold</th><th>From</th><th>To</th><th>Start</th><th>End</th><th>Return</th><th>CAGR</th><th>Max drawdown (daily closes)</th></tr>';
  const rows = b.rows.map(
    (r) =>
      `<tr><td>${esc(r.symbol)}</td><td>${r.firstDate}</td><td>${r.lastDate}</td><td>${fmtPrice(r.startPrice)}</td><td>${fmtPrice(r.endPrice)}</td>` +
      `<td>${pct(r.totalReturn, 2)}</td><td>${pct(r.cagr, 2)}</td><td>${pct(r.maxDrawdownPct, 2)}</td></tr>`,
  );
  const note = b.marketBenchmarkMissing ? '<p class="warn" id="spy-missing">SPY has no bars in this data set: no market benchmark.</p>' : '';
  return `<table class="metrics" id="benchmarks-table">${head}${rows.join('')}</table>${note}`;
}

/** One trade row; `data-chart` names its symbol-day chart, so a click can select it. */
function tradeRow(t: TradeRecord): string {
  const cls = t.pnl > 0 ? 'win' : t.pnl < 0 ? 'loss' : '';
  return (
    `<tr class="trade ${cls}" data-chart="${esc(chartIdOf(t.date, t.underlying))}"><td>${t.date}</td><td>${t.strategy_name}</td><td>${esc(t.underlying)}</td>` +
    `<td>${esc(t.ticker)}</td><td>${t.side}</td><td>${t.size}</td><td>${fmtPrice(t.entry_price)}</td>` +
    `<td>${t.exit_price === null ? 'unfilled' : fmtPrice(t.exit_price)}</td><td>${t.entry_time.slice(11, 16)}</td>` +
    `<td>${(t.exit_time ?? '').slice(11, 16)}</td><td>${t.exit_reason ?? ''}</td><td>${t.pnl.toFixed(2)}</td><td>${esc(t.tags.join(' '))}</td></tr>`
  );
}

export function tradesTable(trades: readonly TradeRecord[]): string {
  const shown = trades.slice(0, MAX_TABLE_TRADES);
  const head =
    '<tr><th>Date</th><th>Strategy</th><th>Underlying</th><th>Traded</th><th>Side</th><th>Size</th><th>Entry</th><th>Exit</th>' +
    '<th>Entry bar</th><th>Exit bar</th><th>Reason</th><th>PnL</th><th>Tags</th></tr>';
  const more = trades.length > shown.length ? `<p>First ${shown.length} of ${trades.length} trades; the trade history CSV has them all.</p>` : '';
  return `<p class="hint">Click a trade to show its symbol-day in the price chart.</p><table class="trades" id="trades-table">${head}${shown.map(tradeRow).join('')}</table>${more}`;
}

export function sweepTable(rows: readonly SweepRow[], metric: SweepMetric = DEFAULT_SWEEP_METRIC): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.settings)))];
  // The ranking metric gets its own column unless one of the standard columns already shows it.
  const extra = ['sortino', 'calmar', 'expectancy'].includes(metric) ? metric : null;
  const extraHead = extra === null ? '' : `<th>${esc(metricLabel(extra))}</th>`;
  const head = `<tr><th>Cell</th>${keys.map((k) => `<th>${esc(k)}</th>`).join('')}<th>Trades</th><th>Win rate</th><th>Total PnL</th><th>Return</th><th>Profit factor</th><th>Sharpe</th><th>Max drawdown</th>${extraHead}</tr>`;
  const body = rows.map(
    (r) =>
      `<tr><td>${esc(r.cell)}</td>${keys.map((k) => `<td>${esc(r.settings[k] ?? '')}</td>`).join('')}<td>${r.metrics.trades}</td>` +
      `<td>${pct(r.metrics.winRate)}</td><td>${money(r.metrics.totalPnl)}</td><td>${pct(r.totalReturn, 2)}</td>` +
      `<td>${num(r.metrics.profitFactor)}</td><td>${num(r.metrics.sharpe)}</td><td>${pct(r.metrics.maxDrawdownPct, 2)}</td>` +
      `${extra === null ? '' : `<td>${esc(metricText(extra, r.metrics))}</td>`}</tr>`,
  );
  return `<table class="metrics" id="sweep-table">${head}${body.join('')}</table>`;
}
