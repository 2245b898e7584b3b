import { test } from 'node:test';
import assert from 'node:assert/strict';
import { botConfigSchema, type BotConfig } from '../../domain/config/botConfigSchema';
import type { Bar } from '../../domain/market/bar';
import { openTiming, sessionWindowFor } from '../../domain/market/sessionWindow';
import { SessionTracker } from '../../domain/strategies/sessionTracker';
import { CloseMomentumFadeRules, closeMomentumFade } from '../../domain/strategies/closeMomentumFade';
import { openRangeBreakout } from '../../domain/strategies/openRangeBreakout';
import { replayByClock, runTracker, simulateSymbolDay } from '../../domain/strategies/simulate';
import { getStrategy } from '../../domain/strategies/strategies';
import { VwapMeanReversionRules, vwapMeanReversion } from '../../domain/strategies/vwapMeanReversion';

/**
 * Synthetic days pinning the settled edge cases of the strategies (README.md, "Strategies": windows, 16:00
 * bar, early close, end of data, strict comparisons, exit order) on the tracker, and its live-path behaviour
 * (onTime).
 */

const cfg = (keys: Record<string, string> = {}): BotConfig => botConfigSchema.parse(keys);
const at = (date: string, hhmm: string) => Date.parse(`${date}T${hhmm}:00Z`);
const flat = (date: string, hhmm: string, price: number, v = 1000): Bar => ({
  t: at(date, hhmm),
  o: price,
  h: price,
  l: price,
  c: price,
  v,
});
const withClose = (b: Bar, c: number): Bar => ({ ...b, c, h: Math.max(b.h, c), l: Math.min(b.l, c) });
function minutes(date: string, from: string, to: string, price: (i: number) => number): Bar[] {
  const out: Bar[] = [];
  for (let t = at(date, from), i = 0; t <= at(date, to); t += 60_000, i++) {
    out.push(flat(date, new Date(t).toISOString().slice(11, 16), price(i)));
  }
  return out;
}
const iso = (ms: number) => new Date(ms).toISOString().slice(11, 16);

// Summer date: session 13:30Z-20:00Z. OPEN window with S=19:30, A=20, B=10: analysis [19:30,19:50), entry [19:50,20:00).
const D = '2025-06-10';
const late = cfg({ START_TIME_OPEN: '19:30', OPEN_ANALYSIS_TIME: '20', OPEN_BREAKOUT_TIME: '10', STRAT_OPEN_BUFFER: '0.01' });

void test('OPEN: entry at 19:59, the 16:00 (20:00Z) bar is not managed: exit at the entry bar close, market_close', () => {
  const bars = [...minutes(D, '19:30', '19:58', () => 100), flat(D, '19:59', 102), flat(D, '20:00', 50)];
  const trades = simulateSymbolDay(openRangeBreakout, late, {}, 'X', D, bars);
  assert.equal(trades.length, 1);
  const t = trades[0]!;
  assert.equal(iso(t.entryTime), '19:59');
  assert.equal(iso(t.exitTime), '19:59');
  assert.equal(t.exitPrice, 102);
  assert.equal(t.exitReason, 'market_close');
  // Without the 20:00 bar the window is still complete at the end of data: market_close, not no_more_bars.
  assert.equal(simulateSymbolDay(openRangeBreakout, late, {}, 'X', D, bars.slice(0, -1))[0]!.exitReason, 'market_close');
});

void test('OPEN: half-open windows; the bar at S+A+B is no entry; range bars are [S, S+A)', () => {
  // A huge bar at 19:29 is outside the range; a bar at 20:00 would break out but is after the window.
  const bars = [flat(D, '19:29', 500), ...minutes(D, '19:30', '19:59', () => 100)];
  const c = cfg({ START_TIME_OPEN: '19:30', OPEN_ANALYSIS_TIME: '10', OPEN_BREAKOUT_TIME: '10', STRAT_OPEN_BUFFER: '0.01' });
  // Entry window [19:40, 19:50): a breakout at 19:40 enters, one at 19:50 does not.
  const at1940 = bars.map((b) => (iso(b.t) === '19:40' ? withClose(b, 102) : b));
  assert.equal(iso(simulateSymbolDay(openRangeBreakout, c, {}, 'X', D, at1940)[0]!.entryTime), '19:40');
  const at1950 = bars.map((b) => (iso(b.t) === '19:50' ? withClose(b, 102) : b));
  assert.deepEqual(simulateSymbolDay(openRangeBreakout, c, {}, 'X', D, at1950), []);
  // The bar at 19:39 (last analysis bar) widens the range: 102 is no breakout of a 101.5 high x 1.01.
  const wide = at1940.map((b) => (iso(b.t) === '19:39' ? { ...b, h: 101.5 } : b));
  assert.deepEqual(simulateSymbolDay(openRangeBreakout, c, {}, 'X', D, wide), []);
});

