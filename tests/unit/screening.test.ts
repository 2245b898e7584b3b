import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import {
  compareSignals,
  marketCapBand,
  maxGapPct,
  rankSignals,
  screen,
  screenSymbol,
  screeningConfigOf,
  spreadCheck,
  spreadOf,
  type ScreeningConfig,
  type ScreeningFacts,
} from '../../domain/screening/screen';
import type { StrategyName } from '../../domain/vocabulary';

const CFG: ScreeningConfig = screeningConfigOf(defaultBotConfig());

/** A symbol that passes every default filter (OPEN: cap 2e9..1e10, gap <= 10%, price 5..100, volume >= 1e6). */
const GOOD: ScreeningFacts = {
  symbol: 'GOOD',
  previousClose: 50,
  open: 51,
  price: 52,
  averageDailyVolume: 2_000_000,
  marketCap: 5e9,
  spread: 0.02,
};

const live = { strategy: 'open' as const, testMode: false };
const replay = { strategy: 'open' as const, testMode: true };

describe('screenSymbol: each rule, bounds inclusive', () => {
  test('a symbol inside every band passes, live and in TEST_MODE, with nothing skipped live', () => {
    assert.deepEqual(screenSymbol(GOOD, CFG, live), { pass: true, skipped: [] });
    assert.deepEqual(screenSymbol(GOOD, CFG, replay), { pass: true, skipped: [] });
  });

  test('price band MIN_PRICE..MAX_PRICE, inclusive', () => {
    for (const price of [5, 100]) assert.equal(screenSymbol({ ...GOOD, price }, CFG, live).pass, true, `price ${price}`);
    for (const price of [4.99, 100.01]) {
      const r = screenSymbol({ ...GOOD, price }, CFG, live);
      assert.equal(r.pass, false);
      if (!r.pass) {
        assert.equal(r.rejection.rule, 'price');
        assert.match(r.rejection.reason, /outside MIN_PRICE\.\.MAX_PRICE \(5\.\.100\)/);
      }
    }
  });

  test('an unknown price rejects in both modes', () => {
    for (const price of [null, 0, Number.NaN]) {
      for (const opts of [live, replay]) {
        const r = screenSymbol({ ...GOOD, price }, CFG, opts);
        assert.equal(r.pass, false);
        if (!r.pass) assert.equal(r.rejection.rule, 'price');
      }
    }
  });

  test('market cap band per strategy, inclusive', () => {
    const cfg = { ...CFG, MIN_MARKET_CAP_MID: 1e9, MAX_MARKET_CAP_MID: 3e9 };
    const mid = { strategy: 'mid' as const, testMode: false };
    assert.equal(screenSymbol({ ...GOOD, marketCap: 1e9 }, cfg, mid).pass, true);
    assert.equal(screenSymbol({ ...GOOD, marketCap: 3e9 }, cfg, mid).pass, true);
    const r = screenSymbol({ ...GOOD, marketCap: 5e9 }, cfg, mid);
    assert.equal(r.pass, false);
    if (!r.pass) {
      assert.equal(r.rejection.rule, 'market_cap');
      assert.match(r.rejection.reason, /MIN_MARKET_CAP_MID\.\.MAX_MARKET_CAP_MID/);
    }
    // The same cap is fine for OPEN, whose band is the default 2e9..1e10.
    assert.equal(screenSymbol({ ...GOOD, marketCap: 5e9 }, cfg, live).pass, true);
  });

  test('unknown market cap: skipped with a reason in TEST_MODE, rejected live', () => {
    const r1 = screenSymbol({ ...GOOD, marketCap: null }, CFG, replay);
    assert.equal(r1.pass, true);
    assert.deepEqual(r1.skipped, [{ symbol: 'GOOD', rule: 'market_cap', reason: 'market cap unknown (replay data has none): filter skipped in TEST_MODE' }]);
    const r2 = screenSymbol({ ...GOOD, marketCap: null }, CFG, live);
    assert.equal(r2.pass, false);
    if (!r2.pass) {
      assert.equal(r2.rejection.rule, 'market_cap');
      assert.match(r2.rejection.reason, /market cap unknown: rejected/);
    }
  });

  test('gap |open / previous close - 1| <= MAX_GAP_PCT_<S>, inclusive, per strategy', () => {
    // 0.25 / 0.2 are exact in binary, so the bound is tested at equality without rounding noise.
    const cfg = { ...CFG, MAX_GAP_PCT_OPEN: 0.25, MAX_GAP_PCT_CLOSE: 0.125 };
    assert.equal(screenSymbol({ ...GOOD, previousClose: 40, open: 50, price: 50 }, cfg, live).pass, true, 'gap exactly 0.25');
    assert.equal(screenSymbol({ ...GOOD, previousClose: 40, open: 30, price: 30 }, cfg, live).pass, true, 'gap exactly -0.25');
    const r = screenSymbol({ ...GOOD, previousClose: 40, open: 50, price: 50 }, cfg, { strategy: 'close', testMode: false });
    assert.equal(r.pass, false);
    if (!r.pass) {
      assert.equal(r.rejection.rule, 'gap');
      assert.match(r.rejection.reason, /gap 0\.25 .* above MAX_GAP_PCT_CLOSE=0\.125/);
    }
  });

  test('unknown gap (first replay date, or no open yet): skipped in TEST_MODE, rejected live', () => {
    for (const missing of [{ previousClose: null }, { open: null }]) {
      const t = screenSymbol({ ...GOOD, ...missing }, CFG, replay);
      assert.equal(t.pass, true);
      assert.equal(t.skipped[0]?.rule, 'gap');
      const l = screenSymbol({ ...GOOD, ...missing }, CFG, live);
      assert.equal(l.pass, false);
      if (!l.pass) assert.equal(l.rejection.rule, 'gap');
    }
  });

  test('average volume >= MIN_VOLUME_THRESHOLD live, never checked in TEST_MODE', () => {
    assert.equal(screenSymbol({ ...GOOD, averageDailyVolume: 1_000_000 }, CFG, live).pass, true);
    const r = screenSymbol({ ...GOOD, averageDailyVolume: 999_999 }, CFG, live);
    assert.equal(r.pass, false);
    if (!r.pass) assert.match(r.rejection.reason, /average daily volume 999999 below MIN_VOLUME_THRESHOLD=1000000/);
    const unknown = screenSymbol({ ...GOOD, averageDailyVolume: null }, CFG, live);
    assert.equal(unknown.pass, false);
    assert.deepEqual(screenSymbol({ ...GOOD, averageDailyVolume: 10 }, CFG, replay), { pass: true, skipped: [] });
    assert.deepEqual(screenSymbol({ ...GOOD, averageDailyVolume: null }, CFG, replay), { pass: true, skipped: [] });
  });

  test('spread only at a live entry: <= MAX_SPREAD_PCT x price, unknown fails', () => {
    const wide = { ...GOOD, price: 50, spread: 1 };
    assert.equal(screenSymbol(wide, CFG, live).pass, true, 'session screening never checks the spread');
    assert.equal(screenSymbol(wide, CFG, { ...replay, stage: 'live_entry' }).pass, true, 'TEST_MODE has no live entry');
    const r = screenSymbol(wide, CFG, { ...live, stage: 'live_entry' });
    assert.equal(r.pass, false);
    if (!r.pass) assert.equal(r.rejection.rule, 'spread');
    // 0.5 x 2 = 1 exactly: at the bound passes.
    assert.equal(screenSymbol({ ...GOOD, price: 2, spread: 1 }, { ...CFG, MIN_PRICE: 0, MAX_SPREAD_PCT: 0.5 }, { ...live, stage: 'live_entry' }).pass, true);
    assert.equal(screenSymbol({ ...GOOD, spread: null }, CFG, { ...live, stage: 'live_entry' }).pass, false);
  });

  test('the first failing rule is the reason: price, market cap, gap, volume, spread', () => {
    const bad: ScreeningFacts = { symbol: 'BAD', previousClose: 10, open: 20, price: 200, averageDailyVolume: 1, marketCap: 1, spread: 100 };
    const rules: string[] = [];
    let f = bad;
    const cfg = { ...CFG };
    const fixes: ((x: ScreeningFacts) => ScreeningFacts)[] = [
      (x) => ({ ...x, price: 20 }),
      (x) => ({ ...x, marketCap: 5e9 }),
      (x) => ({ ...x, previousClose: 20 }),
      (x) => ({ ...x, averageDailyVolume: 5e6 }),
      (x) => ({ ...x, spread: 0.01 }),
    ];
    for (const fix of fixes) {
      const r = screenSymbol(f, cfg, { ...live, stage: 'live_entry' });
      assert.equal(r.pass, false);
      if (!r.pass) rules.push(r.rejection.rule);
      f = fix(f);
    }
    assert.deepEqual(rules, ['price', 'market_cap', 'gap', 'volume', 'spread']);
    assert.equal(screenSymbol(f, cfg, { ...live, stage: 'live_entry' }).pass, true);
  });
});

