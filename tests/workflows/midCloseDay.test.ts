import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadMinuteBars } from '../../activities/marketData/minuteBarCsv';
import { readTradeHistory } from '../../activities/outputs/tradeHistory';
import type { BotConfig } from '../../domain/config/botConfigSchema';
import { roomyLimits } from '../../scripts/drill/plan';
import {
  DAY_BARS_DIR,
  dayTradeKeys,
  replayDayInput,
  simulatedDayTrades,
  startDay,
  startDayHarness,
  testConfig,
  type DayHarness,
} from '../helpers/tradingDayHarness';
import type { StrategyName } from '../../domain/vocabulary';

/**
 * Compressed TEST_MODE MID and CLOSE days on the real dev server: the trades the day workflow records
 * (underlying, side, entry and exit bar, signal price, exit reason) equal the strategy's own simulation on
 * the same real bars, as tradingDay.test.ts shows for OPEN.
 *
 * Days chosen with simulateSymbolDay over the shared data (and matching ../shared/expected); the replay
 * reads those days' bars from the committed cut tests/fixtures/days:
 * - MID 2026-03-13 with STRAT_MID_VWAP_THRESHOLD=0.005: 19 signals on the 43 stocks and ETFs with data
 *   (signals_mid_loose.csv lists the same 19); the test trades 15 of those symbols, which give 9 signals
 *   (6 long, 3 short) with exits by vwap_touch and hold_limit;
 * - CLOSE 2025-04-09, default keys (VIX 52.33 the day before, above the gate of 15): 13 signals, exits by
 *   stop_loss and market_close at the 19:59 bar (signals_close_default.csv lists the same 13).
 * Risk limits are roomy so that every signal trades and the comparison is one to one; screening bands are
 * wide open so that the comparison holds once the session screens its universe.
 */

// Every signal gets a slot, so the day can be compared with the strategy's simulation.
const roomy = (strategy: StrategyName, slots: number): Record<string, string> => ({ STRATEGY_OVERRIDE: strategy, ...roomyLimits(slots) });

const MID_DATE = '2026-03-13';
const CLOSE_DATE = '2025-04-09';

// A third of that day's universe, so the day stays well under a minute (each trade is about a dozen
// activities and signals, ~1 s on the dev server): every short, the vwap_touch exit, symbols with missing
// minutes (ARM, BILI, KWEB and, without a signal, ASML and PDD) and a few without any signal.
const MID_UNIVERSE = ['AAPL', 'ARM', 'ASML', 'BILI', 'INTC', 'KWEB', 'MU', 'NVDA', 'PDD', 'QQQ', 'RIVN', 'RKLB', 'SOXS', 'SPY', 'UVXY'];
// Every symbol of the shared data with bars on that date (all of them are in the cut).
const CLOSE_UNIVERSE = ['ERX', 'ERY', 'FAS', 'FAZ', 'SDS', 'SPY', 'SQQQ', 'SSO', 'SVIX', 'TNA', 'TQQQ', 'TZA', 'UVXY'];
const data = loadMinuteBars(DAY_BARS_DIR, { symbols: [...new Set([...MID_UNIVERSE, ...CLOSE_UNIVERSE])] });

/**
 * One worker, task queue and account workflow per day: the account refuses a request for a date before the
 * latest it has seen (`stale_date`, as it must live), so days of different dates cannot share one.
 */
function harnessFor(prefix: string, symbols: readonly string[]) {
  const ref: { h: DayHarness | null } = { h: null };
  before(async () => {
    ref.h = await startDayHarness({ symbols, prefix });
  });
  after(async () => {
    await ref.h?.stop();
  });
  return () => ref.h as DayHarness;
}

async function runDay(h: DayHarness, strategy: StrategyName, date: string, config: BotConfig, universe: readonly string[], marketStart: string, speed: number) {
  const workflowId = `test-day-${strategy}-${Date.now()}`;
  const handle = await startDay(h, replayDayInput({ date, config, universe, marketStart, speed }), workflowId);
  const summary = await handle.result();
  assert.equal(summary.mode, 'paper');
  assert.equal(summary.halted, false, summary.haltReason ?? '');
  const trades = readTradeHistory(h.outputDir, 'paper').filter((t) => t.tradeId.startsWith(workflowId));
  const actual = dayTradeKeys(trades);
  for (const t of trades) {
    assert.equal(t.strategy_name, strategy);
    assert.equal(t.mode, 'paper');
    assert.ok(t.size > 0, `${t.underlying} size`);
    assert.equal(t.error_code, null, `${t.underlying} error`);
  }
  return { trades, actual };
}