void test('OPEN: strict entry comparison, trailing stop at equality', () => {
  const c = cfg({ START_TIME_OPEN: '14:30', OPEN_ANALYSIS_TIME: '5', OPEN_BREAKOUT_TIME: '5', STRAT_OPEN_BUFFER: '0.02' });
  const base = minutes(D, '14:30', '15:30', () => 100);
  const line = 100 * (1 + 0.02);
  const equal = base.map((b) => (iso(b.t) === '14:35' ? withClose(b, line) : b));
  assert.deepEqual(simulateSymbolDay(openRangeBreakout, c, {}, 'X', D, equal), [], 'close == high x (1 + buffer) is no entry');
  // Enter at 14:36 (close 110), best close 120 at 14:40, then a close exactly at 120 x (1 - 0.02).
  const path: Record<string, number> = { '14:36': 110, '14:37': 115, '14:40': 120, '14:41': 120 * (1 - 0.02) };
  const bars = base.map((b) => (path[iso(b.t)] !== undefined ? withClose(b, path[iso(b.t)]!) : b));
  // Between the marked minutes the close stays at the last marked level (so no earlier stop).
  let last = 100;
  const filled = bars.map((b) => {
    if (path[iso(b.t)] !== undefined) last = path[iso(b.t)]!;
    else if (b.t > at(D, '14:36')) return withClose(b, last);
    return b;
  });
  const [t] = simulateSymbolDay(openRangeBreakout, c, {}, 'X', D, filled);
  assert.equal(t!.side, 'long');
  assert.equal(iso(t!.entryTime), '14:36');
  assert.equal(iso(t!.exitTime), '14:41');
  assert.equal(t!.exitReason, 'trailing_stop');
});

void test('exit rules are never checked on the entry bar; hold limit counts from the entry bar start', () => {
  const c = cfg({
    START_TIME_OPEN: '14:30',
    OPEN_ANALYSIS_TIME: '5',
    OPEN_BREAKOUT_TIME: '5',
    OPEN_MONITORING_TIME: '10',
    STRAT_OPEN_BUFFER: '0.01',
  });
  const bars = minutes(D, '14:30', '15:30', (i) => (i >= 5 ? 105 : 100));
  const [t] = simulateSymbolDay(openRangeBreakout, c, {}, 'X', D, bars);
  assert.equal(iso(t!.entryTime), '14:35');
  assert.equal(iso(t!.exitTime), '14:45', 'last managed bar is entry + M');
  assert.equal(t!.exitReason, 'hold_limit');
  // Missing minutes at the end of the window: exit at the last managed bar present, still hold_limit.
  const gappy = bars.filter((b) => !['14:44', '14:45'].includes(iso(b.t)));
  const [g] = simulateSymbolDay(openRangeBreakout, c, {}, 'X', D, gappy);
  assert.equal(iso(g!.exitTime), '14:43');
  assert.equal(g!.exitReason, 'hold_limit');
  // Data ending inside the window: no_more_bars at the last bar.
  const cut = bars.filter((b) => b.t <= at(D, '14:41'));
  const [n] = simulateSymbolDay(openRangeBreakout, c, {}, 'X', D, cut);
  assert.equal(iso(n!.exitTime), '14:41');
  assert.equal(n!.exitReason, 'no_more_bars');
  // No managed bar at all before the data ends: exit is the entry bar's own close.
  const only = bars.filter((b) => b.t <= at(D, '14:35'));
  const [o] = simulateSymbolDay(openRangeBreakout, c, {}, 'X', D, only);
  assert.equal(o!.exitTime, o!.entryTime);
  assert.equal(o!.exitReason, 'no_more_bars');
  // Rules that always want out: the exit still comes on the first managed bar, not the entry bar.
  const window = sessionWindowFor(D, openTiming(c));
  const eager = new SessionTracker('X', D, window, {
    observe: () => undefined,
    entry: () => ({ side: 'long', strength: 0 }),
    exit: () => 'stop_loss',
  });
  const [e] = runTracker(eager, 'open', bars);
  assert.equal(iso(e!.entryTime), '14:35');
  assert.equal(iso(e!.exitTime), '14:36');
  assert.equal(e!.exitReason, 'stop_loss');
});

