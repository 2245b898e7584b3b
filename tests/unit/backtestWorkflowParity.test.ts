import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadMinuteBars } from '../../activities/marketData/minuteBarCsv';
import { loadVixCsv } from '../../activities/marketData/vixCsv';
import { readTradeHistory } from '../../activities/outputs/tradeHistory';
import { MapMarket } from '../../domain/backtest/market';
import { runPortfolio } from '../../domain/backtest/portfolio';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import {
  DAY_BARS_DIR,
  DAY_VIX_CSV,
  replayDayInput,
  startDay,
  startDayHarness,
  testConfig,
  type DayHarness,
} from '../helpers/tradingDayHarness';

/**
 * The backtester gives what the live bot does: a compressed TEST_MODE day (the day and session workflows,
 * the account workflow, the simulated broker) on the real dev server, and the portfolio backtester with
 * the simulated broker's fill model, on the same real bars and config, produce the same trades, field for
 * field (sizes, prices, PnL, allocations, account values, tags). Default risk limits, so the concurrency
 * limit, the weights and the one-trade-per-ticker rule all decide something.
 */

// Full-session ETFs only: a minute missing at a hold's end would let the live clock free a slot a minute
// later or earlier than the bar-driven backtest, which only matters when slots are scarce, as here.
const UNIVERSE = ['SQQQ', 'TNA', 'TQQQ', 'TZA', 'UVXY'];
const DATE = '2025-04-09';
// OPEN then MID in under two hours of market time (short holds), so the replay takes seconds. On this
// date OPEN has five signals for three slots; MID leaves out the three tickers OPEN traded and trades the
// other two. The sessions are 15 market minutes apart: the replay clock runs on even when a loaded machine
// delays a workflow, and an exit processed after the next session's account snapshot would size it
// differently (as it would live).
// A signal alone takes the whole session allocation (n of the weights table counts accepted signals,
// docs/trading.md), so the per-trade cap is what leaves room for several trades: 0.4% of the float each.
const CONFIG = {
  STRATEGY_SEQUENCE: 'open,mid',
  MAX_RISK_PER_TRADE: '0.004',
  OPEN_MONITORING_TIME: '15',
  START_TIME_MID: '15:30',
  MID_MONITORING_TIME: '15',
  STRAT_MID_VWAP_THRESHOLD: '0.005',
  // Screening filters wide open: the day workflow screens by universe only.
  MIN_PRICE: '0',
  MAX_PRICE: '100000',
  MAX_GAP_PCT_OPEN: '100',
  MAX_GAP_PCT_MID: '100',
  MAX_GAP_PCT_CLOSE: '100',
};

/** The fields a trade is compared on (ids and completion timestamps name the run, not the trade). */
function comparable(t: TradeRecord) {
  return {
    strategy: t.strategy_name,
    underlying: t.underlying,
    ticker: t.ticker,
    side: t.side,
    instrument: t.instrument,
    size: t.size,
    signal_price: t.signal_price,
    entry_price: t.entry_price,
    exit_price: t.exit_price,
    entry_time: t.entry_time,
    exit_time: t.exit_time,
    exit_reason: t.exit_reason,
    pnl: t.pnl,
    fees: t.fees,
    allocation: t.allocation,
    account_value: t.account_value,
    tags: [...t.tags],
    error_code: t.error_code,
  };
}

const order = (a: ReturnType<typeof comparable>, b: ReturnType<typeof comparable>) =>
  a.entry_time.localeCompare(b.entry_time) || a.strategy.localeCompare(b.strategy) || a.underlying.localeCompare(b.underlying);

describe('backtester and TEST_MODE day workflow on the same replayed real bars', () => {
  let h: DayHarness;
  before(async () => {
    h = await startDayHarness({ symbols: UNIVERSE, prefix: 'btparity' });
  });
  after(async () => {
    await h.stop();
  });

  test('same trades, field for field, over OPEN and MID with default risk limits', async () => {
    const config = testConfig(CONFIG);
    const handle = await startDay(
      h,
      replayDayInput({ date: DATE, config, universe: UNIVERSE, marketStart: `${DATE}T14:28:00Z`, speed: 300 }),
      `test-btparity-${Date.now()}`,
    );
    const summary = await handle.result();
    assert.equal(summary.halted, false, summary.haltReason ?? '');
    const live = readTradeHistory(h.outputDir, 'paper').map(comparable).sort(order);

    const data = loadMinuteBars(DAY_BARS_DIR, { symbols: UNIVERSE });
    const result = runPortfolio({
      market: new MapMarket(data.bars),
      cfg: config,
      strategies: ['open', 'mid', 'close'],
      vix: loadVixCsv(DAY_VIX_CSV),
      startDate: DATE,
      endDate: DATE,
      universe: UNIVERSE,
      // The simulated broker fills market orders at the decision bar's close, without costs.
      execution: { fill: 'signal_close', slippageBps: 0, feePerOrder: 0 },
      startingCash: 100_000,
    });
    const backtest = result.trades.map(comparable).sort(order);

    assert.ok(live.length >= 4, `the day should trade in several sessions, got ${live.length} trades`);
    assert.deepEqual(new Set(live.map((t) => t.strategy)), new Set(['open', 'mid']), 'both sessions trade');
    assert.ok((result.counters.refused.broker_concurrency_limit ?? 0) > 0, 'the concurrency limit refused a signal');
    assert.ok(result.counters.tradedTodaySkipped > 0, 'a later session left out a ticker traded earlier today');
    assert.deepEqual(backtest, live);
    for (const t of result.trades) assert.equal(t.mode, 'backtest');
  });
});
