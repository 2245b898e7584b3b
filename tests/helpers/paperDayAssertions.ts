import assert from 'node:assert/strict';
import { loadMinuteBars } from '../../activities/marketData/minuteBarCsv';
import { parseOccSymbol } from '../../domain/instruments/occSymbol';
import { optionFillPrice } from '../../domain/emulator/options';
import { marketFillPrice } from '../../domain/market/fillModel';
import { loadVixCsv } from '../../activities/marketData/vixCsv';
import { vixCloseBefore } from '../../domain/backtest/signalAudit';
import { VIX_CUT } from './paperDayHarness';
import { MapMarket } from '../../domain/backtest/market';
import { dailyClosesOfDays, type DailyCloses } from '../../domain/market/dailyCloses';
import { putVolatilityInputs } from '../../domain/instruments/optionModelInputs';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import type { RehearsalReport } from '../../scripts/commands/emulatorDay';

/**
 * What a paper day must show (tests/workflows/paperDay.test.ts at Alpaca, ibkrPaperDay.test.ts at IBKR and
 * at both). Orders are matched by broker and client order id, since each broker is its own account at its
 * own emulator.
 */

export type Day = { readonly date: string; readonly replayDir: string };
type Order = RehearsalReport['orders'][number];

/** What every paper day must show, whatever it traded. */
export function assertCleanDay(r: RehearsalReport): void {
  assert.deepEqual(r.orders_after_close, [], 'nothing reaches the broker at or after the close');
  assert.deepEqual(r.positions_at_close, [], 'flat at the close');
  assert.deepEqual(r.working_orders_at_close, [], 'no working order at the close');
  assert.deepEqual(r.bars_missed, [], 'every bar the feed published inside a session is decided on');
  assert.equal(r.stale_entries_sent, 0, 'no entry sent on a signal older than the bound');
  assert.deepEqual(r.unexplained_exit_records, [], "exit records match the broker's fills");
  assert.deepEqual(r.failed_sessions, []);
  assert.ok(r.bars_seen > 0 && r.bars_published > 0);
}

/** No order reached a broker twice: every client order id (IBKR's orderRef) once per broker. */
export function assertNoOrderTwice(r: RehearsalReport): void {
  const seen = new Set<string>();
  for (const o of r.orders) {
    const id = `${o.broker} ${o.clientOrderId}`;
    assert.ok(!seen.has(id), `${id} reached the broker twice: ${JSON.stringify(r.orders.filter((x) => x.broker === o.broker && x.clientOrderId === o.clientOrderId))}`);
    seen.add(id);
  }
}

const STOP_REASONS = new Set(['stop_loss', 'trailing_stop']);
export const tradeKey = (t: TradeRecord) => `${t.strategy_name} ${t.underlying} ${t.entry_time}`;

const barsByDir = new Map<string, { readonly data: ReturnType<typeof loadMinuteBars>; readonly dailyCloses: DailyCloses }>();
function fixtureData(day: Day) {
  let found = barsByDir.get(day.replayDir);
  if (!found) {
    const data = loadMinuteBars(day.replayDir);
    barsByDir.set(day.replayDir, (found = { data, dailyCloses: dailyClosesOfDays(new MapMarket(data.bars)) }));
  }
  return found;
}
const fixtureBars = (day: Day, symbol: string) => fixtureData(day).data.bars.get(symbol)?.get(day.date) ?? [];
/** The put model's volatility inputs as the emulator takes them from the same bars and VIX file. */
const fixtureVolatility = (day: Day, underlying: string) => putVolatilityInputs(vixCloseBefore(loadVixCsv(VIX_CUT), day.date), underlying, day.date, fixtureData(day).dailyCloses);

/**
 * Whether the order reached the broker after the minute following its decision bar; then it must have
 * filled by the emulator's fill model at the open of the minute it arrived in (of the underlying for a put,
 * premium-modelled). The backtester's "next bar's open" is for an order that arrives within that minute.
 */
