import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chartIndicators } from '../../domain/backtest/chartIndicators';
import { MapMarket } from '../../domain/backtest/market';
import { botConfigSchema } from '../../domain/config/botConfigSchema';
import type { Bar } from '../../domain/market/bar';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { indicatorConfigOf, symbolDayCharts } from '../../activities/backtest/reportChartData';
import { tradeRecordFixture } from '../helpers/tradeFixtures';

/** The report's chart data: indicators on hand-computed series, markers at the fills, the cap on charts. */

const DATE = '2025-04-08';
// 2025-04-08 is in daylight saving time: the regular session opens at 13:30 UTC.
const OPEN_MS = Date.parse(`${DATE}T13:30:00.000Z`);
const at = (minute: number) => OPEN_MS + minute * 60_000;
const bar = (minute: number, o: number, h: number, l: number, c: number, v: number): Bar => ({ t: at(minute), o, h, l, c, v });

function trade(p: Partial<TradeRecord> & { entry_time: string; exit_time: string }): TradeRecord {
  return tradeRecordFixture({
    tradeId: `${p.date ?? DATE}:${p.underlying ?? 'XYZ'}:${p.entry_time}`,
    timestamp: p.exit_time,
    date: DATE,
    strategy_name: 'mid',
    ticker: 'XYZ',
    underlying: 'XYZ',
    size: 1,
    signal_price: 1,
    entry_price: 1,
    exit_price: 1,
    pnl: 0,
    mode: 'backtest',
    allocation: 100,
    client_order_ids: [],
    ...p,
  });
}

const iso = (minute: number) => new Date(at(minute)).toISOString();
const sec = (minute: number) => at(minute) / 1000;

void test('VWAP: cumulative typical price x volume over volume, regular-session bars only, zero volume adds nothing', () => {
  const bars = [
    bar(-1, 50, 50, 50, 50, 1000), // before the open: not part of the session VWAP
    bar(0, 10, 11, 9, 10, 100), // typical 10, pv 1000
    bar(1, 11, 12, 10, 11, 300), // typical 11, pv 3300: VWAP 4300 / 400 = 10.75
    bar(2, 12, 13, 11, 12, 0), // no volume: VWAP stays 10.75
  ];
  const ind = chartIndicators(bars, DATE, ['mid'], null);
  assert.deepEqual(ind.vwap, [
    { t: at(0), v: 10 },
    { t: at(1), v: 10.75 },
    { t: at(2), v: 10.75 },
  ]);
  // Without MID's threshold (no settings) there are no bands, and OPEN did not trade: no opening range.
  assert.deepEqual(ind.vwapUpper, []);
  assert.equal(ind.openingRange, null);
});

void test("VWAP bands at MID's threshold: VWAP x (1 -/+ threshold)", () => {
  const cfg = botConfigSchema.parse({ STRAT_MID_VWAP_THRESHOLD: '0.01' });
  const ind = chartIndicators([bar(0, 10, 11, 9, 10, 100)], DATE, ['mid'], cfg);
  assert.ok(Math.abs(ind.vwapUpper[0]!.v - 10.1) < 1e-12);
  assert.ok(Math.abs(ind.vwapLower[0]!.v - 9.9) < 1e-12);
});

void test('Bollinger(20, 2): none before 20 closes, then mean +/- 2 population deviations', () => {
  // Closes 1..20: mean 10.5, population variance (20^2 - 1) / 12 = 33.25, deviation 5.76628...
  const bars = Array.from({ length: 21 }, (_, i) => bar(i, i + 1, i + 1, i + 1, i + 1, 1));
  const ind = chartIndicators(bars, DATE, ['close'], null);
  assert.equal(ind.bollingerMiddle.length, 2);
  assert.equal(ind.bollingerMiddle[0]!.t, at(19));
  assert.equal(ind.bollingerMiddle[0]!.v, 10.5);
  assert.ok(Math.abs(ind.bollingerUpper[0]!.v - 22.032562594670797) < 1e-9);
  assert.ok(Math.abs(ind.bollingerLower[0]!.v - -1.032562594670797) < 1e-9);
  // Closes 2..21: the window moved by one.
  assert.equal(ind.bollingerMiddle[1]!.v, 11.5);
});