describe('MID trading day on the real dev server', () => {
  const harness = harnessFor('mid', MID_UNIVERSE);
  before(() => {
    for (const s of MID_UNIVERSE) assert.ok(data.bars.get(s)?.has(MID_DATE), `${s} has bars on ${MID_DATE}`);
  });

  test('MID (VWAP mean reversion): a compressed TEST_MODE day gives the same trades as the simulation', async () => {
    // ShortSell: with the default InverseETF the three shorts (RKLB, SOXS, UVXY) resolve to SH through the
    // index fallback, and SH has no bars in the shared data, so they would be refused for want of a price.
    const config = testConfig({ ...roomy('mid', 20), STRAT_MID_VWAP_THRESHOLD: '0.005', SHORT_TYPE_MID: 'ShortSell' });
    const expected = simulatedDayTrades('mid', config, MID_DATE, MID_UNIVERSE);
    assert.equal(expected.length, 9, 'the chosen symbols have 9 MID signals that day');
    assert.deepEqual(new Set(expected.map((t) => t.exit_reason)), new Set(['hold_limit', 'vwap_touch']));
    assert.equal(expected.filter((t) => t.side === 'short').length, 3);

    // MID starts at 15:30 UTC and holds at most 45 minutes after the 15:40-15:49 entries: about 70 market
    // minutes, 9 s at 480x; the trades' activities take about as long again.
    const { trades, actual } = await runDay(harness(), 'mid', MID_DATE, config, MID_UNIVERSE, `${MID_DATE}T15:28:00Z`, 480);
    assert.deepEqual(actual, expected);
    for (const t of trades) {
      if (t.side === 'short') {
        assert.equal(t.instrument, 'short_stock');
        assert.equal(t.ticker, t.underlying);
      } else {
        assert.equal(t.instrument, 'stock');
        // Long stock fills at the signal bar's close in the simulator.
        assert.equal(t.entry_price, t.signal_price);
      }
    }
    const log = fs.readFileSync(path.join(harness().outputDir, 'logs', 'mid_paper.log'), 'utf8');
    assert.match(log, /"event":"entry"/);
  });
});

describe('CLOSE trading day on the real dev server', () => {
  const harness = harnessFor('close', CLOSE_UNIVERSE);
  before(() => {
    for (const s of CLOSE_UNIVERSE) assert.ok(data.bars.get(s)?.has(CLOSE_DATE), `${s} has bars on ${CLOSE_DATE}`);
  });

  test('CLOSE (momentum or fade): a compressed TEST_MODE day gives the same trades as the simulation', async () => {
    const config = testConfig(roomy('close', 16));
    const expected = simulatedDayTrades('close', config, CLOSE_DATE, CLOSE_UNIVERSE);
    assert.equal(expected.length, 13, 'the chosen day has 13 CLOSE signals');
    assert.deepEqual(new Set(expected.map((t) => t.exit_reason)), new Set(['market_close', 'stop_loss']));

    // CLOSE starts at 19:30 UTC; its positions leave at the 19:59 bar before the 20:00 close (32 market
    // minutes, 4 s at 480x; the 13 trades' activities take most of the time).
    const { trades, actual } = await runDay(harness(), 'close', CLOSE_DATE, config, CLOSE_UNIVERSE, `${CLOSE_DATE}T19:28:00Z`, 480);
    assert.deepEqual(actual, expected);
    for (const t of trades) {
      // SHORT_TYPE_CLOSE=LongPut: bearish signals buy a put on the underlying.
      assert.equal(t.instrument, t.side === 'short' ? 'put' : 'stock');
      if (t.side === 'short') assert.match(t.ticker, new RegExp(`^${t.underlying}\\s*\\d{6}P\\d{8}$`));
    }
    const log = fs.readFileSync(path.join(harness().outputDir, 'logs', 'close_paper.log'), 'utf8');
    assert.match(log, /"event":"entry"/);
  });
});
