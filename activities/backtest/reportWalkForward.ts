import { DEFAULT_SWEEP_METRIC, metricLabel, type SweepMetric } from '../../domain/backtest/sweepMetric';
import { esc, metricText, money, pct, upperFirst } from './reportFormat';
import { sweepHeatMap } from './reportHeatMap';
import type { WalkForwardRow } from './reportTypes';

/**
 * The walk-forward section of the report: per window its training and test dates, the cell the training
 * grid chose by the sweep's metric, that metric in and out of sample, and the test range's PnL; below, each
 * window's training grid as a heat map (the latest window open: its choice is the one a trader would run
 * next). The rest of the report shows the out-of-sample trades only (docs/backtest.md, "Walk-forward").
 */
export function walkForwardSection(rows: readonly WalkForwardRow[], metric: SweepMetric = DEFAULT_SWEEP_METRIC): string {
  const label = esc(upperFirst(metricLabel(metric)));
  const head = `<tr><th>Window</th><th>Train</th><th>Test</th><th>Chosen cell</th><th>${label} in sample</th><th>${label} out of sample</th><th>Trades out of sample</th><th>PnL out of sample</th><th>Return out of sample</th></tr>`;
  const body = rows.map((r) => {
    const w = r.window;
    return (
      `<tr><td>${w.index}</td><td>${w.trainStart} to ${w.trainEnd}</td><td>${w.testStart} to ${w.testEnd}</td><td>${esc(r.chosen)}</td>` +
      `<td>${esc(metricText(metric, r.inSample))}</td><td>${esc(metricText(metric, r.outOfSample))}</td><td>${r.outOfSample.trades}</td>` +
      `<td>${money(r.outOfSample.totalPnl)}</td><td>${pct(r.outOfSampleReturn, 2)}</td></tr>`
    );
  });
  const maps = rows.map((r, i) => {
    const map = sweepHeatMap(r.grid, metric, `walk-forward-heat-map-${r.window.index}`);
    if (map === '') return '';
    const open = i === rows.length - 1 ? ' open' : '';
    return `<details${open}><summary>Window ${r.window.index}: training grid ${r.window.trainStart} to ${r.window.trainEnd}</summary>${map}</details>`;
  });
  return `<h2>Walk-forward</h2><p class="run">Each window chooses its cell on the training dates by ${esc(metricLabel(metric))}, then trades it on the test dates that follow; the metrics, charts and trades below are those out-of-sample test ranges only.</p><table class="metrics" id="walk-forward-table">${head}${body.join('')}</table>${maps.join('')}`;
}
