import test from 'node:test';
import assert from 'node:assert/strict';
import type { Bar } from '../../domain/market/bar';
import { evaluateStopBar, marketFillPrice, stopEvaluationBars, withSlippage } from '../../domain/market/fillModel';
import { BarTimeline, visibleFromMs } from '../../domain/emulator/timeline';
import { MarketEngine, type EngineConfig } from '../../domain/emulator/engine';
import { emulatorClock, nextOpenClose, sessionPhase } from '../../domain/emulator/clock';
import { quoteFromBar } from '../../domain/emulator/quotes';

// The pure core of the market emulator: fill model, bar visibility, the engine's market-hours rules.

const DATE = '2025-04-09'; // EDT: the session is 13:30-20:00 UTC
const at = (hhmm: string, sec = 0) => Date.parse(`${DATE}T${hhmm}:00Z`) + sec * 1000;
const bar = (hhmm: string, o: number, h: number, l: number, c: number): Bar => ({ t: at(hhmm), o, h, l, c, v: 1000 });

// 14:03 has no trades: there is no bar for it.
const BARS: Bar[] = [
  bar('13:30', 100, 101, 99.5, 100.5),
  bar('14:00', 100, 100.4, 99.8, 100.2),
  bar('14:01', 100.2, 100.6, 100.1, 100.5),
  bar('14:02', 100.5, 101, 100.4, 100.9),
  bar('14:04', 101, 101.2, 98.9, 99.2),
  bar('14:05', 97, 97.5, 96.5, 97.2),
  bar('19:59', 99, 99.5, 98.8, 99.1),
];

function engine(over: Partial<EngineConfig> = {}, startMs = at('13:20')): { e: MarketEngine; tl: BarTimeline } {
  const tl = new BarTimeline(new Map([['XYZ', BARS]]), 2000);
  const e = new MarketEngine(tl, {
    date: DATE,
    startingCash: 100_000,
    slippageBps: 0,
    partialFills: false,
    marginMultiplier: 2,
    seed: 7,
    assetOf: (s) => (s === 'XYZ' ? { symbol: s, tradable: true, shortable: false, easyToBorrow: false, fractionable: false } : null),
    startMs,
    putVolatility: () => ({ vix: null }),
    ...over,
  });
  return { e, tl };
}

const buy = (qty: number, clientOrderId = 'b1') => ({ symbol: 'XYZ', qty, side: 'buy' as const, type: 'market' as const, timeInForce: 'day' as const, clientOrderId });

test('a market order fills at the open of its minute bar, slippage against the side', () => {
  const b = marketFillPrice({ bars: BARS, m: at('14:01', 30), side: 'buy', slippageBps: 10 });
  assert.deepEqual(b, { price: 100.2 * 1.001, barStart: at('14:01') });
  const s = marketFillPrice({ bars: BARS, m: at('14:01', 30), side: 'sell', slippageBps: 10 });
  assert.equal(s?.price, 100.2 * 0.999);
  assert.equal(withSlippage(50, 'buy', 0), 50);
});

test('a minute without a bar: the order fills at the open of the next bar that exists', () => {
  const f = marketFillPrice({ bars: BARS, m: at('14:03', 10), side: 'buy', slippageBps: 0 });
  assert.deepEqual(f, { price: 101, barStart: at('14:04') });
  assert.equal(marketFillPrice({ bars: BARS, m: at('20:00'), side: 'buy', slippageBps: 0 }), null);
});

test('a sell stop triggers when the low crosses and fills at the stop; a gap fills at the open', () => {
  const hit = evaluateStopBar({ side: 'sell', kind: 'stop', stopPrice: 99 }, BARS[4]!);
  assert.deepEqual(hit, { triggered: true, price: 99, stopPrice: 99, gap: false });
  const gap = evaluateStopBar({ side: 'sell', kind: 'stop', stopPrice: 98 }, BARS[5]!);
  assert.deepEqual(gap, { triggered: true, price: 97, stopPrice: 98, gap: true });
  const miss = evaluateStopBar({ side: 'sell', kind: 'stop', stopPrice: 98 }, BARS[3]!);
  assert.equal(miss.triggered, false);
});

test('a buy stop (protecting a short) triggers on the high and gaps at the open', () => {
  assert.deepEqual(evaluateStopBar({ side: 'buy', kind: 'stop', stopPrice: 100.8 }, BARS[3]!), { triggered: true, price: 100.8, stopPrice: 100.8, gap: false });
  assert.deepEqual(evaluateStopBar({ side: 'buy', kind: 'stop', stopPrice: 100.1 }, BARS[2]!), { triggered: true, price: 100.2, stopPrice: 100.1, gap: true });
});

