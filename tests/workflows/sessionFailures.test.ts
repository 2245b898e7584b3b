import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { readTradeHistory } from '../../activities/outputs/tradeHistory';
import { dayStatusQuery } from '../../workflows/tradingDayApi';
import { REPO_ROOT, ROOMY_OPEN_LIMITS, startDay, startDayHarness, testConfig, type DayHarness } from '../helpers/tradingDayHarness';

/**
 * A failing session activity must not fail the session or the day (issue 13, defect 4; docs/trading.md,
 * "When a session fails"): a TEST_MODE OPEN day on the committed fixture (tests/fixtures/minute,
 * 2025-04-09) with one production activity replaced by one that always fails, not retried.
 */
const FIXTURE = path.join(REPO_ROOT, 'tests', 'fixtures', 'minute');
const DATE = '2025-04-09';
const UNIVERSE = ['SQQQ', 'SVIX', 'TNA', 'TQQQ', 'TZA', 'UVXY'];
const input = (speed: number) => ({
  date: DATE,
  config: testConfig(ROOMY_OPEN_LIMITS),
  broker: 'sim' as const,
  universe: UNIVERSE,
  replay: { folder: FIXTURE, speed, marketStartMs: Date.parse(`${DATE}T14:28:00Z`) },
});
const failing = (what: string) => async () => {
  throw ApplicationFailure.nonRetryable(`${what} failed (test)`, 'StorageError');
};

describe('a failing ledger write', { concurrency: false }, () => {
  let h: DayHarness;
  before(async () => {
    h = await startDayHarness({ symbols: UNIVERSE, prefix: 'ledgerfail', overrideActivities: { postTradeToLedger: failing('ledger write') } });
  });
  after(async () => {
    await h.stop();
  });

  test('escalates, halts the broker, still records the trade and exits everything; the day ends with its summary', async () => {
    const handle = await startDay(h, input(240), `test-ledgerfail-${Date.now()}`);
    const summary = await handle.result();
    const open = summary.sessions.find((s) => s.strategy === 'open');
    assert.ok(open, 'the OPEN session ran');
    assert.equal(open.failure ?? null, null, 'the session itself did not fail');
    assert.ok(open.escalations > 0, 'the ledger failure was escalated');
    assert.deepEqual(open.positions, [], 'flat at the end');
    const trades = readTradeHistory(h.outputDir, 'paper').filter((t) => t.tradeId.startsWith(handle.workflowId));
    assert.ok(trades.length > 0, 'trades are recorded although the ledger refused them');
    assert.ok(trades.every((t) => t.exit_price !== null), 'every trade was exited');
    const unresolved = fs.readFileSync(path.join(h.outputDir, 'logs', 'unresolved_orders_paper.log'), 'utf8');
    assert.match(unresolved, /ledger posting failed/);
    const summaries = JSON.parse(fs.readFileSync(path.join(h.outputDir, 'summaries', 'daily_summary_paper.json'), 'utf8')) as Record<string, { trades: number }>;
    assert.equal(summaries[DATE]?.trades, trades.length, 'the daily summary counts them');
  });
});

describe('a session that fails anyway', { concurrency: false }, () => {
  let h: DayHarness;
  before(async () => {
    // The strategy log cannot be written at all: the bar loop's flush fails, then the session's last one.
    h = await startDayHarness({ symbols: UNIVERSE, prefix: 'sessfail', overrideActivities: { writeStrategyLog: failing('strategy log') } });
  });
  after(async () => {
    await h.stop();
  });

  test('does not fail the day: the day records which session failed and why, and writes its summary', async () => {
    const handle = await startDay(h, input(240), `test-sessfail-${Date.now()}`);
    const summary = await handle.result();
    const status = await handle.query(dayStatusQuery);
    const open = status.sessions.find((s) => s.strategy === 'open');
    assert.ok(open, 'the OPEN session is in the status');
    assert.equal(open.state, 'halted');
    assert.match(open.failure ?? '', /failed/);
    assert.ok(summary.finalStatus.warnings.some((w) => w.includes(`${handle.workflowId}-open failed`)), summary.finalStatus.warnings.join(' | '));
    assert.ok(fs.existsSync(path.join(h.outputDir, 'summaries', 'daily_summary_paper.json')), 'the daily summary is written');
    const alerts = fs.readFileSync(path.join(h.outputDir, 'logs', 'alerts_paper.log'), 'utf8');
    assert.match(alerts, /shutdown|critical/i, 'the shutdown alert went out');
  });
});
