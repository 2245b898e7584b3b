import { chartLibrary } from './chartLibrary';
import { esc, scriptJson } from './reportFormat';
import type { SymbolDayChart } from './reportChartData';

/**
 * The report's price chart: the chosen symbol-day drawn by the inlined TradingView Lightweight Charts
 * (candles, volume, indicator lines, entry and exit markers; zoom, pan and crosshair come with the
 * library). A list and a click on a trade row choose the symbol-day. The container's data attributes
 * (data-chart, data-bars, data-markers) say what is drawn, read back from the library's series.
 */

const CHART_SCRIPT = `
(function () {
  var LC = window.LightweightCharts;
  var data = JSON.parse(document.getElementById('chart-data').textContent);
  var select = document.getElementById('symbol-day');
  var box = document.getElementById('price-chart');
  var info = document.getElementById('price-info');
  var chart = null;
  var UP = '#17803d', DOWN = '#b42318';
  function markerOf(mk) {
    var entry = mk.kind === 'entry';
    var buys = (mk.side === 'long') === entry;
    return {
      time: mk.time, price: mk.price, position: buys ? 'atPriceBottom' : 'atPriceTop',
      shape: entry ? (buys ? 'arrowUp' : 'arrowDown') : 'circle',
      color: entry ? (mk.side === 'long' ? UP : DOWN) : '#111111',
      text: (entry ? 'entry ' : 'exit ') + mk.price.toFixed(mk.price >= 100 ? 2 : 3)
    };
  }
  function drawLines(d) {
    d.lines.forEach(function (l) {
      var s = chart.addSeries(LC.LineSeries, { color: l.color, lineWidth: 1, title: l.name, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false });
      s.setData(l.points.map(function (p) { return { time: p[0], value: p[1] }; }));
    });
  }
  function highlightRows(id) {
    var rows = document.querySelectorAll('#trades-table tr.trade');
    for (var j = 0; j < rows.length; j++) rows[j].classList.toggle('selected', rows[j].getAttribute('data-chart') === id);
  }
  function draw(i) {
    if (chart) { chart.remove(); chart = null; }
    var d = data[i];
    if (!d) { info.textContent = 'No traded symbol-day in this run.'; box.setAttribute('data-bars', '0'); return; }
    chart = LC.createChart(box, {
      autoSize: true,
      layout: { background: { color: '#ffffff' }, textColor: '#1d2733', fontSize: 11 },
      grid: { vertLines: { color: '#f0f2f5' }, horzLines: { color: '#f0f2f5' } },
      crosshair: { mode: LC.CrosshairMode.Normal },
      timeScale: { timeVisible: true, secondsVisible: false }
    });
    var candles = chart.addSeries(LC.CandlestickSeries, { upColor: UP, downColor: DOWN, borderVisible: false, wickUpColor: UP, wickDownColor: DOWN });
    candles.setData(d.bars.map(function (b) { return { time: b[0], open: b[1], high: b[2], low: b[3], close: b[4] }; }));
    var volume = chart.addSeries(LC.HistogramSeries, { priceScaleId: 'volume', priceFormat: { type: 'volume' }, priceLineVisible: false, lastValueVisible: false });
    volume.priceScale().applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
    volume.setData(d.bars.map(function (b) { return { time: b[0], value: b[5], color: b[4] >= b[1] ? 'rgba(23,128,61,0.35)' : 'rgba(180,35,24,0.35)' }; }));
    drawLines(d);
    var markers = LC.createSeriesMarkers(candles, d.markers.map(markerOf));
    chart.timeScale().fitContent();
    box.setAttribute('data-chart', d.id);
    box.setAttribute('data-bars', String(candles.data().length));
    box.setAttribute('data-markers', String(markers.markers().length));
    info.textContent = d.markers.map(function (mk) { return mk.label; }).join(' | ');
    highlightRows(d.id);
  }
  data.forEach(function (d, i) {
    var o = document.createElement('option');
    o.value = String(i);
    o.textContent = d.label;
    select.appendChild(o);
  });
  select.addEventListener('change', function () { draw(Number(select.value)); });
  document.getElementById('trades-table').addEventListener('click', function (e) {
    var row = e.target.closest('tr.trade');
    if (!row) return;
    var id = row.getAttribute('data-chart');
    var i = data.findIndex(function (d) { return d.id === id; });
    if (i < 0) { info.textContent = id + ' is not charted (only the symbol-days with the largest absolute PnL are).'; return; }
    select.value = String(i);
    draw(i);
    box.scrollIntoView({ block: 'center' });
  });
  draw(0);
})();
`;

export const PRICE_CHART_STYLE = `
#price-chart { width: 100%; height: 440px; border: 1px solid #e3e7ec; }
#trades-table tr.trade { cursor: pointer; } #trades-table tr.trade:hover td { background: #f3f7fc; }
#trades-table tr.selected td { background: #e6eef9; }
.hint, .notice { font-size: 12px; color: #56616e; }
`;

/** The price chart section; the chart data and scripts go at the end of the body (see `priceChartScripts`). */
export function priceChartSection(chartsOmitted: number): string {
  const omitted = chartsOmitted > 0 ? `<p class="warn">${chartsOmitted} more traded symbol-days are not charted (the largest absolute PnL are kept).</p>` : '';
  return `<h2>Price, entries and exits</h2>
<label for="symbol-day">Symbol-day: </label><select id="symbol-day"></select>
${omitted}
<p class="hint">Minute candles and volume (times UTC) with the indicators the strategies decided on; arrows are entries, circles exits, at their fills. Scroll to zoom, drag to pan.</p>
<div id="price-chart" data-bars="0"></div>
<div id="price-info"></div>`;
}

export function priceChartScripts(charts: readonly SymbolDayChart[]): string {
  const lib = chartLibrary();
  return `<script type="application/json" id="chart-data">${scriptJson(charts)}</script>
<script id="lightweight-charts">${lib.code}</script>
<script>${CHART_SCRIPT}</script>`;
}

export function chartLibraryNotice(): string {
  return `<p class="notice" id="chart-library-notice">${esc(chartLibrary().notice)}</p>`;
}
