import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MapMarket } from '../../domain/backtest/market';
import { dailyClosesOfDays } from '../../domain/market/dailyCloses';
import { putVolatilityInputs, realizedVolatility, REALIZED_VOL_SESSIONS } from '../../domain/instruments/optionModelInputs';
import type { Bar } from '../../domain/market/bar';

// The put model's realized-volatility inputs (docs/backtest.md, "Option pricing model").

const bar = (date: string, hhmm: string, c: number): Bar => ({ t: Date.parse(`${date}T${hhmm}:00Z`), o: c, h: c, l: c, c, v: 1 });
const marketOf = (bySymbol: Record<string, Record<string, Bar[]>>) =>
  new MapMarket(new Map(Object.entries(bySymbol).map(([s, days]) => [s, new Map(Object.entries(days))])));

test('daily closes: the last bar of each earlier date the symbol has, oldest first, at most count, never the date itself', () => {
  const m = marketOf({
    XYZ: { '2025-06-02': [bar('2025-06-02', '14:00', 10), bar('2025-06-02', '19:59', 11)], '2025-06-04': [bar('2025-06-04', '19:59', 12)], '2025-06-05': [bar('2025-06-05', '19:59', 13)] },
    SPY: { '2025-06-03': [bar('2025-06-03', '19:59', 500)] },
  });
  const closes = dailyClosesOfDays(m);
  assert.deepEqual(closes('XYZ', '2025-06-05', 10), [11, 12]);
  assert.deepEqual(closes('XYZ', '2025-06-06', 2), [12, 13]);
  assert.deepEqual(closes('XYZ', '2025-06-02', 5), []);
  assert.deepEqual(closes('SPY', '2025-06-05', 5), [500]);
  assert.deepEqual(closes('NONE', '2025-06-05', 5), []);
});

test('volatility inputs: the underlying and SPY over the sessions before the date; fewer than three closes give none', () => {
  const days = Array.from({ length: 30 }, (_, k) => `2025-05-${String(k + 1).padStart(2, '0')}`);
  const series = (base: number, step: number) => Object.fromEntries(days.map((d, k) => [d, [bar(d, '19:59', base * (1 + step * Math.sin(k)))]]));
  const closes = dailyClosesOfDays(marketOf({ XYZ: series(50, 0.03), SPY: series(500, 0.01) }));
  const v = putVolatilityInputs(22, 'XYZ', '2025-05-30', closes);
  assert.equal(v.vix, 22);
  assert.equal(v.realizedUnderlying, realizedVolatility(closes('XYZ', '2025-05-30', REALIZED_VOL_SESSIONS + 1)));
  assert.equal(closes('XYZ', '2025-05-30', REALIZED_VOL_SESSIONS + 1).length, REALIZED_VOL_SESSIONS + 1);
  assert.ok((v.realizedUnderlying ?? 0) > 2 * (v.realizedMarket ?? Infinity), 'the 3% series is the more volatile');
  const early = putVolatilityInputs(22, 'XYZ', '2025-05-03', closes);
  assert.deepEqual([early.realizedUnderlying, early.realizedMarket], [null, null]);
});
