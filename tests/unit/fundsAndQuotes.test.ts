import { test } from 'node:test';
import assert from 'node:assert/strict';
import { botConfigSchema, defaultBotConfig } from '../../domain/config/botConfigSchema';
import type { Bar } from '../../domain/market/bar';
import {
  entrySpreadCheck,
  quoteSpread,
  screen,
  screeningConfigOf,
  screenSymbol,
  spreadCheck,
  spreadOf,
  type ScreeningConfig,
  type ScreeningFacts,
} from '../../domain/screening/screen';
import { SessionTracker } from '../../domain/strategies/sessionTracker';
import { openRangeBreakout } from '../../domain/strategies/openRangeBreakout';

// Defect 6 of issue 13 (docs/screening.md "Funds and unknown facts" and "Spread check and
// one-sided quotes"): funds pass the market-cap rule by skipping it, an unknown symbol never passes
// silently, a one-sided quote refuses that one entry with its own reason and leaves no state behind.

const CFG: ScreeningConfig = screeningConfigOf(defaultBotConfig());
const live = { strategy: 'open' as const, testMode: false };
const liveEntry = { ...live, stage: 'live_entry' as const };
const FUND_SKIP = 'fund (ETF): has no market cap; the market-cap rule applies to companies only';

const fund = (symbol: string, over: Partial<ScreeningFacts> = {}): ScreeningFacts => ({
  symbol,
  previousClose: 40,
  open: 40.5,
  price: 41,
  averageDailyVolume: 50_000_000,
  marketCap: null,
  fund: true,
  spread: 0.01,
  ...over,
});

void test('a fund without a market cap passes live screening; the skipped rule is in the result', () => {
  const r = screenSymbol(fund('SOXS'), CFG, live);
  assert.deepEqual(r, { pass: true, skipped: [{ symbol: 'SOXS', rule: 'market_cap', reason: FUND_SKIP }] });
  // TEST_MODE says the same thing for a fund (it is not "replay data has none").
  assert.deepEqual(screenSymbol(fund('SOXS'), CFG, { ...live, testMode: true }), r);
});

void test('an ETF universe admits its funds (every other rule still applies)', () => {
  const universe = [fund('SOXS'), fund('SQQQ', { price: 27 }), fund('TNA', { averageDailyVolume: 900_000 }), fund('UVXY', { open: 60 })];
  const out = screen(universe, CFG, live);
  assert.deepEqual(out.accepted, ['SOXS', 'SQQQ']);
  assert.deepEqual(out.rejected.map((x) => [x.symbol, x.rule]), [['TNA', 'volume'], ['UVXY', 'gap']]);
  assert.deepEqual(out.skipped.map((x) => [x.symbol, x.rule]), [['SOXS', 'market_cap'], ['SQQQ', 'market_cap']]);
});

void test('not a fund: an unknown market cap still rejects live; a known cap is checked whatever the flag', () => {
  const company = fund('ACME', { fund: false });
  const r = screenSymbol(company, CFG, live);
  assert.equal(r.pass, false);
  if (!r.pass) assert.deepEqual([r.rejection.rule, r.rejection.reason], ['market_cap', 'market cap unknown: rejected (live screening does not trade what it cannot check)']);
  const { fund: _flag, ...unflagged } = company;
  assert.equal(screenSymbol(unflagged, CFG, live).pass, false, 'no flag: not a fund');
  const capped = screenSymbol(fund('BIG', { marketCap: 5e11 }), CFG, live);
  assert.equal(capped.pass, false);
  if (!capped.pass) assert.equal(capped.rejection.rule, 'market_cap');
});

void test('a truly unknown symbol never passes silently, fund flag or not', () => {
  const nothing = { symbol: 'GHST', previousClose: null, open: null, price: null, averageDailyVolume: 2_500_000, marketCap: null, spread: null };
  for (const f of [nothing, { ...nothing, fund: true }]) {
    const r = screenSymbol(f, CFG, live);
    assert.equal(r.pass, false);
    if (!r.pass) assert.deepEqual([r.rejection.rule, r.rejection.reason], ['price', 'no price known']);
  }
  const noVolume = screenSymbol(fund('NOVOL', { averageDailyVolume: null }), CFG, live);
  assert.equal(noVolume.pass, false);
  if (!noVolume.pass) assert.equal(noVolume.rejection.rule, 'volume');
});

void test('quote sides: two-sided, one-sided (missing, zero or IBKR -1), crossed, none', () => {
  assert.deepEqual(quoteSpread(10, 10.05), { kind: 'two_sided', spread: 10.05 - 10 });
  assert.deepEqual(quoteSpread(10, 10), { kind: 'two_sided', spread: 0 });
  for (const ask of [0, null, undefined, -1, Number.NaN]) assert.deepEqual(quoteSpread(10, ask), { kind: 'one_sided', missing: 'ask' }, String(ask));
  for (const bid of [0, null, undefined, -1]) assert.deepEqual(quoteSpread(bid, 10), { kind: 'one_sided', missing: 'bid' }, String(bid));
  assert.deepEqual(quoteSpread(10.1, 10), { kind: 'crossed', bid: 10.1, ask: 10 });
  assert.deepEqual(quoteSpread(0, 0), { kind: 'no_quote' });
});

