import { DEFAULT_SWEEP_METRIC, higherIsBetter, metricLabel, metricValue, type SweepMetric } from '../../domain/backtest/sweepMetric';
import { esc, metricText, upperFirst } from './reportFormat';
import type { SweepRow } from './reportTypes';

/**
 * The sweep's heat map: for a grid of exactly two swept keys, the cells' values of the sweep's metric
 * (`--metric`, the best-cell rule; Sharpe by default) as a table with the first key down and the second
 * across, coloured from the worst (red) to the best (green) cell, so a plateau of good settings stands out
 * from a lone peak. With one key, or more than two, the comparison table says it all and no map is drawn.
 */

function sortedValues(rows: readonly SweepRow[], key: string): string[] {
  const values = [...new Set(rows.map((r) => r.settings[key] ?? ''))];
  const numeric = values.every((v) => v !== '' && Number.isFinite(Number(v)));
  return numeric ? values.sort((a, b) => Number(a) - Number(b)) : values.sort();
}

/** A colour from red (0) through pale yellow (0.5) to green (1). */
export function heatColor(x: number): string {
  const t = Math.min(1, Math.max(0, x));
  const [from, to] = t < 0.5 ? [[214, 96, 77], [254, 240, 190]] : [[254, 240, 190], [82, 170, 110]];
  const u = t < 0.5 ? t * 2 : (t - 0.5) * 2;
  const mix = (j: number) => Math.round(from[j]! + (to[j]! - from[j]!) * u);
  return `rgb(${mix(0)}, ${mix(1)}, ${mix(2)})`;
}

export function sweepHeatMap(rows: readonly SweepRow[], metric: SweepMetric = DEFAULT_SWEEP_METRIC, id = 'sweep-heat-map'): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.settings)))];
  if (keys.length !== 2) return '';
  const [down, across] = keys as [string, string];
  const byCell = new Map(rows.map((r) => [`${r.settings[down]}|${r.settings[across]}`, r]));
  const values = rows.map((r) => metricValue(metric, r.metrics)).filter((v): v is number => v !== null);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const goodness = (v: number) => {
    const x = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    return higherIsBetter(metric) ? x : 1 - x;
  };
  const cols = sortedValues(rows, across);
  const cell = (r: SweepRow | undefined) => {
    const v = r === undefined ? null : metricValue(metric, r.metrics);
    if (v === null) return '<td class="heat none">n/a</td>';
    return `<td class="heat" style="background: ${heatColor(goodness(v))}" title="${esc(r!.cell)}">${esc(metricText(metric, r!.metrics))}</td>`;
  };
  const head = `<tr><th>${esc(down)} \\ ${esc(across)}</th>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const body = sortedValues(rows, down).map((d) => `<tr><th>${esc(d)}</th>${cols.map((c) => cell(byCell.get(`${d}|${c}`))).join('')}</tr>`);
  return `<h3>${esc(upperFirst(metricLabel(metric)))} by setting</h3><table class="metrics heat-map" id="${esc(id)}">${head}${body.join('')}</table>`;
}