function filledLate(day: Day, t: TradeRecord, orders: readonly Order[], leg: 'entry' | 'exit'): boolean {
  const clientOrderId = t.client_order_ids[leg === 'entry' ? 0 : 1];
  const o = orders.find((x) => x.clientOrderId === clientOrderId && x.broker === t.broker);
  assert.ok(o, `order ${clientOrderId} reached the ${t.broker} emulator`);
  const decisionBarStart = Date.parse(leg === 'entry' ? t.entry_time : (t.exit_time ?? ''));
  if (o.receivedMarketMs < decisionBarStart + 2 * 60_000) return false;
  const bars = fixtureBars(day, t.instrument === 'put' ? t.underlying : t.ticker);
  const contract = t.instrument === 'put' ? parseOccSymbol(t.ticker) : null;
  const side = o.side === 'buy' ? 'buy' : 'sell';
  const fill = marketFillPrice({
    bars,
    m: o.receivedMarketMs,
    side,
    slippageBps: 0,
    priceOf: contract ? (u, barStart) => optionFillPrice(contract, side, u, barStart, fixtureVolatility(day, contract.underlying)) : undefined,
  });
  const recorded = leg === 'entry' ? t.entry_price : t.exit_price;
  assert.ok(fill !== null && Math.abs(fill.price - (recorded ?? 0)) < 1e-9, `${t.broker} ${tradeKey(t)} ${leg}: late order filled at ${recorded}, the model says ${fill?.price}`);
  return true;
}

/**
 * One broker's trades against the backtester's on the same bars with the emulator's fill model (next bar's
 * open), field by field, except where a rule names the difference:
 * - the broker's own stop closed a position: its reason, time and price are the broker's (the stop may
 *   fill after the bot's decision while the bot's exit is on its way; unexplained_exit_records checks the
 *   price); the backtester exits by the bot's rule;
 * - an order that reached the broker after the minute following its decision bar (the bot's latency at a
 *   compressed speed) fills at the open of the minute it arrived in.
 */
export function assertTradesMatchBacktest(day: Day, live: readonly TradeRecord[], backtest: readonly TradeRecord[], orders: readonly Order[]): { stopFirst: number; late: number } {
  assert.deepEqual(live.map(tradeKey).sort(), backtest.map(tradeKey).sort(), 'the same entries: session, symbol and decision bar');
  const byKey = new Map(backtest.map((t) => [tradeKey(t), t]));
  let stopFirst = 0;
  let late = 0;
  for (const t of live) {
    const b = byKey.get(tradeKey(t)) as TradeRecord;
    const what = `${t.broker} ${tradeKey(t)}`;
    assert.equal(t.side, b.side, what);
    assert.equal(t.instrument, b.instrument, what);
    assert.equal(t.ticker, b.ticker, what);
    assert.equal(t.signal_price, b.signal_price, what);
    if (filledLate(day, t, orders, 'entry')) late += 1;
    else assert.ok(Math.abs(t.entry_price - b.entry_price) < 1e-9, `${what}: entry ${t.entry_price} vs ${b.entry_price}`);
    if (STOP_REASONS.has(t.exit_reason ?? '') && t.exit_time !== b.exit_time) {
      stopFirst += 1;
      assert.ok(t.client_order_ids.length >= 2, `${what}: the stop's client order id is on the record`);
      continue;
    }
    assert.equal(t.exit_reason, b.exit_reason, what);
    assert.equal(t.exit_time, b.exit_time, what);
    if (filledLate(day, t, orders, 'exit')) late += 1;
    else assert.ok(Math.abs((t.exit_price ?? 0) - (b.exit_price ?? 0)) < 1e-9, `${what}: exit ${t.exit_price} vs ${b.exit_price}`);
  }
  return { stopFirst, late };
}

/**
 * Allocations follow from the account value: they agree while no earlier difference has moved it. Sizes
 * divide the allocation by a price: the broker's quote when the order goes out (the emulator quotes the
 * trade in progress) against the decision bar's close in the backtester, so they agree within what one
 * minute's move makes of them: 2%, plus one share for IBKR's whole shares; puts within one contract.
 */
export function assertSizesWhileAccountsAgree(live: readonly TradeRecord[], backtest: readonly TradeRecord[]): void {
  const byKey = new Map(backtest.map((t) => [tradeKey(t), t]));
  let compared = 0;
  for (const t of live) {
    const b = byKey.get(tradeKey(t)) as TradeRecord;
    if (Math.abs(t.account_value - b.account_value) > 0.005) continue;
    compared += 1;
    assert.equal(t.allocation, b.allocation, tradeKey(t));
    if (t.instrument === 'put') assert.ok(Math.abs(t.size - b.size) <= 1, `${tradeKey(t)}: ${t.size} vs ${b.size} contracts`);
    else assert.ok(Math.abs(t.size - b.size) < 0.02 * b.size + 1, `${tradeKey(t)}: size ${t.size} vs ${b.size}`);
  }
  assert.ok(compared > 0, 'at least the first trade starts from the same account value');
}