test('a trailing stop follows the high-water mark and triggers on the trailed level', () => {
  let s = { side: 'sell' as const, kind: 'trailing_stop' as const, trailPercent: 1, hwm: 100 };
  const r1 = evaluateStopBar(s, BARS[3]!); // high 101 raises the mark; low 100.4 stays above 99
  assert.equal(r1.triggered, false);
  if (!r1.triggered) s = { ...s, hwm: r1.next.hwm! };
  assert.equal(s.hwm, 101);
  const r2 = evaluateStopBar(s, BARS[4]!); // level 99.99; low 98.9 crosses; open 101 is above it
  assert.equal(r2.triggered, true);
  if (r2.triggered) {
    assert.ok(Math.abs(r2.price - 99.99) < 1e-9);
    assert.equal(r2.gap, false);
  }
});

test('stops see only bars starting after placement and completed by now', () => {
  const list = stopEvaluationBars(BARS, at('14:00', 30), at('14:04', 59));
  assert.deepEqual(list.map((b) => b.t), [at('14:01'), at('14:02')]);
});

test('a bar becomes visible publishDelayMs after its minute ends; a minute without trades never has one', () => {
  const tl = new BarTimeline(new Map([['XYZ', BARS]]), 2000);
  assert.equal(visibleFromMs(at('14:02'), 2000), at('14:03', 2));
  assert.equal(tl.latestVisible('XYZ', at('14:03', 1))?.t, at('14:01'));
  assert.equal(tl.latestVisible('XYZ', at('14:03', 2))?.t, at('14:02'));
  assert.equal(tl.latestVisible('XYZ', at('14:05'))?.t, at('14:02'));
  assert.equal(tl.barAt('XYZ', at('14:03')), null);
  assert.deepEqual(tl.visible('XYZ', at('14:06', 3), at('14:00')).map((b) => b.t), [at('14:00'), at('14:01'), at('14:02'), at('14:04'), at('14:05')]);
});

test('an order received after the close is accepted, never fills, and is counted after the close', () => {
  const { e } = engine({}, at('19:58'));
  const r = e.submit(buy(5, 'late'), at('20:00', 1));
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.equal(r.order.status, 'accepted');
  e.advanceTo(at('23:00'));
  assert.equal(e.order(r.order.id)?.status, 'accepted');
  assert.equal(e.order(r.order.id)?.filledQty, 0);
  assert.deepEqual(e.receivedAfter(at('20:00')).map((x) => x.clientOrderId), ['late']);
  assert.deepEqual(e.positions(), []);
});

test('an order received before the open waits for it and fills at the open bar', () => {
  const { e } = engine();
  const r = e.submit(buy(10), at('13:25'));
  assert.equal(r.ok && r.order.status, 'accepted');
  e.advanceTo(at('13:31'));
  const o = r.ok ? e.order(r.order.id) : null;
  assert.equal(o?.status, 'filled');
  assert.equal(o?.filledAvgPrice, 100);
  assert.equal(o?.filledMs, at('13:30'));
});

test('during hours a market order fills at once with filled_at = receipt; cash and position follow', () => {
  const { e } = engine({ slippageBps: 10 });
  const r = e.submit(buy(10), at('14:01', 30));
  assert.ok(r.ok);
  assert.equal(r.order.status, 'filled');
  assert.equal(r.order.filledMs, at('14:01', 30));
  assert.ok(Math.abs(e.values(at('14:01', 30)).cash - (100_000 - 10 * 100.2 * 1.001)) < 1e-6);
  assert.equal(e.position('XYZ')?.qty, 10);
});

test('a protective stop triggers on a later bar, at the bar end; its own bar is not evaluated', () => {
  const { e } = engine();
  e.submit(buy(10), at('14:04', 10));
  // The 14:04 bar's low (98.9) crosses 99, but the stop was placed during it.
  const s = e.submit({ symbol: 'XYZ', qty: 10, side: 'sell', type: 'stop', stopPrice: 99, timeInForce: 'day', clientOrderId: 's1' }, at('14:04', 20));
  assert.ok(s.ok);
  e.advanceTo(at('14:05', 59));
  assert.equal(e.order(s.order.id)?.status, 'new');
  e.advanceTo(at('14:06'));
  const done = e.order(s.order.id)!;
  assert.equal(done.status, 'filled');
  assert.equal(done.filledAvgPrice, 97); // the 14:05 bar opened below the stop: gap fill at its open
  assert.equal(done.filledMs, at('14:06'));
  assert.equal(e.position('XYZ'), null);
});

