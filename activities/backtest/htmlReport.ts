import { writeFileAtomic } from '../outputs/atomicFile';
import { esc, money, num, pct } from './reportFormat';
import { chartLibraryNotice, PRICE_CHART_STYLE, priceChartScripts, priceChartSection } from './reportPriceChart';
import { sweepHeatMap } from './reportHeatMap';
import { seriesSvg } from './reportSvg';
import { benchmarksTable, breakdownTables, metricsTable, sweepTable, tradesTable } from './reportTables';
import type { ReportData } from './reportTypes';
import { walkForwardSection } from './reportWalkForward';

/**
 * The backtest report: one self-contained HTML file (inline CSS, inline SVG, the chart library and a
 * little script inlined; nothing fetched from the network), so it opens anywhere, also offline and from an
 * e-mail attachment. Sections: headline figures, for a walk-forward run its windows, for a parameter sweep the comparison table, metrics per
 * strategy and overall, breakdowns, benchmarks, equity curve, drawdown, a price chart per traded
 * symbol-day, the trade list, warnings (docs/backtest.md, "The report").
 */

const STYLE = `
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1040px; color: #1d2733; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #d5dbe2; padding-bottom: 4px; }
.run { color: #56616e; font-size: 13px; } .run span { margin-right: 14px; white-space: nowrap; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 14px; }
.card { border: 1px solid #d5dbe2; border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.card b { display: block; font-size: 18px; } .card small { color: #56616e; }
table { border-collapse: collapse; font-size: 13px; width: 100%; } th, td { border-bottom: 1px solid #e3e7ec; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; } th { background: #f3f5f8; }
table.trades { font-size: 12px; } tr.win td:nth-child(12) { color: #17803d; } tr.loss td:nth-child(12) { color: #b42318; }
svg.chart { width: 100%; height: 260px; border: 1px solid #e3e7ec; background: #fff; }
.grid { stroke: #edf0f3; } .tick { font-size: 11px; fill: #56616e; }
select { font-size: 13px; padding: 3px; max-width: 100%; } #price-info { font-size: 12px; color: #56616e; min-height: 1.2em; }
.warn { color: #8a5300; font-size: 13px; }
table.heat-map { width: auto; } td.heat { text-align: center; min-width: 64px; } td.heat.none { color: #8a94a0; }
${PRICE_CHART_STYLE}`;

const OPTION_MODEL_NOTICE =
  '<p class="warn">Option prices in backtests and TEST_MODE are modelled, not quoted: an American put on a binomial tree, volatility from the VIX close before the date (30% without one), a modelled spread, bought at the ask and sold at the bid; each put trade keeps the model inputs of its fills in trade_history_backtest.json (option_model; docs/backtest.md, "Option pricing model").</p>';

function headline(d: ReportData): string {
  const m = d.metrics;
  const run = Object.entries(d.run)
    .map(([k, v]) => `<span><b>${esc(k)}</b> ${esc(v)}</span>`)
    .join('');
  const cards = [
    ['Ending equity', money(m.endingEquity)],
    ['Return', pct(m.totalReturn, 2)],
    ['Trades', String(m.overall.trades)],
    ['Win rate', pct(m.overall.winRate)],
    ['Sharpe', num(m.overall.sharpe)],
    ['Max drawdown', pct(m.overall.maxDrawdownPct, 2)],
    ['Trading days', String(m.tradingDays)],
  ]
    .map(([k, v]) => `<div class="card"><small>${esc(k!)}</small><b>${esc(v!)}</b></div>`)
    .join('');
  return `<h1>${esc(d.title)}</h1>\n<div class="run">${run}</div>\n<div class="cards">${cards}</div>`;
}

function equityAndDrawdown(d: ReportData): string {
  const curve = d.metrics.equityCurve;
  const labels = curve.map((p) => new Date(p.t).toISOString().slice(0, 10));
  const equity = seriesSvg({ id: 'equity-chart', values: curve.map((p) => p.equity), labels, format: (v) => money(v).replace(/\.\d\d$/, ''), color: '#1f4e8c' });
  const drawdown = seriesSvg({
    id: 'drawdown-chart',
    values: curve.map((p) => -p.drawdownPct * 100),
    labels,
    format: (v, span) => `${v.toFixed(span < 0.2 ? 3 : 2)}%`,
    color: '#b42318',
    area: true,
    fixedMax: 0,
  });
  return `<h2>Equity curve (realised, after each trade)</h2>\n${equity}\n<h2>Drawdown</h2>\n${drawdown}`;
}

export function renderReportHtml(d: ReportData): string {
  const warnings = d.warnings.length > 0 ? `<h2>Warnings</h2><ul>${d.warnings.map((w) => `<li class="warn">${esc(w)}</li>`).join('')}</ul>` : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(d.title)}</title><style>${STYLE}</style></head>
<body>
${headline(d)}
${d.walkForward && d.walkForward.length > 0 ? walkForwardSection(d.walkForward, d.sweepMetric) : ''}
${d.sweep && d.sweep.length > 0 ? `<h2>Parameter sweep</h2>${sweepTable(d.sweep, d.sweepMetric)}${sweepHeatMap(d.sweep, d.sweepMetric)}` : ''}
<h2>Metrics</h2>
${metricsTable(d.metrics, d.strategies)}
<h2>Breakdown</h2>
${breakdownTables(d.trades)}
${d.benchmarks ? `<h2>Benchmarks</h2>${benchmarksTable(d.benchmarks)}` : ''}
${OPTION_MODEL_NOTICE}
${equityAndDrawdown(d)}
${priceChartSection(d.chartsOmitted)}
<h2>Trades</h2>
${tradesTable(d.trades)}
${warnings}
${chartLibraryNotice()}
${priceChartScripts(d.charts)}
</body></html>
`;
}

export function writeReport(file: string, data: ReportData): void {
  writeFileAtomic(file, renderReportHtml(data));
}