/** 90 one-minute bars from the open: open 100 + i, close 100.5 + i. */
const dayBars = Array.from({ length: 90 }, (_, i) => bar(i, 100 + i, 101 + i, 99 + i, 100.5 + i, 1000));
const market = (days: Record<string, Bar[]>) =>
  new MapMarket(new Map(Object.entries(days).map(([key, bars]) => {
    const [symbol, date] = key.split('|') as [string, string];
    return [symbol, new Map([[date, bars]])];
  })));

void test('markers sit at the fill: the bar after the decision bar at next_open, the fill price for a stock', () => {
  const t = trade({ entry_time: iso(10), exit_time: iso(30), entry_price: 111.05, exit_price: 130.9, pnl: 19.85 });
  const { charts } = symbolDayCharts([t], market({ [`XYZ|${DATE}`]: dayBars }), { fill: 'next_open' });
  assert.equal(charts.length, 1);
  const [entry, exit] = charts[0]!.markers;
  assert.deepEqual([entry!.kind, entry!.time, entry!.price], ['entry', sec(11), 111.05]);
  assert.deepEqual([exit!.kind, exit!.time, exit!.price], ['exit', sec(31), 130.9]);
  assert.deepEqual(charts[0]!.tradeIds, [t.tradeId]);
  // The shown bars: 45 minutes before the entry decision (clipped at the first bar) to 20 after the exit.
  assert.equal(charts[0]!.bars.length, 51);
  assert.deepEqual(charts[0]!.bars[0], [sec(0), 100, 101, 99, 100.5, 1000]);
});

void test('a put fills another instrument: its markers sit at the underlying fill bar, open at next_open, close at signal_close', () => {
  const put = trade({ ticker: 'XYZ250418P00100000', instrument: 'put', side: 'short', entry_time: iso(10), exit_time: iso(20), entry_price: 2.5, exit_price: 3.1 });
  const m = market({ [`XYZ|${DATE}`]: dayBars });
  const next = symbolDayCharts([put], m, { fill: 'next_open' }).charts[0]!.markers;
  assert.deepEqual(next.map((k) => [k.time, k.price]), [[sec(11), 111], [sec(21), 121]]);
  assert.match(next[0]!.label, /put XYZ250418P00100000 filled at 2\.500/);
  const close = symbolDayCharts([put], m, { fill: 'signal_close' }).charts[0]!.markers;
  assert.deepEqual(close.map((k) => [k.time, k.price]), [[sec(10), 110.5], [sec(20), 120.5]]);
});

void test('the cap keeps the symbol-days with the largest absolute PnL, sorted by date and symbol', () => {
  const days = { [`AAA|${DATE}`]: dayBars, [`BBB|${DATE}`]: dayBars, [`CCC|${DATE}`]: dayBars };
  const trades = [
    trade({ underlying: 'AAA', ticker: 'AAA', entry_time: iso(10), exit_time: iso(20), pnl: 5 }),
    trade({ underlying: 'BBB', ticker: 'BBB', entry_time: iso(10), exit_time: iso(20), pnl: -50 }),
    trade({ underlying: 'CCC', ticker: 'CCC', entry_time: iso(10), exit_time: iso(20), pnl: 20 }),
  ];
  const { charts, omitted } = symbolDayCharts(trades, market(days), { maxCharts: 2 });
  assert.equal(omitted, 1);
  assert.deepEqual(charts.map((c) => c.id), [`${DATE}-BBB`, `${DATE}-CCC`]);
  assert.equal(symbolDayCharts(trades, market(days)).omitted, 0);
});

void test('opening range lines of OPEN span from its analysis window to the last shown bar', () => {
  const cfg = botConfigSchema.parse({});
  const t = trade({ strategy_name: 'open', entry_time: iso(40), exit_time: iso(60) });
  const chart = symbolDayCharts([t], market({ [`XYZ|${DATE}`]: dayBars }), { cfg }).charts[0]!;
  const high = chart.lines.find((l) => l.name === 'Opening range high');
  assert.ok(high !== undefined, `lines: ${chart.lines.map((l) => l.name).join(', ')}`);
  assert.equal(high.points.length, 2);
  assert.equal(high.points[1]![0], chart.bars[chart.bars.length - 1]![0]);
  assert.ok(high.points[0]![0] < high.points[1]![0]);
});

void test('a sweep cell that changes an indicator setting gets no opening range or bands (only VWAP and Bollinger)', () => {
  const cfg = botConfigSchema.parse({});
  assert.equal(indicatorConfigOf(cfg, { STRAT_OPEN_BUFFER: '0.003' }), null);
  assert.equal(indicatorConfigOf(cfg, { MAX_POSITIONS: '2' }), cfg);
});