test('a stop holding the shares makes a second exit a 403 insufficient qty; no short of a non-shortable asset', () => {
  const { e } = engine();
  e.submit(buy(10), at('14:00', 5));
  e.submit({ symbol: 'XYZ', qty: 10, side: 'sell', type: 'stop', stopPrice: 90, timeInForce: 'day', clientOrderId: 's1' }, at('14:00', 6));
  const exit = e.submit({ ...buy(10, 'x1'), side: 'sell' }, at('14:00', 7));
  assert.equal(exit.ok, false);
  if (!exit.ok) assert.deepEqual([exit.status, exit.code, /insufficient qty available/.test(exit.message)], [403, 40310000, true]);
  const { e: flat } = engine();
  const short = flat.submit({ ...buy(1, 'sh'), side: 'sell' }, at('14:00', 7));
  assert.equal(!short.ok && short.status, 422);
  const big = flat.submit(buy(5000, 'big'), at('14:00', 8));
  assert.equal(!big.ok && big.message, 'insufficient buying power');
});

test('a duplicate client order id is refused with 422', () => {
  const { e } = engine();
  e.submit(buy(1, 'dup'), at('14:00', 5));
  const again = e.submit(buy(1, 'dup'), at('14:00', 6));
  assert.equal(!again.ok && `${again.status} ${again.message}`, '422 client_order_id must be unique');
});

test('partial fills: half at once, the rest at the next bar open', () => {
  const { e } = engine({ partialFills: true });
  const r = e.submit(buy(10), at('14:00', 30));
  assert.ok(r.ok);
  assert.equal(r.order.status, 'partially_filled');
  assert.equal(r.order.filledQty, 5);
  e.advanceTo(at('14:01', 1));
  assert.equal(r.order.status, 'filled');
  assert.deepEqual(r.order.fills.map((f) => [f.qty, f.price]), [[5, 100], [5, 100.2]]);
});

test('the close records positions and working orders, then day orders expire', () => {
  const { e } = engine();
  e.submit(buy(3), at('19:59', 10));
  const s = e.submit({ symbol: 'XYZ', qty: 3, side: 'sell', type: 'stop', stopPrice: 50, timeInForce: 'day', clientOrderId: 's1' }, at('19:59', 20));
  e.advanceTo(at('20:05'));
  assert.deepEqual(e.closeSnapshot?.positions.map((p) => [p.symbol, p.qty]), [['XYZ', 3]]);
  assert.deepEqual(e.closeSnapshot?.workingOrders.map((o) => o.clientOrderId), ['s1']);
  assert.equal(s.ok && e.order(s.order.id)?.status, 'expired');
});

test('clock: default two minutes before the open; phases and next open/close', () => {
  const c = emulatorClock(DATE, 1_000, 60);
  assert.deepEqual(c, { anchorRealMs: 1_000, anchorMarketMs: at('13:28'), speed: 60 });
  assert.equal(sessionPhase(at('13:29')), 'before_open');
  assert.equal(sessionPhase(at('13:30')), 'open');
  assert.equal(sessionPhase(at('20:00')), 'after_close');
  assert.deepEqual(nextOpenClose(at('14:00')), { nextOpenMs: Date.parse('2025-04-10T13:30:00Z'), nextCloseMs: at('20:00') });
  // Day after Thanksgiving 2025 closes at 13:00 New York (18:00 UTC).
  assert.equal(nextOpenClose(Date.parse('2025-11-28T15:00:00Z')).nextCloseMs, Date.parse('2025-11-28T18:00:00Z'));
});

test('quotes: the latest bar close is the mid; overrides make a quote wide or one-sided', () => {
  const q = quoteFromBar(BARS[1]!, 2);
  assert.ok(q.bid < 100.2 && q.ask > 100.2 && q.ask - q.bid <= 0.04);
  assert.equal(quoteFromBar(BARS[1]!, 2, { bid: 0 }).bid, 0);
  const wide = quoteFromBar(BARS[1]!, 2, { spreadBps: 200 });
  assert.ok(wide.ask - wide.bid >= 1.9);
});
