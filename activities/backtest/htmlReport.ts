import type { Benchmarks } from '../../domain/backtest/benchmarks';
import { breakdownBy, type BreakdownDimension } from '../../domain/backtest/breakdown';
import type { BacktestMarket } from '../../domain/backtest/market';
import type { BacktestMetrics, MetricsBlock } from '../../domain/backtest/metrics';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { writeFileAtomic } from '../outputs/atomicFile';
import { round2 } from '../../domain/math/round';

/**
 * The backtest report: one self-contained HTML file (inline CSS, inline SVG, a little inline JavaScript;
 * nothing fetched from the network), so it opens anywhere, also offline and from an e-mail attachment.
 * Sections: headline figures, metrics per strategy and overall, equity curve, drawdown, a price chart per
 * traded symbol-day with entry and exit markers (chosen from a list), the trade list, warnings, and for a
 * parameter sweep the comparison table.
 */

const MINUTE_MS = 60_000;
/** Price charts embedded at most; beyond it the symbol-days with the largest absolute PnL are kept. */
export const DEFAULT_MAX_CHARTS = 600;
/** Trades listed in the table at most (the CSV has all of them). */
export const MAX_TABLE_TRADES = 2000;

export interface ChartMarker {
  /** Minutes after the chart's first bar. */
  readonly m: number;
  readonly price: number;
  readonly kind: 'entry' | 'exit';
  readonly side: 'long' | 'short';
  readonly label: string;
}

export interface SymbolDayChart {
  readonly id: string;
  readonly label: string;
  readonly symbol: string;
  readonly date: string;
  /** Epoch ms of the first bar. */
  readonly t0: number;
  /** Minutes after t0, close, high, low per bar. */
  readonly m: readonly number[];
  readonly c: readonly number[];
  readonly h: readonly number[];
  readonly l: readonly number[];
  readonly markers: readonly ChartMarker[];
  readonly pnl: number;
}

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
  readonly strategies: readonly string[];
  readonly charts: readonly SymbolDayChart[];
  readonly chartsOmitted: number;
  readonly trades: readonly TradeRecord[];
  readonly warnings: readonly string[];
  readonly sweep?: readonly SweepRow[];
  /** Buy and hold of the traded symbols and SPY (docs/backtest.md, "Metrics"). */
  readonly benchmarks?: Benchmarks;
}

