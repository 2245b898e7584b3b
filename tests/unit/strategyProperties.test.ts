import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultBotConfig, type BotConfig } from '../../domain/config/botConfigSchema';
import type { Bar } from '../../domain/market/bar';
import { sessionWindowFor, strategyTiming } from '../../domain/market/sessionWindow';
import { minutesToHhmm } from '../../domain/market/nyTime';
import { replayByClock, runTracker, type SimulatedTrade } from '../../domain/strategies/simulate';
import { getStrategy } from '../../domain/strategies/strategies';
import type { Decision } from '../../domain/strategies/strategy';
import type { StrategyName } from '../../domain/vocabulary';

/**
 * Properties of every tracker on random days (gaps, zero volumes, pre-market and 16:00 bars, early close,
 * winter and summer dates, random windows and thresholds).
 */

const DATES = ['2025-06-10', '2019-02-12', '2025-07-03', '2026-03-09', '2025-12-24'];

interface Scenario {
  readonly strategy: StrategyName;
  readonly date: string;
  readonly cfg: BotConfig;
  readonly vix: number | null;
  readonly bars: Bar[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    strategy: fc.constantFrom<StrategyName>('open', 'mid', 'close'),
    date: fc.constantFrom(...DATES),
    startMinute: fc.integer({ min: 13 * 60, max: 20 * 60 + 30 }),
    analysis: fc.integer({ min: 1, max: 40 }),
    breakout: fc.integer({ min: 1, max: 30 }),
    monitoring: fc.integer({ min: 1, max: 60 }),
    buffer: fc.double({ min: 0, max: 0.004, noNaN: true }),
    vwapThreshold: fc.double({ min: 0, max: 0.004, noNaN: true }),
    mode: fc.constantFrom<'auto' | 'momentum' | 'fade'>('auto', 'momentum', 'fade'),
    spikeStd: fc.double({ min: 0, max: 2, noNaN: true }),
    minMove: fc.double({ min: 0, max: 0.01, noNaN: true }),
    vix: fc.option(fc.double({ min: 10, max: 30, noNaN: true })),
    firstMinute: fc.integer({ min: 12 * 60 + 30, max: 14 * 60 }),
    steps: fc.array(
      fc.record({
        gap: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 6 }) }),
        ret: fc.double({ min: -0.01, max: 0.01, noNaN: true }),
        wick: fc.double({ min: 0, max: 0.004, noNaN: true }),
        v: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: fc.integer({ min: 1, max: 100_000 }) }),
      }),
      { minLength: 380, maxLength: 560 },
    ),
  })
  .map((r) => {
    const cfg: BotConfig = {
      ...defaultBotConfig(),
      START_TIME_OPEN: minutesToHhmm(r.startMinute),
      START_TIME_MID: minutesToHhmm(r.startMinute),
      START_TIME_CLOSE: minutesToHhmm(r.startMinute),
      OPEN_ANALYSIS_TIME: r.analysis,
      MID_ANALYSIS_TIME: r.analysis,
      CLOSE_ANALYSIS_TIME: r.analysis,
      OPEN_BREAKOUT_TIME: r.breakout,
      MID_BREAKOUT_TIME: r.breakout,
      CLOSE_BREAKOUT_TIME: r.breakout,
      OPEN_MONITORING_TIME: r.monitoring,
      MID_MONITORING_TIME: r.monitoring,
      CLOSE_MONITORING_TIME: r.monitoring,
      STRAT_OPEN_BUFFER: r.buffer,
      STRAT_MID_VWAP_THRESHOLD: r.vwapThreshold,
      STRAT_CLOSE_MODE: r.mode,
      CLOSE_FADE_SPIKE_STD: r.spikeStd,
      CLOSE_MOMENTUM_MIN_MOVE: r.minMove,
    };
    const dayStart = Date.parse(`${r.date}T00:00:00Z`);
    const bars: Bar[] = [];
    let t = dayStart + r.firstMinute * 60_000;
    let prev = 40;
    for (const s of r.steps) {
      if (t >= dayStart + 86_400_000) break;
      const o = prev;
      const c = prev * (1 + s.ret);
      prev = c;
      bars.push({ t, o, h: Math.max(o, c) * (1 + s.wick), l: Math.min(o, c) * (1 - s.wick), c, v: s.v });
      t += s.gap * 60_000;
    }
    return { strategy: r.strategy, date: r.date, cfg, vix: r.vix, bars };
  });