void test('early close (2025-07-03, C = 17:00Z): hold past C ends at 16:59 with market_close', () => {
  const E = '2025-07-03';
  const c = cfg({ START_TIME_OPEN: '16:30', OPEN_ANALYSIS_TIME: '10', OPEN_BREAKOUT_TIME: '10', STRAT_OPEN_BUFFER: '0.01' });
  const bars = minutes(E, '16:30', '17:30', (i) => (i >= 12 ? 103 : 100));
  const [t] = simulateSymbolDay(openRangeBreakout, c, {}, 'X', E, bars);
  assert.equal(iso(t!.entryTime), '16:42');
  assert.equal(iso(t!.exitTime), '16:59');
  assert.equal(t!.exitReason, 'market_close');
  // An entry window entirely after the early close gives nothing.
  const after = cfg({ START_TIME_OPEN: '16:55', OPEN_ANALYSIS_TIME: '5', OPEN_BREAKOUT_TIME: '10', STRAT_OPEN_BUFFER: '0.01' });
  const bars2 = minutes(E, '16:55', '17:30', (i) => (i >= 5 ? 103 : 100));
  assert.deepEqual(simulateSymbolDay(openRangeBreakout, after, {}, 'X', E, bars2), []);
});

void test('closed day: the tracker is done at once', () => {
  const tr = openRangeBreakout.createTracker('X', '2025-07-04', cfg(), {});
  assert.equal(tr.done, true);
  assert.equal(tr.onBar(flat('2025-07-04', '14:30', 1)), null);
});

void test('MID: no entry before ADX(14) is warmed up (28 session bars)', () => {
  // Session from 13:30Z; S = 13:30, A = 10: entry window [13:40, 13:50) is before ADX has 28 bars: no entry.
  const c = cfg({ START_TIME_MID: '13:30', MID_ANALYSIS_TIME: '10', MID_BREAKOUT_TIME: '10', STRAT_MID_VWAP_THRESHOLD: '0.001' });
  const bars = minutes(D, '13:30', '14:30', (i) => (i === 12 ? 90 : 100));
  assert.deepEqual(simulateSymbolDay(vwapMeanReversion, c, {}, 'X', D, bars), []);
  const tracker = vwapMeanReversion.createTracker('X', D, c, {});
  for (const b of bars) assert.equal(tracker.onBar(b), null);
});

void test('CLOSE: the VIX gate blocks at or below the threshold, and warns and allows without VIX', () => {
  const c = cfg();
  assert.equal(closeMomentumFade.createTracker('X', D, c, { vixPrevClose: 15 }).done, true, 'VIX == threshold blocks');
  assert.equal(closeMomentumFade.createTracker('X', D, c, { vixPrevClose: 15.01 }).done, false);
  assert.equal(closeMomentumFade.createTracker('X', D, c, { vixPrevClose: null }).done, false);
  const check = closeMomentumFade.selfCheck(c, { vixPrevClose: null });
  assert.equal(check.ok, true);
  assert.match(check.warnings.join('\n'), /VIX unavailable/);
  assert.match(closeMomentumFade.selfCheck(c, { vixPrevClose: 12 }).warnings.join('\n'), /VIX gate closed/);
});

void test('selfCheck reports bad timing as problems and DST misalignment as warnings', () => {
  const bad = cfg({ START_TIME_OPEN: '23:50', OPEN_ANALYSIS_TIME: '20' });
  const r = openRangeBreakout.selfCheck(bad, {});
  assert.equal(r.ok, false);
  assert.match(r.problems[0]!, /ends after 24:00 UTC/);
  const summer = getStrategy('open').selfCheck(cfg(), { date: '2025-06-10' });
  assert.equal(summer.ok, true);
  assert.match(summer.warnings[0]!, /10:30 New York \(EDT\)/);
  assert.deepEqual(getStrategy('open').selfCheck(cfg(), { date: '2025-01-10' }).warnings, []);
  assert.deepEqual(getStrategy('open').selfCheck(cfg({ SESSION_TIME_ANCHOR: 'exchange' }), { date: '2025-06-10' }).warnings, []);
});