/** Price charts of the traded symbol-days: the bars from 30 minutes before the first entry to 15 after the last exit. */
export function symbolDayCharts(
  trades: readonly TradeRecord[],
  market: BacktestMarket,
  maxCharts: number = DEFAULT_MAX_CHARTS,
): { charts: SymbolDayChart[]; omitted: number } {
  const groups = new Map<string, TradeRecord[]>();
  for (const t of trades) {
    const key = `${t.date}|${t.underlying}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  let keys = [...groups.keys()];
  const omitted = Math.max(0, keys.length - maxCharts);
  if (omitted > 0) {
    const weight = (k: string) => Math.abs(groups.get(k)!.reduce((a, t) => a + t.pnl, 0));
    keys = keys.sort((a, b) => weight(b) - weight(a)).slice(0, maxCharts);
  }
  keys.sort();
  const charts: SymbolDayChart[] = [];
  for (const key of keys) {
    const list = groups.get(key)!;
    const [date, symbol] = key.split('|') as [string, string];
    const bars = market.barsOn(symbol, date);
    if (bars.length === 0) continue;
    const from = Math.min(...list.map((t) => Date.parse(t.entry_time))) - 30 * MINUTE_MS;
    const to = Math.max(...list.map((t) => Date.parse(t.exit_time ?? t.entry_time))) + 15 * MINUTE_MS;
    const shown = bars.filter((b) => b.t >= from && b.t <= to);
    if (shown.length === 0) continue;
    const t0 = shown[0]!.t;
    const closeAt = (ms: number) => {
      let c: number | null = null;
      for (const b of shown) {
        if (b.t > ms) break;
        c = b.c;
      }
      return c;
    };
    const markers: ChartMarker[] = [];
    for (const t of list) {
      const entryMs = Date.parse(t.entry_time);
      markers.push({
        m: (entryMs - t0) / MINUTE_MS,
        price: t.signal_price,
        kind: 'entry',
        side: t.side,
        label: `${t.strategy_name} ${t.side} entry ${t.entry_time.slice(11, 16)} at ${fmtPrice(t.signal_price)} (${t.instrument} ${t.ticker})`,
      });
      if (t.exit_time !== null) {
        const exitMs = Date.parse(t.exit_time);
        const price = closeAt(exitMs);
        if (price !== null) {
          markers.push({
            m: (exitMs - t0) / MINUTE_MS,
            price,
            kind: 'exit',
            side: t.side,
            label: `${t.strategy_name} exit ${t.exit_time.slice(11, 16)} (${t.exit_reason ?? ''}) pnl ${t.pnl.toFixed(2)}`,
          });
        }
      }
    }
    const pnl = round2(list.reduce((a, t) => a + t.pnl, 0));
    charts.push({
      id: `${date}-${symbol}`,
      label: `${date} ${symbol} (${list.map((t) => `${t.strategy_name} ${t.side}`).join(', ')}) ${pnl >= 0 ? '+' : ''}${pnl.toFixed(2)}`,
      symbol,
      date,
      t0,
      m: shown.map((b) => (b.t - t0) / MINUTE_MS),
      c: shown.map((b) => b.c),
      h: shown.map((b) => b.h),
      l: shown.map((b) => b.l),
      markers,
      pnl,
    });
  }
  return { charts, omitted };
}

function fmtPrice(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(2) : Math.abs(x) >= 1 ? x.toFixed(3) : x.toFixed(4);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const pct = (x: number | null, digits = 1) => (x === null ? 'n/a' : `${(x * 100).toFixed(digits)}%`);
const num = (x: number | null, digits = 2) => (x === null ? 'n/a' : x.toFixed(digits));
const money = (x: number | null) =>
  x === null ? 'n/a' : `${x < 0 ? '-' : ''}$${Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

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

function metricsTable(metrics: BacktestMetrics, strategies: readonly string[]): string {
  const cols: [string, MetricsBlock][] = [['Overall', metrics.overall]];
  for (const s of strategies) {
    const b = metrics.byStrategy[s as keyof typeof metrics.byStrategy];
    if (b) cols.push([s.toUpperCase(), b]);
  }
  const head = `<tr><th>Metric</th>${cols.map(([n]) => `<th>${esc(n)}</th>`).join('')}</tr>`;
  const rows = METRIC_ROWS.map(([label, f]) => `<tr><td>${esc(label)}</td>${cols.map(([, b]) => `<td>${esc(f(b))}</td>`).join('')}</tr>`);
  return `<table class="metrics" id="metrics-table">${head}${rows.join('')}</table>`;
}

/** An SVG line (or area) chart of a series against its index, with a few labelled ticks. */
function seriesSvg(a: {
  id: string;
  values: readonly number[];
  labels: readonly string[];
  /** Tick label of a value; `span` is the axis range, for choosing the decimals. */
  format: (v: number, span: number) => string;
  color: string;
  area?: boolean;
  fixedMax?: number;
}): string {
  const W = 960;
  const H = 260;
  const L = 80;
  const R = 16;
  const T = 14;
  const B = 34;
  const n = a.values.length;
  if (n === 0) return `<svg id="${a.id}" class="chart" viewBox="0 0 ${W} ${H}"><text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text></svg>`;
  let lo = Math.min(...a.values);
  let hi = a.fixedMax !== undefined ? Math.max(a.fixedMax, ...a.values) : Math.max(...a.values);
  if (hi - lo < 1e-9) {
    hi += 1;
    lo -= 1;
  }
  const pad = (hi - lo) * 0.05;
  lo -= a.fixedMax !== undefined ? 0 : pad;
  hi += a.fixedMax !== undefined ? 0 : pad;
  const x = (i: number) => L + (n === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v: number) => T + ((hi - v) * (H - T - B)) / (hi - lo);
  const pts = a.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  const grid: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    grid.push(
      `<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>` +
        `<text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${esc(a.format(v, hi - lo))}</text>`,
    );
  }
  const ticks = Math.min(6, n);
  for (let k = 0; k < ticks; k++) {
    const i = ticks === 1 ? 0 : Math.round((k * (n - 1)) / (ticks - 1));
    grid.push(`<text x="${x(i).toFixed(1)}" y="${H - 12}" text-anchor="middle" class="tick">${esc(a.labels[i] ?? '')}</text>`);
  }
  const line = `<polyline class="series" fill="none" stroke="${a.color}" stroke-width="1.6" points="${pts.join(' ')}"/>`;
  const area = a.area
    ? `<polygon class="area" fill="${a.color}" fill-opacity="0.25" points="${x(0).toFixed(1)},${y(Math.min(hi, Math.max(lo, 0))).toFixed(1)} ${pts.join(' ')} ${x(n - 1).toFixed(1)},${y(Math.min(hi, Math.max(lo, 0))).toFixed(1)}"/>`
    : '';
  return `<svg id="${a.id}" class="chart" viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img">${grid.join('')}${area}${line}</svg>`;
}

const BREAKDOWNS: readonly [BreakdownDimension, string][] = [
  ['strategy', 'Strategy'],
  ['symbol', 'Symbol'],
  ['month', 'Month'],
  ['exit_reason', 'Exit reason'],
];

function breakdownTables(trades: readonly TradeRecord[]): string {
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

function benchmarksTable(b: Benchmarks): string {
  const head = '<tr><th>Buy and hold</th><th>From</th><th>To</th><th>Start</th><th>End</th><th>Return</th><th>CAGR</th><th>Max drawdown (daily closes)</th></tr>';
  const rows = b.rows.map(
    (r) =>
      `<tr><td>${esc(r.symbol)}</td><td>${r.firstDate}</td><td>${r.lastDate}</td><td>${fmtPrice(r.startPrice)}</td><td>${fmtPrice(r.endPrice)}</td>` +
      `<td>${pct(r.totalReturn, 2)}</td><td>${pct(r.cagr, 2)}</td><td>${pct(r.maxDrawdownPct, 2)}</td></tr>`,
  );
  const note = b.marketBenchmarkMissing ? '<p class="warn" id="spy-missing">SPY has no bars in this data set: no market benchmark.</p>' : '';
  return `<table class="metrics" id="benchmarks-table">${head}${rows.join('')}</table>${note}`;
}

function tradesTable(trades: readonly TradeRecord[]): string {
  const shown = trades.slice(0, MAX_TABLE_TRADES);
  const head =
    '<tr><th>Date</th><th>Strategy</th><th>Underlying</th><th>Traded</th><th>Side</th><th>Size</th><th>Entry</th><th>Exit</th>' +
    '<th>Entry bar</th><th>Exit bar</th><th>Reason</th><th>PnL</th><th>Tags</th></tr>';
  const rows = shown.map(
    (t) =>
      `<tr class="${t.pnl > 0 ? 'win' : t.pnl < 0 ? 'loss' : ''}"><td>${t.date}</td><td>${t.strategy_name}</td><td>${esc(t.underlying)}</td>` +
      `<td>${esc(t.ticker)}</td><td>${t.side}</td><td>${t.size}</td><td>${fmtPrice(t.entry_price)}</td>` +
      `<td>${t.exit_price === null ? 'unfilled' : fmtPrice(t.exit_price)}</td><td>${t.entry_time.slice(11, 16)}</td>` +
      `<td>${(t.exit_time ?? '').slice(11, 16)}</td><td>${t.exit_reason ?? ''}</td><td>${t.pnl.toFixed(2)}</td><td>${esc(t.tags.join(' '))}</td></tr>`,
  );
  const more = trades.length > shown.length ? `<p>First ${shown.length} of ${trades.length} trades; the trade history CSV has them all.</p>` : '';
  return `<table class="trades" id="trades-table">${head}${rows.join('')}</table>${more}`;
}

function sweepTable(rows: readonly SweepRow[]): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.settings)))];
  const head = `<tr><th>Cell</th>${keys.map((k) => `<th>${esc(k)}</th>`).join('')}<th>Trades</th><th>Win rate</th><th>Total PnL</th><th>Return</th><th>Profit factor</th><th>Sharpe</th><th>Max drawdown</th></tr>`;
  const body = rows.map(
    (r) =>
      `<tr><td>${esc(r.cell)}</td>${keys.map((k) => `<td>${esc(r.settings[k] ?? '')}</td>`).join('')}<td>${r.metrics.trades}</td>` +
      `<td>${pct(r.metrics.winRate)}</td><td>${money(r.metrics.totalPnl)}</td><td>${pct(r.totalReturn, 2)}</td>` +
      `<td>${num(r.metrics.profitFactor)}</td><td>${num(r.metrics.sharpe)}</td><td>${pct(r.metrics.maxDrawdownPct, 2)}</td></tr>`,
  );
  return `<table class="metrics" id="sweep-table">${head}${body.join('')}</table>`;
}

