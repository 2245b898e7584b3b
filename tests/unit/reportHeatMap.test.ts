import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeMetrics } from '../../domain/backtest/metrics';
import { heatColor, sweepHeatMap } from '../../activities/backtest/reportHeatMap';
import type { SweepRow } from '../../activities/backtest/reportTypes';

/** The sweep report's heat map: two swept keys as a grid of Sharpe ratios, worst red, best green. */

const empty = computeMetrics({ trades: [], days: [], startingCash: 10_000, strategies: ['open'] }).overall;
const row = (settings: Record<string, string>, sharpe: number | null): SweepRow => ({
  cell: Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(','),
  settings,
  metrics: { ...empty, sharpe },
  endingEquity: 10_000,
  totalReturn: 0,
});

void test('two keys: the first down, the second across, numeric values in numeric order, coloured by Sharpe', () => {
  const html = sweepHeatMap([
    row({ A: '10', B: 'x' }, 1),
    row({ A: '10', B: 'y' }, null),
    row({ A: '9', B: 'x' }, -1),
    row({ A: '9', B: 'y' }, 0),
  ]);
  const rows = html.match(/<tr>.*?<\/tr>/g) ?? [];
  assert.equal(rows.length, 3);
  assert.match(rows[0]!, /<th>A \\ B<\/th><th>x<\/th><th>y<\/th>/);
  // 9 before 10: numbers sort as numbers, not as text.
  assert.match(rows[1]!, new RegExp(`<th>9</th><td class="heat" style="background: ${escape(heatColor(0))}" title="A=9,B=x">-1.00</td><td class="heat" style="background: ${escape(heatColor(0.5))}"[^>]*>0.00</td>`));
  assert.match(rows[2]!, new RegExp(`<th>10</th><td class="heat" style="background: ${escape(heatColor(1))}"[^>]*>1.00</td><td class="heat none">n/a</td>`));
});

void test('one key or three: no map (the comparison table says it all)', () => {
  assert.equal(sweepHeatMap([row({ A: '1' }, 1), row({ A: '2' }, 2)]), '');
  assert.equal(sweepHeatMap([row({ A: '1', B: '1', C: '1' }, 1)]), '');
});

void test('the colour runs from red through pale yellow to green', () => {
  assert.equal(heatColor(0), 'rgb(214, 96, 77)');
  assert.equal(heatColor(0.5), 'rgb(254, 240, 190)');
  assert.equal(heatColor(1), 'rgb(82, 170, 110)');
  assert.equal(heatColor(2), heatColor(1));
});

function escape(s: string): string {
  return s.replace(/[()]/g, '\\$&');
}
