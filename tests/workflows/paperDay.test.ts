import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Emulator } from '../../scripts/emulator';
import { assertCleanDay, assertSizesWhileAccountsAgree, assertTradesMatchBacktest } from '../helpers/paperDayAssertions';
import { DST_DAY, WINTER_DAY, backtestOf, runPaperDay } from '../helpers/paperDayHarness';

/**
 * Paper days end to end (issue 13): TEST_MODE=false, ALPACA_MODE=paper, the production worker wiring with
 * the real AlpacaBroker, AlpacaBarsSource, SDK and FinnhubClient over HTTP against the market emulator,
 * alerts to a real SMTP server on loopback, on committed real bars (tests/fixtures/minute: 2025-04-09,
 * daylight saving; tests/fixtures/winter: 2019-02-15, standard time).
 */

describe('paper days against the market emulator', { concurrency: false }, () => {
  test('daylight-saving day, all three sessions: inverse ETF and put entries, exits before the bell, trades as the backtester', async () => {
    // A generous age bound: this test is about equality with the backtester, the next one about staleness.
    const run = await runPaperDay({ day: DST_DAY, speed: 60, bot: { MAX_SIGNAL_AGE_SECONDS: '900' }, prefix: 'paper-dst' });
    const r = run.report;
    assertCleanDay(r);
    const strategies = new Set(r.trades.map((t) => t.strategy_name));
    assert.deepEqual([...strategies].sort(), ['close', 'mid', 'open'], 'every session trades');
    assert.ok(r.trades.some((t) => t.instrument === 'inverse_etf'), 'a bearish entry through an inverse ETF');
    assert.ok(r.trades.some((t) => t.instrument === 'put'), 'a bearish entry through a put');
    assert.ok(r.trades.some((t) => t.exit_reason === 'market_close' && t.exit_time === '2025-04-09T19:57:00.000Z'), 'held to the close: decided on 15:57 New York, sent before the last minute');
    const backtest = backtestOf(DST_DAY, run.config);
    const differences = assertTradesMatchBacktest(DST_DAY, r.trades, backtest, r.orders);
    // The broker's stop fires inside a bar, the bot's rule on its close: on this day it fires first at least once.
    assert.ok(differences.stopFirst >= 1, `the broker's stop closed a position before the bot's rule: ${JSON.stringify(differences)}`);
    assertSizesWhileAccountsAgree(r.trades, backtest);
    assert.ok(run.alertSubjects.some((s) => s.includes('Fill: OPEN entry')), `fill alerts by e-mail: ${run.alertSubjects.join(' | ')}`);
  });

  test('winter day, all three sessions: puts from the broker chain, trades as the backtester', async () => {
    const run = await runPaperDay({ day: WINTER_DAY, speed: 90, bot: { MAX_SIGNAL_AGE_SECONDS: '900' }, prefix: 'paper-winter' });
    const r = run.report;
    assertCleanDay(r);
    assert.ok(r.trades.filter((t) => t.instrument === 'put').length >= 1, 'a put bought through the broker');
    const backtest = backtestOf(WINTER_DAY, run.config);
    assertTradesMatchBacktest(WINTER_DAY, r.trades, backtest, r.orders);
    assertSizesWhileAccountsAgree(r.trades, backtest);
  });

  test('bars published late are asked for again and decided on once; signals older than the bound are skipped, never sent', async () => {
    // The feed shows each bar 20 market seconds after its minute and the bot asks 3 seconds after it: every
    // bar arrives one fetch late, so each signal is about 63 s old when decided, past a 30 s bound.
    const run = await runPaperDay({
      day: DST_DAY,
      speed: 60,
      bot: { STRATEGY_OVERRIDE: 'open', MAX_SIGNAL_AGE_SECONDS: '30' },
      emulator: { publishDelayMs: 20_000 },
      prefix: 'paper-late',
    });
    const r = run.report;
    assertCleanDay(r);
    const open = r.summary.sessions.find((s) => s.strategy === 'open');
    assert.ok((open?.barsSeen ?? 0) > 30, 'the session saw the day');
    assert.ok(r.stale_signals_skipped > 0, 'a signal older than 30 s at sending is skipped');
    assert.equal(r.stale_entries_sent, 0);
    assert.deepEqual(run.leftRunning, [], 'the rehearsal leaves no workflow running (its risk account ends with it)');
  });

  test("a protective stop whose answer is lost and whose lookups fail is still cancelled by the bot's exit: the broker never sells twice", async () => {
    const seen: { emulator?: Emulator } = {};
    const run = await runPaperDay({
      day: DST_DAY,
      speed: 60,
      bot: { STRATEGY_OVERRIDE: 'open' },
      onEmulator: (emu) => {
        seen.emulator = emu;
        emu.setFaults({
          next: [
            // The first stop reaches the broker but its answer never comes back...
            { fault: 'drop', method: 'POST', path: '/v2/orders', clientOrderId: 'stop' },
            // ...and every lookup of it fails until placeProtectiveStop has used its four attempts (the
            // activity's and the adapter's lookups before and after the post go through).
            { fault: 'error', method: 'GET', path: '/v2/orders:by_client_order_id', clientOrderId: 'stop', skip: 2, count: 4 },
          ],
        });
      },
      prefix: 'paper-loststop',
    });
    const r = run.report;
    assertCleanDay(r);
    const faults = seen.emulator?.stats().faultsInjected;
    assert.equal(faults?.drop, 1, "the stop's answer was dropped");
    assert.equal(faults?.error, 4, 'its lookups failed four times');
    const lost = r.orders.find((o) => o.clientOrderId.endsWith('stop'));
    assert.ok(lost, 'the stop reached the broker');
    // Cancelled by the bot's exit, or filled first and then the bot sent no exit: never both.
    const filled = (side: string) => r.orders.filter((o) => o.symbol === lost.symbol && o.side === side).reduce((a, o) => a + o.filledQty, 0);
    assert.ok(Math.abs(filled('sell') - filled('buy')) < 1e-9, `${lost.symbol}: bought ${filled('buy')}, sold ${filled('sell')} (${JSON.stringify(r.orders.filter((o) => o.symbol === lost.symbol))})`);
    assert.ok(lost.status === 'canceled' || lost.status === 'filled', `the stop ended, not left working: ${lost.status}`);
    const trade = r.trades.find((t) => t.ticker === lost.symbol);
    assert.ok(trade, `${lost.symbol} has its trade record`);
    if (lost.status === 'filled') assert.match(trade.exit_reason ?? '', /stop/, "the broker's stop closed it: the record says so");
  });

  test('a screening call that fails: the session trades nothing, the day finishes with its summary and a critical alert', async () => {
    const run = await runPaperDay({
      day: DST_DAY,
      speed: 120,
      bot: { STRATEGY_OVERRIDE: 'open' },
      // Every Finnhub request answers 500: screening fails after its retries.
      onEmulator: (emu) => {
        emu.setFaults({ errorRate: 1, scopes: ['finnhub'] });
      },
      prefix: 'paper-screenfail',
    });
    const r = run.report;
    const open = r.summary.sessions.find((s) => s.strategy === 'open');
    assert.ok(open, 'the OPEN session ran');
    assert.match(open.failure ?? '', /screening failed/);
    assert.equal(open.state, 'halted');
    assert.equal(r.trades.length, 0);
    assert.ok(run.alertSubjects.some((s) => /critical/i.test(s) && /screening failed/.test(s)), `critical alert: ${run.alertSubjects.join(' | ')}`);
    assert.deepEqual(r.orders_after_close, []);
    assert.deepEqual(r.positions_at_close, []);
  });
});