/** Draws the chosen symbol-day: closes as a line, high-low as a band, triangles at entries, crosses at exits. */
const CHART_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('chart-data').textContent);
  var select = document.getElementById('symbol-day');
  var svg = document.getElementById('price-chart');
  var info = document.getElementById('price-info');
  var NS = 'http://www.w3.org/2000/svg';
  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function hhmm(ms) { return new Date(ms).toISOString().slice(11, 16); }
  function draw(i) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var d = data[i];
    if (!d) { info.textContent = 'No traded symbol-day in this run.'; return; }
    var W = 960, H = 320, L = 70, R = 16, T = 14, B = 30;
    var lo = Infinity, hi = -Infinity, n = d.m.length, j;
    for (j = 0; j < n; j++) { lo = Math.min(lo, d.l[j]); hi = Math.max(hi, d.h[j]); }
    d.markers.forEach(function (mk) { lo = Math.min(lo, mk.price); hi = Math.max(hi, mk.price); });
    if (hi - lo < 1e-9) { hi += 1; lo -= 1; }
    var pad = (hi - lo) * 0.06; lo -= pad; hi += pad;
    var span = Math.max(1, d.m[n - 1]);
    function x(m) { return L + m * (W - L - R) / span; }
    function y(v) { return T + (hi - v) * (H - T - B) / (hi - lo); }
    for (j = 0; j <= 4; j++) {
      var v = lo + (hi - lo) * j / 4;
      svg.appendChild(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), 'class': 'grid' }));
      svg.appendChild(el('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', 'class': 'tick' }, v.toFixed(v >= 100 ? 2 : 3)));
    }
    for (j = 0; j < 6; j++) {
      var mm = Math.round(span * j / 5);
      svg.appendChild(el('text', { x: x(mm), y: H - 10, 'text-anchor': 'middle', 'class': 'tick' }, hhmm(d.t0 + mm * 60000) + 'Z'));
    }
    var band = [], line = [];
    for (j = 0; j < n; j++) { band.push(x(d.m[j]) + ',' + y(d.h[j])); line.push(x(d.m[j]) + ',' + y(d.c[j])); }
    for (j = n - 1; j >= 0; j--) band.push(x(d.m[j]) + ',' + y(d.l[j]));
    svg.appendChild(el('polygon', { points: band.join(' '), 'class': 'band' }));
    svg.appendChild(el('polyline', { points: line.join(' '), 'class': 'price' }));
    d.markers.forEach(function (mk) {
      var cx = x(mk.m), cy = y(mk.price), g;
      if (mk.kind === 'entry') {
        var up = mk.side === 'long';
        var pts = up ? [cx, cy + 2, cx - 7, cy + 13, cx + 7, cy + 13] : [cx, cy - 2, cx - 7, cy - 13, cx + 7, cy - 13];
        g = el('polygon', { points: pts.join(' '), 'class': 'marker entry ' + mk.side });
      } else {
        g = el('path', { d: 'M' + (cx - 6) + ' ' + (cy - 6) + 'L' + (cx + 6) + ' ' + (cy + 6) + 'M' + (cx + 6) + ' ' + (cy - 6) + 'L' + (cx - 6) + ' ' + (cy + 6), 'class': 'marker exit' });
      }
      g.appendChild(el('title', {}, mk.label));
      svg.appendChild(g);
    });
    info.textContent = d.markers.map(function (mk) { return mk.label; }).join(' | ');
  }
  data.forEach(function (d, i) {
    var o = document.createElement('option');
    o.value = String(i);
    o.textContent = d.label;
    select.appendChild(o);
  });
  select.addEventListener('change', function () { draw(Number(select.value)); });
  draw(0);
})();
`;

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
svg#price-chart { height: 320px; }
.grid { stroke: #edf0f3; } .tick { font-size: 11px; fill: #56616e; }
.band { fill: #c9d7ea; fill-opacity: 0.6; stroke: none; } .price { fill: none; stroke: #1f4e8c; stroke-width: 1.4; }
.marker.entry.long { fill: #17803d; } .marker.entry.short { fill: #b42318; } .marker.exit { stroke: #111; stroke-width: 2.2; fill: none; }
select { font-size: 13px; padding: 3px; max-width: 100%; } #price-info { font-size: 12px; color: #56616e; min-height: 1.2em; }
.warn { color: #8a5300; font-size: 13px; }
`;