void test('live path: onTime closes a position when the hold window has passed with no further bar', () => {
  const c = cfg({ START_TIME_OPEN: '14:30', OPEN_ANALYSIS_TIME: '5', OPEN_BREAKOUT_TIME: '5', OPEN_MONITORING_TIME: '10', STRAT_OPEN_BUFFER: '0.01' });
  const bars = minutes(D, '14:30', '14:38', (i) => (i >= 5 ? 105 : 100));
  const tr = openRangeBreakout.createTracker('X', D, c, {});
  const decisions = bars.map((b) => tr.onBar(b));
  assert.equal(decisions[5]?.kind, 'entry');
  // Hold window ends with the bar starting 14:45; bars starting before now - 1 min are all delivered.
  assert.equal(tr.onTime(at(D, '14:46')), null, 'the 14:45 bar may still come');
  const exit = tr.onTime(at(D, '14:46') + 1);
  assert.deepEqual(exit, { kind: 'exit', reason: 'hold_limit', price: 105, barStart: at(D, '14:38') });
  assert.equal(tr.done, true);
  assert.equal(tr.position, null);
  // Entry window passing without an entry ends the tracker.
  const idle = openRangeBreakout.createTracker('X', D, c, {});
  for (const b of minutes(D, '14:30', '14:36', () => 100)) idle.onBar(b);
  idle.onTime(at(D, '14:40'));
  assert.equal(idle.done, false, 'the 14:39 bar may still come');
  idle.onTime(at(D, '14:41'));
  assert.equal(idle.done, true);
});

void test('cancelEntry: no second entry in the session; repeated and foreign-date bars are ignored', () => {
  const c = cfg({ START_TIME_OPEN: '14:30', OPEN_ANALYSIS_TIME: '5', OPEN_BREAKOUT_TIME: '5', STRAT_OPEN_BUFFER: '0.01' });
  const bars = minutes(D, '14:30', '14:45', (i) => (i >= 5 ? 105 : 100));
  const tr = openRangeBreakout.createTracker('X', D, c, {});
  let entries = 0;
  for (const b of bars) {
    const d = tr.onBar(b);
    if (d?.kind === 'entry') {
      entries++;
      tr.cancelEntry();
    }
  }
  assert.equal(entries, 1);
  assert.equal(tr.done, true);
  assert.equal(tr.position, null);

  const twice = openRangeBreakout.createTracker('X', D, c, {});
  const once = runTracker(openRangeBreakout.createTracker('X', D, c, {}), 'open', bars);
  const doubled = bars.flatMap((b) => [b, b, flat('2025-06-11', '14:30', 1)]);
  assert.deepEqual(runTracker(twice, 'open', doubled), once);
  assert.deepEqual(replayByClock(openRangeBreakout.createTracker('X', D, c, {}), 'open', bars), once);
});

void test('MID: long on a drop below VWAP and the lower band in a trendless session; VWAP touch or stop', () => {
  const c = cfg({ START_TIME_MID: '14:00', MID_ANALYSIS_TIME: '10', MID_BREAKOUT_TIME: '10', STRAT_MID_VWAP_THRESHOLD: '0.005' });
  // 40 zigzag bars from the 13:30Z open: ADX stays low, VWAP about 100.
  const zigzag = minutes(D, '13:30', '14:09', (i) => (i % 2 === 0 ? 100.1 : 99.9)).map((b) => ({ ...b, h: b.c + 0.05, l: b.c - 0.05 }));
  const drop: Bar = { t: at(D, '14:10'), o: 99.9, h: 99.9, l: 97, c: 97, v: 1000 };
  const after = (closes: number[]) => closes.map((cl, i) => flat(D, iso(at(D, '14:11') + i * 60_000), cl));
  const touch = simulateSymbolDay(vwapMeanReversion, c, {}, 'X', D, [...zigzag, drop, ...after([98, 101, 101])]);
  assert.equal(touch.length, 1);
  assert.equal(touch[0]!.side, 'long');
  assert.equal(iso(touch[0]!.entryTime), '14:10');
  assert.equal(iso(touch[0]!.exitTime), '14:12');
  assert.equal(touch[0]!.exitReason, 'vwap_touch');
  const stop = simulateSymbolDay(vwapMeanReversion, c, {}, 'X', D, [...zigzag, drop, ...after([96, 97 * (1 - 0.015), 90])]);
  assert.equal(iso(stop[0]!.exitTime), '14:12', 'stop at equality with entry x (1 - 0.015)');
  assert.equal(stop[0]!.exitReason, 'stop_loss');
  // A steady trend instead of a zigzag: ADX above 25 blocks the same drop.
  const trend = minutes(D, '13:30', '14:09', (i) => 100 + i * 0.2).map((b) => ({ ...b, h: b.c + 0.05, l: b.c - 0.05 }));
  const dropAfterTrend: Bar = { t: at(D, '14:10'), o: 107.8, h: 107.8, l: 90, c: 90, v: 1000 };
  assert.deepEqual(simulateSymbolDay(vwapMeanReversion, c, {}, 'X', D, [...trend, dropAfterTrend]), []);
});

