import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cagr, calmarRatio, expectancy, longestLosingStreak, sortinoRatio } from '../../domain/backtest/metrics';
import { breakdownBy } from '../../domain/backtest/breakdown';
import type { TradeRecord } from '../../domain/trades/tradeRecord';

void test('CAGR: doubling over 252 trading dates is 100%, over 126 dates 300%; undefined inputs give null', () => {
  assert.ok(Math.abs(cagr(100, 200, 252)! - 1) < 1e-12);
  // (2)^(252/126) - 1 = 4 - 1.
  assert.ok(Math.abs(cagr(100, 200, 126)! - 3) < 1e-12);
  assert.equal(cagr(0, 200, 10), null);
  assert.equal(cagr(100, 0, 10), null);
  assert.equal(cagr(100, 110, 0), null);
});

void test('Sortino: mean over the root mean square of the losing part, annualised', () => {
  // Returns 0.02, -0.01, 0.01, -0.02: mean 0; downside sqrt((0.0001 + 0.0004) / 4) = 0.01118...
  assert.equal(sortinoRatio([0.02, -0.01, 0.01, -0.02]), 0);
  // Returns 0.03, -0.01: mean 0.01, downside sqrt(0.0001 / 2) = 0.0070711; 0.01 / 0.0070711 x sqrt(252) = 22.4499...
  assert.ok(Math.abs(sortinoRatio([0.03, -0.01])! - Math.sqrt(2) * Math.sqrt(252)) < 1e-9);
  assert.equal(sortinoRatio([0.01, 0.02]), null, 'no losing date: no downside');
  assert.equal(sortinoRatio([-0.01]), null, 'one date');
});

void test('Calmar, expectancy and the longest losing streak', () => {
  assert.ok(Math.abs(calmarRatio(0.3, 0.1)! - 3) < 1e-12);
  assert.equal(calmarRatio(0.3, 0), null);
  assert.equal(calmarRatio(null, 0.1), null);
  // Wins 100, 50 (avg 75, rate 0.5), losses -20, -40 (avg 30, rate 0.5): 37.5 - 15 = 22.5 per trade, 0.75 R.
  const e = expectancy([100, -20, 50, -40]);
  assert.equal(e.dollars, 22.5);
  assert.equal(e.ratio, 0.75);
  assert.deepEqual(expectancy([]), { dollars: null, ratio: null });
  assert.equal(expectancy([10, 0]).ratio, null, 'no loss: no R multiple');
  assert.equal(longestLosingStreak([-1, -2, 3, -1, -1, -1, 0, -5]), 3);
  assert.equal(longestLosingStreak([1, 0, 2]), 0);
});

void test('breakdown by month and exit reason counts only closed trades', () => {
  const t = (date: string, pnl: number, reason: 'vwap_touch' | 'stop_loss', closed = true) =>
    ({ date, pnl, fees: 1, exit_reason: reason, exit_price: closed ? 1 : null, error_code: closed ? null : 'no_price', strategy_name: 'mid', underlying: 'X' }) as unknown as TradeRecord;
  const trades = [t('2025-04-08', 10, 'vwap_touch'), t('2025-04-30', -5, 'stop_loss'), t('2025-05-02', 7, 'vwap_touch'), t('2025-05-03', 99, 'stop_loss', false)];
  const months = breakdownBy(trades, 'month');
  assert.deepEqual(months.map((r) => [r.key, r.trades, r.totalPnl, r.profitFactor]), [['2025-04', 2, 5, 2], ['2025-05', 1, 7, null]]);
  const reasons = breakdownBy(trades, 'exit_reason');
  assert.deepEqual(reasons.map((r) => [r.key, r.trades, r.winRate]), [['stop_loss', 1, 0], ['vwap_touch', 2, 1]]);
});

void test('buy and hold: first regular open to each date close, SPY first when present', async () => {
  const { MapMarket } = await import('../../domain/backtest/market');
  const { benchmarksFor } = await import('../../domain/backtest/benchmarks');
  // 2025-06-10 and 11, regular session 13:30-20:00 UTC; a pre-market bar at 13:00 must be ignored.
  const bar = (iso: string, o: number, c: number) => ({ t: Date.parse(iso), o, h: Math.max(o, c), l: Math.min(o, c), c, v: 100 });
  const days = (pre: number, open: number, close1: number, close2: number) =>
    new Map([
      ['2025-06-10', [bar('2025-06-10T13:00:00Z', pre, pre), bar('2025-06-10T13:30:00Z', open, open), bar('2025-06-10T19:59:00Z', close1, close1)]],
      ['2025-06-11', [bar('2025-06-11T13:30:00Z', close1, close1), bar('2025-06-11T19:59:00Z', close2, close2)]],
    ]);
  const market = new MapMarket(new Map([['SPY', days(1, 100, 110, 99)], ['QQQ', days(1, 50, 40, 60)]]));
  const b = benchmarksFor(market, ['QQQ'], ['2025-06-10', '2025-06-11'], 1000);
  assert.equal(b.marketBenchmarkMissing, false);
  assert.deepEqual(b.rows.map((r) => r.symbol), ['SPY', 'QQQ']);
  const spy = b.rows[0]!;
  assert.equal(spy.startPrice, 100);
  assert.ok(Math.abs(spy.totalReturn - -0.01) < 1e-12);
  // 1000 -> 1100 -> 990: 10% below the 1100 peak.
  assert.ok(Math.abs(spy.maxDrawdownPct - 0.1) < 1e-12);
  assert.deepEqual(b.rows[1]!.curve.map((p) => p.value), [800, 1200]);
  assert.equal(benchmarksFor(market, ['QQQ'], ['2025-06-12'], 1000).rows.length, 0);
  const withoutSpy = new MapMarket(new Map([['QQQ', days(1, 50, 40, 60)]]));
  assert.equal(benchmarksFor(withoutSpy, ['QQQ'], ['2025-06-10'], 1000).marketBenchmarkMissing, true);
});