function tracker(s: Scenario) {
  return getStrategy(s.strategy).createTracker('X', s.date, s.cfg, { vixPrevClose: s.vix });
}

function simulate(s: Scenario): SimulatedTrade[] {
  return runTracker(tracker(s), s.strategy, s.bars);
}

const RUNS = { numRuns: 200 };

void test('entries only in the entry window and before the close; nothing held past the hold window', () => {
  fc.assert(
    fc.property(scenarioArb, (s) => {
      const w = sessionWindowFor(s.date, strategyTiming(s.cfg, s.strategy));
      const C = w.marketCloseMs!;
      const trades = simulate(s);
      assert.ok(trades.length <= 1, 'at most one entry per symbol per session');
      for (const t of trades) {
        assert.ok(t.entryTime >= w.entryStartMs && t.entryTime < w.entryEndMs, 'entry in [S+A, S+A+B)');
        assert.ok(t.entryTime < C, 'entry before the market close');
        assert.ok(t.exitTime >= t.entryTime, 'exit not before entry');
        assert.ok(t.exitTime <= t.entryTime + w.holdMs, 'exit by entry start + M');
        assert.ok(t.exitTime < C, 'the exit bar starts before the close');
        assert.ok(s.bars.some((b) => b.t === t.exitTime && b.c === t.exitPrice), 'exit at a real bar close');
        if (t.exitReason === 'hold_limit') assert.ok(t.entryTime + w.holdMs < C);
        if (t.exitReason === 'market_close') assert.ok(t.entryTime + w.holdMs >= C);
        if (t.exitTime === t.entryTime) {
          assert.ok(['market_close', 'no_more_bars', 'hold_limit'].includes(t.exitReason), 'no rule exit on the entry bar');
        }
      }
    }),
    RUNS,
  );
});

void test('identical decisions when run twice, and when every bar is delivered twice', () => {
  fc.assert(
    fc.property(scenarioArb, (s) => {
      const decide = (bars: readonly Bar[]): Decision[] => {
        const tr = tracker(s);
        const out = bars.map((b) => tr.onBar(b));
        out.push(tr.onEndOfData());
        return out;
      };
      const a = decide(s.bars);
      assert.deepEqual(decide(s.bars), a);
      const doubled = decide(s.bars.flatMap((b) => [b, b]));
      assert.deepEqual(
        doubled.filter((_, i) => i % 2 === 0 || i === doubled.length - 1),
        a,
        'a repeated bar changes nothing and decides nothing',
      );
      assert.ok(doubled.every((d, i) => i % 2 === 0 || i === doubled.length - 1 || d === null));
    }),
    RUNS,
  );
});

void test('the live path (bars as they close plus onTime every minute) gives the same trades as simulate', () => {
  fc.assert(
    fc.property(scenarioArb, (s) => {
      assert.deepEqual(replayByClock(tracker(s), s.strategy, s.bars), simulate(s));
    }),
    RUNS,
  );
});

void test('the property generator does produce entries and every kind of time exit', (t) => {
  // Guards the properties above against passing vacuously.
  const seen = new Set<string>();
  fc.assert(
    fc.property(scenarioArb, (s) => {
      for (const trade of simulate(s)) seen.add(`${trade.strategy}:${trade.exitReason}`);
    }),
    { numRuns: 500, seed: 42 },
  );
  t.diagnostic(`kinds seen: ${[...seen].sort().join(', ')}`);
  for (const k of ['open:hold_limit', 'open:market_close', 'open:trailing_stop', 'close:hold_limit', 'mid:hold_limit']) {
    assert.ok(seen.has(k), `no ${k} in ${[...seen].join(', ')}`);
  }
});