void test("an option's spread is held to its own limit, named in the refusal", () => {
  // A modelled quote of a 26-cent put: 7 cents wide, 27% of its price.
  assert.deepEqual(entrySpreadCheck(0.26, 0.23, 0.3, 0.3, 'MAX_OPTION_SPREAD_PCT'), { ok: true });
  const wide = entrySpreadCheck(0.26, 0.23, 0.3, 0.2, 'MAX_OPTION_SPREAD_PCT');
  assert.equal(wide.ok, false);
  if (!wide.ok) assert.match(wide.reason, /^spread 0\.07 above MAX_OPTION_SPREAD_PCT x price = 0\.2 x 0\.26/);
  assert.equal(entrySpreadCheck(0.26, 0.23, 0.3, 0.015).ok, false, 'the stock limit would refuse it');
});

void test('entry spread check: one-sided and crossed quotes are refused with their own reason, never "spread too wide"', () => {
  assert.deepEqual(entrySpreadCheck(100, 99.9, 100.1, 0.015), { ok: true });
  const wide = entrySpreadCheck(100, 99, 101, 0.015);
  assert.equal(wide.ok, false);
  if (!wide.ok) assert.deepEqual([wide.refusal, wide.reason], ['too_wide', 'spread 2 above MAX_SPREAD_PCT x price = 0.015 x 100 = 1.5']);
  const cases: [number | null, number | null, string, RegExp][] = [
    [99.9, 0, 'one_sided', /^one-sided quote \(no ask\)/],
    [null, 100.1, 'one_sided', /^one-sided quote \(no bid\)/],
    [100.2, 100.1, 'crossed', /^crossed quote \(bid 100\.2 above ask 100\.1\)/],
    [null, null, 'no_quote', /^no quote \(neither bid nor ask\)/],
  ];
  for (const [bid, ask, refusal, reason] of cases) {
    const r = entrySpreadCheck(100, bid, ask, 0.015);
    assert.equal(r.ok, false);
    if (r.ok) continue;
    assert.equal(r.refusal, refusal);
    assert.match(r.reason, reason);
    assert.doesNotMatch(r.reason, /above MAX_SPREAD_PCT/);
  }
  assert.equal(entrySpreadCheck(null, 99.9, 100.1, 0.015).ok, false);
});

void test('spreadOf + spreadCheck (the session path): a one-sided quote names itself; a crossed one too', () => {
  const oneSided = spreadCheck(100, spreadOf(99.9, 0), 0.015);
  assert.equal(oneSided.ok, false);
  if (!oneSided.ok) {
    assert.match(oneSided.reason, /one-sided quote/);
    assert.doesNotMatch(oneSided.reason, /above MAX_SPREAD_PCT/);
  }
  const crossed = spreadCheck(100, -0.1, 0.015);
  assert.equal(crossed.ok, false);
  if (!crossed.ok) assert.match(crossed.reason, /^crossed quote/);
});

void test('one bad quote blocks only its own entry: the checks keep no state', () => {
  const sequence: [number | null, number | null][] = [[99.9, 0], [99.9, 100.1], [0, 100], [49.95, 50.05], [99.9, 100.1]];
  const verdicts = sequence.map(([bid, ask]) => entrySpreadCheck(100, bid, ask, 0.015).ok);
  assert.deepEqual(verdicts, [false, true, false, true, true]);
  // At the live-entry stage, one symbol's missing spread does not touch the others of the same screen.
  const out = screen([fund('A', { spread: null }), fund('B'), fund('C', { spread: 0.02 })], CFG, liveEntry);
  assert.deepEqual(out.accepted, ['B', 'C']);
  assert.deepEqual(out.rejected.map((x) => [x.symbol, x.rule]), [['A', 'spread']]);
});

// The tracker: a declined entry ends the symbol's session, unless the refusal was about one quote.
const D = '2025-06-10';
const at = (hhmm: string) => Date.parse(`${D}T${hhmm}:00Z`);
const bar = (t: number, c: number): Bar => ({ t, o: c, h: c, l: c, c, v: 1000 });
const openCfg = botConfigSchema.parse({ START_TIME_OPEN: '14:30', OPEN_ANALYSIS_TIME: '5', OPEN_BREAKOUT_TIME: '10', STRAT_OPEN_BUFFER: '0.01' });
/** 14:30..14:34 at 100 (the range), then breakouts at 105 from 14:35. */
const bars = Array.from({ length: 10 }, (_, i) => bar(at('14:30') + i * 60_000, i >= 5 ? 105 : 100));

function entriesWith(cancel: (tr: SessionTracker, n: number) => void): number[] {
  const tr = openRangeBreakout.createTracker('X', D, openCfg, {});
  assert.ok(tr instanceof SessionTracker);
  const entryBars: number[] = [];
  for (const b of bars) {
    const d = tr.onBar(b);
    if (d?.kind !== 'entry') continue;
    entryBars.push(b.t);
    cancel(tr, entryBars.length);
  }
  return entryBars;
}

void test('tracker: a refusal for one bad quote lets the next bar enter; any other refusal ends the symbol', () => {
  assert.deepEqual(entriesWith((tr) => tr.cancelEntry()), [at('14:35')]);
  // The first signal meets a one-sided quote; the next bar signals again and is taken (not cancelled).
  const retried = entriesWith((tr, n) => {
    if (n === 1) tr.cancelEntry({ laterEntry: true });
  });
  assert.deepEqual(retried, [at('14:35'), at('14:36')]);
  // Still at most one entry taken per session, and the entry window still bounds the retries.
  const always = entriesWith((tr) => tr.cancelEntry({ laterEntry: true }));
  assert.deepEqual(always, bars.filter((b) => b.t >= at('14:35') && b.t < at('14:40')).map((b) => b.t));
});