export function renderReportHtml(d: ReportData): string {
  const m = d.metrics;
  const curve = m.equityCurve;
  const labels = curve.map((p) => new Date(p.t).toISOString().slice(0, 10));
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
  const chartJson = JSON.stringify(d.charts).replace(/</g, '\\u003c');
  const omitted =
    d.chartsOmitted > 0 ? `<p class="warn">${d.chartsOmitted} more traded symbol-days are not charted (the largest absolute PnL are kept).</p>` : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(d.title)}</title><style>${STYLE}</style></head>
<body>
<h1>${esc(d.title)}</h1>
<div class="run">${run}</div>
<div class="cards">${cards}</div>
${d.sweep && d.sweep.length > 0 ? `<h2>Parameter sweep</h2>${sweepTable(d.sweep)}` : ''}
<h2>Metrics</h2>
${metricsTable(m, d.strategies)}
<h2>Breakdown</h2>
${breakdownTables(d.trades)}
${d.benchmarks ? `<h2>Benchmarks</h2>${benchmarksTable(d.benchmarks)}` : ''}
<p class="warn">Option prices in backtests and TEST_MODE are modelled, not quoted: an American put on a binomial tree, volatility from the VIX close before the date (30% without one), a modelled spread, bought at the ask and sold at the bid; each put trade keeps the model inputs of its fills in trade_history_backtest.json (option_model; docs/backtest.md, "Option pricing model").</p>
<h2>Equity curve (realised, after each trade)</h2>
${seriesSvg({ id: 'equity-chart', values: curve.map((p) => p.equity), labels, format: (v) => money(v).replace(/\.\d\d$/, ''), color: '#1f4e8c' })}
<h2>Drawdown</h2>
${seriesSvg({ id: 'drawdown-chart', values: curve.map((p) => -p.drawdownPct * 100), labels, format: (v, span) => `${v.toFixed(span < 0.2 ? 3 : 2)}%`, color: '#b42318', area: true, fixedMax: 0 })}
<h2>Price, entries and exits</h2>
<label for="symbol-day">Symbol-day: </label><select id="symbol-day"></select>
${omitted}
<svg id="price-chart" class="chart" viewBox="0 0 960 320" preserveAspectRatio="none" role="img"></svg>
<div id="price-info"></div>
<h2>Trades</h2>
${tradesTable(d.trades)}
${d.warnings.length > 0 ? `<h2>Warnings</h2><ul>${d.warnings.map((w) => `<li class="warn">${esc(w)}</li>`).join('')}</ul>` : ''}
<script type="application/json" id="chart-data">${chartJson}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}

export function writeReport(file: string, data: ReportData): void {
  writeFileAtomic(file, renderReportHtml(data));
}