describe('screen: a batch', () => {
  test('accepted in input order, one reason per rejection, TEST_MODE notes', () => {
    const facts: ScreeningFacts[] = [
      { ...GOOD, symbol: 'B' },
      { ...GOOD, symbol: 'A', price: 500 },
      { ...GOOD, symbol: 'C', marketCap: null },
    ];
    const t = screen(facts, CFG, replay);
    assert.deepEqual(t.accepted, ['B', 'C']);
    assert.deepEqual(t.rejected.map((r) => [r.symbol, r.rule]), [['A', 'price']]);
    assert.deepEqual(t.skipped.map((s) => [s.symbol, s.rule]), [['C', 'market_cap']]);
    assert.ok(t.notes.some((n) => /MIN_VOLUME_THRESHOLD=1000000\) skipped in TEST_MODE/.test(n)));
    const l = screen(facts, CFG, live);
    assert.deepEqual(l.accepted, ['B']);
    assert.deepEqual(l.rejected.map((r) => [r.symbol, r.rule]), [['A', 'price'], ['C', 'market_cap']]);
  });

  const maybe = (arb: fc.Arbitrary<number>) => fc.option(arb, { nil: null });
  const factsArb = fc.record({
    symbol: fc.constantFrom('A', 'B', 'C', 'D'),
    previousClose: maybe(fc.double({ min: 0.5, max: 500, noNaN: true })),
    open: maybe(fc.double({ min: 0.5, max: 500, noNaN: true })),
    price: maybe(fc.double({ min: 0, max: 500, noNaN: true })),
    averageDailyVolume: maybe(fc.double({ min: 0, max: 1e8, noNaN: true })),
    marketCap: maybe(fc.double({ min: 1e8, max: 1e12, noNaN: true })),
    spread: maybe(fc.double({ min: 0, max: 5, noNaN: true })),
  });
  const cfgArb = fc.record({
    MIN_PRICE: fc.double({ min: 0, max: 50, noNaN: true }),
    MAX_PRICE: fc.double({ min: 50, max: 600, noNaN: true }),
    MIN_VOLUME_THRESHOLD: fc.double({ min: 0, max: 5e6, noNaN: true }),
    MAX_SPREAD_PCT: fc.double({ min: 0, max: 0.05, noNaN: true }),
    gap: fc.double({ min: 0, max: 0.5, noNaN: true }),
    capMin: fc.double({ min: 0, max: 5e10, noNaN: true }),
    capSpan: fc.double({ min: 0, max: 5e11, noNaN: true }),
  });

  test('property: no accepted symbol violates a filter it was checked against; unknowns only pass in TEST_MODE', () => {
    fc.assert(
      fc.property(
        fc.array(factsArb, { maxLength: 8 }),
        cfgArb,
        fc.constantFrom<StrategyName>('open', 'mid', 'close'),
        fc.boolean(),
        fc.constantFrom<'session' | 'live_entry'>('session', 'live_entry'),
        (facts, c, strategy, testMode, stage) => {
          const S = strategy.toUpperCase();
          const cfg = {
            ...CFG,
            MIN_PRICE: c.MIN_PRICE,
            MAX_PRICE: c.MAX_PRICE,
            MIN_VOLUME_THRESHOLD: c.MIN_VOLUME_THRESHOLD,
            MAX_SPREAD_PCT: c.MAX_SPREAD_PCT,
            [`MAX_GAP_PCT_${S}`]: c.gap,
            [`MIN_MARKET_CAP_${S}`]: c.capMin,
            [`MAX_MARKET_CAP_${S}`]: c.capMin + c.capSpan,
          } as ScreeningConfig;
          const out = screen(facts, cfg, { strategy, testMode, stage });
          assert.equal(out.accepted.length + out.rejected.length, facts.length, 'every symbol is accepted or rejected with a reason');
          for (const r of out.rejected) assert.ok(r.reason.length > 0);
          for (const f of facts) {
            const r = screenSymbol(f, cfg, { strategy, testMode, stage });
            if (!r.pass) continue;
            assert.ok(out.accepted.includes(f.symbol));
            assert.ok(f.price !== null && f.price >= cfg.MIN_PRICE && f.price <= cfg.MAX_PRICE && f.price > 0, 'price band');
            const cap = marketCapBand(cfg, strategy);
            if (f.marketCap !== null) assert.ok(f.marketCap >= cap.min && f.marketCap <= cap.max, 'market cap band');
            else assert.ok(testMode, 'unknown market cap passes only in TEST_MODE');
            if (f.open !== null && f.previousClose !== null) assert.ok(Math.abs(f.open / f.previousClose - 1) <= maxGapPct(cfg, strategy), 'gap');
            else assert.ok(testMode, 'unknown gap passes only in TEST_MODE');
            if (!testMode) assert.ok(f.averageDailyVolume !== null && f.averageDailyVolume >= cfg.MIN_VOLUME_THRESHOLD, 'volume');
            if (!testMode && stage === 'live_entry') assert.ok(f.spread !== null && f.spread <= cfg.MAX_SPREAD_PCT * f.price, 'spread');
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('spread helpers', () => {
  test('spreadOf needs both sides; spreadCheck explains', () => {
    assert.equal(spreadOf(10, 10.05)?.toFixed(2), '0.05');
    assert.equal(spreadOf(null, 10), null);
    assert.equal(spreadOf(10, 0), null);
    assert.deepEqual(spreadCheck(100, 1.5, 0.015), { ok: true });
    const r = spreadCheck(100, 1.6, 0.015);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.reason, /spread 1\.6 above MAX_SPREAD_PCT x price = 0\.015 x 100 = 1\.5/);
  });
});

describe('ranking signals for MAX_TRADES slots', () => {
  test('strongest first, ties by symbol, non-finite strengths last', () => {
    const signals = [
      { symbol: 'B', strength: 0.02 },
      { symbol: 'A', strength: 0.02 },
      { symbol: 'C', strength: 0.05 },
      { symbol: 'D', strength: Number.NaN },
      { symbol: 'E', strength: 0.01 },
    ];
    const r = rankSignals(signals, 3);
    assert.deepEqual(r.taken.map((s) => s.symbol), ['C', 'A', 'B']);
    assert.deepEqual(r.dropped.map((s) => s.symbol), ['E', 'D']);
    assert.deepEqual(rankSignals(signals, 0).taken, []);
  });

  test('property: the ranking is a total order independent of input order', () => {
    const sig = fc.record({ symbol: fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F'), strength: fc.constantFrom(0, 0.01, 0.02, 1) });
    fc.assert(
      fc.property(fc.uniqueArray(sig, { selector: (s) => s.symbol, maxLength: 6 }), fc.nat(7), (list, slots) => {
        const a = rankSignals(list, slots);
        const b = rankSignals([...list].reverse(), slots);
        assert.deepEqual(a, b);
        for (let i = 1; i < a.taken.length; i++) assert.ok(compareSignals(a.taken[i - 1]!, a.taken[i]!) < 0);
        if (a.taken.length > 0 && a.dropped.length > 0) {
          const weakestTaken = a.taken[a.taken.length - 1]!;
          for (const d of a.dropped) assert.ok(compareSignals(weakestTaken, d) < 0, 'no dropped signal outranks a taken one');
        }
      }),
    );
  });
});
