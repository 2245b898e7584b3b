import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readTradeHistory } from '../../activities/outputs/tradeHistory';
import { confirmTradeSignal, dayStatusQuery, killSignal, stopSignal } from '../../workflows/tradingDayApi';
import {
  OPEN_DAY_DATE,
  OPEN_DAY_UNIVERSE,
  ROOMY_OPEN_LIMITS,
  dayTradeKeys,
  replayDayInput,
  simulatedDayTrades,
  startDay,
  startDayHarness,
  testConfig,
  type DayHarness,
} from '../helpers/tradingDayHarness';
import fs from 'node:fs';
import path from 'node:path';

const UNIVERSE = OPEN_DAY_UNIVERSE;
const DATE = OPEN_DAY_DATE;
const ROOMY = ROOMY_OPEN_LIMITS;

describe('trading day workflow on the real dev server', () => {
  let h: DayHarness;
  before(async () => {
    h = await startDayHarness({ symbols: UNIVERSE, prefix: 'day' });
  });
  after(async () => {
    await h.stop();
  });

  test('a compressed TEST_MODE OPEN day gives the same trades as the strategy simulation', async () => {
    const config = testConfig(ROOMY);
    const handle = await startDay(
      h,
      replayDayInput({ date: DATE, config, universe: UNIVERSE, marketStart: `${DATE}T14:28:00Z`, speed: 240 }),
      `test-day-open-${Date.now()}`,
    );
    const summary = await handle.result();
    assert.equal(summary.mode, 'paper');
    assert.equal(summary.halted, false, summary.haltReason ?? '');

    const expected = simulatedDayTrades('open', config, DATE, UNIVERSE);
    assert.ok(expected.length >= 3, `the chosen day should have several OPEN signals, got ${expected.length}`);

    const trades = readTradeHistory(h.outputDir, 'paper');
    assert.deepEqual(dayTradeKeys(trades), expected);
    for (const t of trades) {
      assert.equal(t.mode, 'paper');
      assert.ok(t.size > 0);
      assert.equal(t.error_code, null);
      // Long stock fills at the signal bar's close in the simulator.
      if (t.instrument === 'stock') assert.equal(t.entry_price, t.signal_price);
      if (t.side === 'short') assert.equal(t.instrument, 'put');
    }
    const log = fs.readFileSync(path.join(h.outputDir, 'logs', 'open_paper.log'), 'utf8');
    assert.match(log, /"event":"entry"/);
    const summaries = JSON.parse(fs.readFileSync(path.join(h.outputDir, 'summaries', 'daily_summary_paper.json'), 'utf8')) as Record<
      string,
      { trades: number; strategiesRun: string[]; rebalancingNeeds: string[]; executionSpeed: { orders: number } }
    >;
    assert.equal(summaries[DATE].trades, expected.length);
    assert.equal(summaries[DATE].executionSpeed.orders, expected.length * 2, 'every entry and exit fill is timed');
    assert.deepEqual(summaries[DATE].strategiesRun, ['open']);
    // No reserve configured: the whole float sits at the broker, twice its 50% target.
    assert.match(summaries[DATE].rebalancingNeeds.join(' '), /^sim: withdraw /);
    assert.ok(fs.existsSync(path.join(h.outputDir, 'trades', 'trade_history_paper.csv')));
    assert.ok(!fs.readdirSync(path.join(h.outputDir, 'trades')).some((f) => f.includes('_live')));
  });

  test('kill stops new entries and exits open positions; the day ends halted', async () => {
    const config = testConfig(ROOMY);
    const handle = await startDay(
      h,
      replayDayInput({ date: DATE, config, universe: UNIVERSE, marketStart: `${DATE}T14:50:00Z`, speed: 60 }),
      `test-day-kill-${Date.now()}`,
    );
    // Wait for the first entry (the first OPEN signals come at 14:56).
    let status = await handle.query(dayStatusQuery);
    for (let i = 0; i < 300 && status.entries === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await handle.query(dayStatusQuery);
    }
    assert.ok(status.entries > 0, 'expected an entry before the kill');
    await handle.signal(killSignal, { by: 'test', reason: 'drill' });
    const summary = await handle.result();
    assert.equal(summary.halted, true);
    const final = await handle.query(dayStatusQuery);
    assert.equal(final.state, 'halted');
    assert.equal(final.killed, true);
    const open = final.sessions.flatMap((s) => s.positions);
    assert.deepEqual(open, [], 'no position may stay open after a kill');
    const trades = readTradeHistory(h.outputDir, 'paper').filter((t) => t.tradeId.startsWith(handle.workflowId));
    assert.ok(trades.some((t) => t.exit_reason === 'kill_switch'), 'positions are exited by the kill switch');
    // The session log is in decision order: after the kill event, no entry may follow.
    const events = fs
      .readFileSync(path.join(h.outputDir, 'logs', 'open_paper.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { eventId: string; event: string })
      .filter((e) => e.eventId.startsWith(handle.workflowId));
    const killAt = events.findIndex((e) => e.event === 'kill');
    assert.ok(killAt >= 0, 'the kill is logged');
    assert.deepEqual(events.slice(killAt).filter((e) => e.event === 'order'), [], 'no entry order after the kill');
  });

  test('stop ends the day cleanly', async () => {
    const config = testConfig(ROOMY);
    const handle = await startDay(
      h,
      replayDayInput({ date: DATE, config, universe: UNIVERSE, marketStart: `${DATE}T14:25:00Z`, speed: 60 }),
      `test-day-stop-${Date.now()}`,
    );
    await new Promise((r) => setTimeout(r, 1500));
    await handle.signal(stopSignal, { by: 'test' });
    const summary = await handle.result();
    const final = await handle.query(dayStatusQuery);
    assert.equal(final.stopped, true);
    assert.deepEqual(final.sessions.flatMap((s) => s.positions), []);
    assert.equal(summary.date, DATE);
  });

  for (const [date, reason] of [
    ['2025-04-12', /not in TRADING_DAYS/],
    ['2025-04-18', /exchange closed \(Good Friday\)/],
  ] as const) {
    test(`${date} ends early without sessions`, async () => {
      const handle = await startDay(
        h,
        replayDayInput({ date, config: testConfig(), universe: UNIVERSE, marketStart: `${date}T14:00:00Z`, speed: 60 }),
        `test-day-closed-${date}-${Date.now()}`,
      );
      const summary = await handle.result();
      assert.match(summary.closedReason ?? '', reason);
      assert.deepEqual(summary.sessions, []);
    });
  }

  test('with every strategy disabled the day runs no session and says why', async () => {
    const config = testConfig({ STRAT_OPEN_ENABLED: 'false', STRAT_MID_ENABLED: 'false', STRAT_CLOSE_ENABLED: 'false' });
    const handle = await startDay(
      h,
      replayDayInput({ date: DATE, config, universe: UNIVERSE, marketStart: `${DATE}T14:00:00Z`, speed: 60 }),
      `test-day-disabled-${Date.now()}`,
    );
    const summary = await handle.result();
    assert.deepEqual(summary.sessions, []);
    const status = await handle.query(dayStatusQuery);
    assert.equal(status.warnings.filter((w) => /ENABLED=false/.test(w)).length, 3);
  });

  test('a second start for the same day workflow id is rejected', async () => {
    const id = `test-day-dup-${Date.now()}`;
    const input = replayDayInput({ date: '2025-04-12', config: testConfig(), universe: UNIVERSE, marketStart: '2025-04-12T14:00:00Z', speed: 60 });
    const first = await startDay(h, input, id);
    await assert.rejects(() => startDay(h, input, id), /already started|AlreadyStarted/i);
    await first.result();
  });
});

describe('trade confirmation (TRADE_CONFIRMATION_REQUIRED)', () => {
  let h: DayHarness;
  before(async () => {
    h = await startDayHarness({ symbols: UNIVERSE, prefix: 'confirm' });
  });
  after(async () => {
    await h.stop();
  });

  test('an approved trade is placed, a rejected one is not', async () => {
    const config = testConfig({ ...ROOMY, TRADE_CONFIRMATION_REQUIRED: 'true', TRADE_CONFIRMATION_TIMEOUT: '60' });
    const handle = await startDay(
      h,
      replayDayInput({ date: DATE, config, universe: UNIVERSE, marketStart: `${DATE}T14:54:00Z`, speed: 60 }),
      `test-day-confirm-${Date.now()}`,
    );
    const answered: { symbol: string; approve: boolean }[] = [];
    const pending = async () => {
      for (let i = 0; i < 600; i++) {
        const s = await handle.query(dayStatusQuery);
        const p = s.sessions.map((x) => x.pendingConfirmation).find((x) => x && !answered.some((a) => a.symbol === x));
        if (p) return p;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('no trade waited for confirmation');
    };
    const first = await pending();
    answered.push({ symbol: first, approve: true });
    await handle.signal(confirmTradeSignal, { symbol: first, approve: true, by: 'test' });
    const second = await pending();
    answered.push({ symbol: second, approve: false });
    await handle.signal(confirmTradeSignal, { symbol: second, approve: false, by: 'test' });
    // Approve whatever else comes, so the day can finish.
    const rest = (async () => {
      for (;;) {
        const s = await handle.query(dayStatusQuery).catch(() => null);
        if (!s || s.state === 'done') return;
        for (const p of s.sessions.map((x) => x.pendingConfirmation)) {
          if (p && !answered.some((a) => a.symbol === p)) {
            answered.push({ symbol: p, approve: true });
            await handle.signal(confirmTradeSignal, { symbol: p, approve: true, by: 'test' });
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await handle.result();
    await rest.catch(() => undefined);
    const traded = readTradeHistory(h.outputDir, 'paper')
      .filter((t) => t.tradeId.startsWith(handle.workflowId))
      .map((t) => t.underlying);
    assert.ok(traded.includes(first), `${first} was approved and traded`);
    assert.ok(!traded.includes(second), `${second} was rejected and not traded`);
    const log = fs.readFileSync(path.join(h.outputDir, 'logs', 'open_paper.log'), 'utf8');
    assert.match(log, new RegExp(`"event":"skipped","symbol":"${second}","message":"rejected by operator"`));
  });
});