// The real-data golden files never hit an exact equality, so the settled strict / at-equality rules are
// pinned here on constructed bars.
void test('equality rules: MID VWAP touch and CLOSE stop trigger at equality', () => {
  const mid = new VwapMeanReversionRules(0.01);
  mid.observe(flat(D, '13:30', 100, 5), true);
  const pos = { side: 'long' as const, entryPrice: 99, entryBarStart: at(D, '13:30') };
  const touch = flat(D, '13:31', 100, 7);
  mid.observe(touch, true);
  assert.equal(mid.exit(touch, pos), 'vwap_touch', 'close == VWAP touches');
  const close = new CloseMomentumFadeRules(10 * 60_000, 'auto', 2, 0.01);
  const long = { side: 'long' as const, entryPrice: 100, entryBarStart: 0 };
  const short = { side: 'short' as const, entryPrice: 100, entryBarStart: 0 };
  assert.equal(close.exit(flat(D, '19:41', 100 * (1 - 0.02)), long), 'stop_loss');
  assert.equal(close.exit(flat(D, '19:41', 100 * (1 + 0.02)), short), 'stop_loss');
  assert.equal(close.exit(flat(D, '19:41', 98.01), long), null);
});

void test('CLOSE strictness: day move at equality enters, a zero window move does not', () => {
  // 25 session bars from the 13:30Z open: first open 100, closes 140, last (13:54) close 150.
  const day = (last: number, rest = 140): Bar[] =>
    minutes(D, '13:30', '13:54', (i) => (i === 24 ? last : rest)).map((b, i) => (i === 0 ? { ...b, o: 100, l: 100 } : b));
  const c = (keys: Record<string, string>) =>
    cfg({ START_TIME_CLOSE: '13:30', CLOSE_ANALYSIS_TIME: '10', CLOSE_BREAKOUT_TIME: '30', ...keys });
  const momentum = c({ STRAT_CLOSE_MODE: 'momentum', CLOSE_MOMENTUM_MIN_MOVE: '0.5' });
  // 150 / 100 - 1 is exactly 0.5.
  const [t] = simulateSymbolDay(closeMomentumFade, momentum, { vixPrevClose: null }, 'X', D, day(150));
  assert.equal(t?.side, 'long');
  assert.equal(iso(t!.entryTime), '13:54');
  const higher = c({ STRAT_CLOSE_MODE: 'momentum', CLOSE_MOMENTUM_MIN_MOVE: '0.5000001' });
  assert.deepEqual(simulateSymbolDay(closeMomentumFade, higher, { vixPrevClose: null }, 'X', D, day(150)), []);
  // Window move exactly 0 (the reference close is 150 too): no momentum entry.
  assert.deepEqual(simulateSymbolDay(closeMomentumFade, momentum, { vixPrevClose: null }, 'X', D, day(150, 150)), []);
  // Fade with K = 0 on a flat session: a zero window move is no spike either way, though the close sits on both bands.
  const fade = c({ STRAT_CLOSE_MODE: 'fade', CLOSE_FADE_SPIKE_STD: '0' });
  assert.deepEqual(simulateSymbolDay(closeMomentumFade, fade, { vixPrevClose: null }, 'X', D, day(140)), []);
  // ... and one tick up is a spike up at/above the upper band: a short.
  const [f] = simulateSymbolDay(closeMomentumFade, fade, { vixPrevClose: null }, 'X', D, day(140.01));
  assert.equal(f?.side, 'short');
});
