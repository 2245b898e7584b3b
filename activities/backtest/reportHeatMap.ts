import { esc, num } from './reportFormat';
import type { SweepRow } from './reportTypes';

/**
 * The sweep's heat map: for a grid of exactly two swept keys, the cells' Sharpe ratios (the sweep's
 * best-cell rule) as a table with the first key down and the second across, coloured from the worst
 * (red) to the best (green) cell, so a plateau of good settings stands out from a lone peak. With one
 * key, or more than two, the comparison table says it all and no map is drawn.
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

export function sweepHeatMap(rows: readonly SweepRow[]): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.settings)))];
  if (keys.length !== 2) return '';
  const [down, across] = keys as [string, string];
  const byCell = new Map(rows.map((r) => [`${r.settings[down]}|${r.settings[across]}`, r]));
  const sharpes = rows.map((r) => r.metrics.sharpe).filter((v): v is number => v !== null);
  const lo = Math.min(...sharpes);
  const hi = Math.max(...sharpes);
  const cols = sortedValues(rows, across);
  const cell = (r: SweepRow | undefined) => {
    const v = r?.metrics.sharpe ?? null;
    if (v === null) return '<td class="heat none">n/a</td>';
    const color = heatColor(hi > lo ? (v - lo) / (hi - lo) : 0.5);
    return `<td class="heat" style="background: ${color}" title="${esc(r!.cell)}">${num(v)}</td>`;
  };
  const head = `<tr><th>${esc(down)} \\ ${esc(across)}</th>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const body = sortedValues(rows, down).map((d) => `<tr><th>${esc(d)}</th>${cols.map((c) => cell(byCell.get(`${d}|${c}`))).join('')}</tr>`);
  return `<h3>Sharpe ratio by setting</h3><table class="metrics heat-map" id="sweep-heat-map">${head}${body.join('')}</table>`;
}
