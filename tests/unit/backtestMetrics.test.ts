import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeMetrics, maxDrawdown, sharpeRatio } from '../../domain/backtest/metrics';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { tradeRecordFixture } from '../helpers/tradeFixtures';

/** A closed trade; only the fields the metrics read matter. */
function trade(p: {
  date: string;
  strategy: 'open' | 'mid' | 'close';
  side?: 'long' | 'short';
  entry: string;
  exit: string;
  pnl: number;
  fees?: number;
  failed?: boolean;
}): TradeRecord {
  return tradeRecordFixture({
    tradeId: `${p.date}:${p.strategy}:${p.entry}`,
    timestamp: `${p.date}T${p.exit}:00.000Z`,
    date: p.date,
    strategy_name: p.strategy,
    ticker: 'X',
    underlying: 'X',
    side: p.side ?? 'long',
    size: 1,
    signal_price: 1,
    entry_price: 1,
    exit_price: p.failed ? null : 1,
    entry_time: `${p.date}T${p.entry}:00.000Z`,
    exit_time: `${p.date}T${p.exit}:00.000Z`,
    pnl: p.pnl,
    fees: p.fees ?? 0,
    mode: 'backtest',
    allocation: 100,
    client_order_ids: [],
    error_code: p.failed ? 'no_price' : null,
  });
}

// Three summer dates (regular session 13:30-20:00 UTC, 390 minutes each), starting cash 10,000.
const trades = [
  trade({ date: '2025-06-10', strategy: 'open', entry: '14:50', exit: '15:10', pnl: 100, fees: 1 }),
  // Overlaps the first trade: exposure counts the union of the holding times.
  trade({ date: '2025-06-10', strategy: 'mid', side: 'short', entry: '15:00', exit: '15:30', pnl: -50, fees: 1 }),
  trade({ date: '2025-06-11', strategy: 'open', entry: '14:50', exit: '15:20', pnl: 30 }),
  trade({ date: '2025-06-12', strategy: 'close', entry: '19:40', exit: '19:50', pnl: -80 }),
  // An exit the fill model could not price: not a closed trade.
  trade({ date: '2025-06-12', strategy: 'close', entry: '19:41', exit: '19:51', pnl: 0, failed: true }),
];
const days = [
  { date: '2025-06-10', startEquity: 10_000 },
  { date: '2025-06-11', startEquity: 10_050 },
  { date: '2025-06-12', startEquity: 10_080 },
];

void test('overall metrics equal hand-computed values', () => {
  const m = computeMetrics({ trades, days, startingCash: 10_000, strategies: ['open', 'mid', 'close'] });
  const o = m.overall;
  assert.equal(o.trades, 4);
  assert.equal(o.failed, 1);
  assert.equal(o.wins, 2);
  assert.equal(o.losses, 2);
  assert.equal(o.winRate, 0.5);
  assert.equal(o.totalPnl, 0);
  assert.equal(o.avgPnl, 0);
  assert.equal(o.grossProfit, 130);
  assert.equal(o.grossLoss, -130);
  assert.equal(o.profitFactor, 1);
  // (20 + 30 + 30 + 10) / 4 minutes.
  assert.equal(o.avgDurationMinutes, 22.5);
  // Equity 10000 -> 10100 (peak) -> 10050 -> 10080 -> 10000: 100 dollars below the 10100 peak.
  assert.equal(o.maxDrawdown, 100);
  assert.ok(Math.abs(o.maxDrawdownPct - 100 / 10_100) < 1e-15);
  // Daily returns 50/10000, 30/10050, -80/10080; mean / sample std x sqrt(252) = 0.0369211...
  assert.ok(Math.abs((o.sharpe ?? NaN) - 0.03692113306547039) < 1e-12, String(o.sharpe));
  // Held 14:51-15:31 (union of the overlapping trades), 30 and 10 minutes: 80 of 1170 session minutes.
  assert.ok(Math.abs(o.exposure - 80 / 1170) < 1e-15);
  assert.equal(o.fees, 2);
  assert.equal(o.long, 3);
  assert.equal(o.short, 1);
  assert.deepEqual(o.exitReasons, { hold_limit: 4 });
  assert.equal(m.endingEquity, 10_000);
  assert.equal(m.totalReturn, 0);
  assert.equal(m.tradingDays, 3);
  assert.deepEqual(
    m.equityCurve.map((p) => p.equity),
    [10_000, 10_100, 10_050, 10_080, 10_000],
  );
  assert.equal(m.equityCurve[0]!.t, Date.parse('2025-06-10T13:30:00Z'));
  assert.equal(m.equityCurve[1]!.t, Date.parse('2025-06-10T15:11:00Z'));
});

void test('per-strategy metrics equal hand-computed values', () => {
  const m = computeMetrics({ trades, days, startingCash: 10_000, strategies: ['open', 'mid', 'close'] });
  const open = m.byStrategy.open!;
  assert.equal(open.trades, 2);
  assert.equal(open.winRate, 1);
  assert.equal(open.profitFactor, null, 'no losing trade: profit factor undefined');
  assert.equal(open.avgPnl, 65);
  assert.equal(open.avgDurationMinutes, 25);
  assert.equal(open.maxDrawdown, 0);
  // Returns 100/10000, 30/10050, 0 (a date without an OPEN trade counts).
  assert.ok(Math.abs((open.sharpe ?? NaN) - 13.384615384615385) < 1e-9, String(open.sharpe));
  assert.ok(Math.abs(open.exposure - 50 / 1170) < 1e-15);
  const mid = m.byStrategy.mid!;
  assert.equal(mid.trades, 1);
  assert.equal(mid.winRate, 0);
  assert.equal(mid.maxDrawdown, 50);
  assert.equal(mid.short, 1);
  const close = m.byStrategy.close!;
  assert.equal(close.trades, 1);
  assert.equal(close.failed, 1);
  assert.equal(close.totalPnl, -80);
});

void test('edge cases: no trades, one date, flat returns', () => {
  const m = computeMetrics({ trades: [], days: days.slice(0, 1), startingCash: 5_000, strategies: ['open'] });
  assert.equal(m.overall.trades, 0);
  assert.equal(m.overall.winRate, null);
  assert.equal(m.overall.avgPnl, null);
  assert.equal(m.overall.avgDurationMinutes, null);
  assert.equal(m.overall.sharpe, null);
  assert.equal(m.overall.exposure, 0);
  assert.equal(sharpeRatio([0.01, 0.01, 0.01]), null, 'no variation: no Sharpe ratio');
  assert.deepEqual(maxDrawdown(100, [-10, 20, -30, 5]), { dollars: 30, pct: 30 / 110 });
});
