import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { killSignal, stopSignal } from '../../workflows/tradingDayApi';
import type { tradingDayWorkflow } from '../../workflows/tradingDay';
import { REPO_ROOT, startDay, startDayHarness, testConfig, type DayHarness } from '../helpers/tradingDayHarness';

/**
 * A stop or kill that arrives while the day waits for its next session takes effect at once
 * (docs/temporal.md, "Deploying while days run"): a MID-only day replayed at real speed from 14:28 UTC
 * would wait an hour for MID (15:30 UTC, started a minute early); the signal must end it within seconds.
 */
const FIXTURE = path.join(REPO_ROOT, 'tests', 'fixtures', 'minute');
const DATE = '2025-04-09';
const UNIVERSE = ['SQQQ', 'SVIX', 'TNA', 'TQQQ', 'TZA', 'UVXY'];
const PROMPT_MS = 20_000;
const midDayInput = () => ({
  date: DATE,
  config: testConfig({ STRATEGY_OVERRIDE: 'mid' }),
  broker: 'sim' as const,
  universe: UNIVERSE,
  replay: { folder: FIXTURE, speed: 1, marketStartMs: Date.parse(`${DATE}T14:28:00Z`) },
});

type DayHandle = WorkflowHandle<typeof tradingDayWorkflow>;

/** Resolves once the day has started its durable timer (the wait for MID). */
async function waitForTimer(handle: DayHandle): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const history = await handle.fetchHistory();
    if ((history.events ?? []).some((e) => e.timerStartedEventAttributes)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the day never started its wait for MID');
}

async function timerCancelled(handle: DayHandle): Promise<boolean> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).some((e) => e.timerCanceledEventAttributes);
}

describe('stop and kill during the wait for the next session', { concurrency: false }, () => {
  let h: DayHarness;
  before(async () => {
    h = await startDayHarness({ symbols: UNIVERSE, prefix: 'daywait' });
  });
  after(async () => {
    await h.stop();
  });

  test('a kill before MID ends the day promptly with its summary', { timeout: 60_000 }, async () => {
    const handle = await startDay(h, midDayInput(), `test-daywait-kill-${Date.now()}`);
    await waitForTimer(handle);
    const sentAt = Date.now();
    await handle.signal(killSignal, { by: 'test', reason: 'kill during the wait' });
    const summary = await handle.result();
    const tookMs = Date.now() - sentAt;
    assert.ok(tookMs < PROMPT_MS, `the day ended ${tookMs} ms after the kill`);
    assert.equal(summary.finalStatus.killed, true);
    assert.equal(summary.finalStatus.state, 'halted');
    assert.match(summary.haltReason ?? '', /kill switch by test: kill during the wait/);
    assert.deepEqual(summary.sessions, [], 'MID never started');
    assert.ok(await timerCancelled(handle), 'the wait was cancelled, not slept out');
    const summaries = JSON.parse(fs.readFileSync(path.join(h.outputDir, 'summaries', 'daily_summary_paper.json'), 'utf8')) as Record<string, unknown>;
    assert.ok(summaries[DATE], 'the daily summary is written');
    // The kill handler's alert finished before the day returned (handlers finish first).
    const alerts = fs.readFileSync(path.join(h.outputDir, 'logs', 'alerts_paper.log'), 'utf8');
    assert.match(alerts, /kill_switch|kill switch/i);
  });

  test('a stop before MID ends the day promptly too', { timeout: 60_000 }, async () => {
    const handle = await startDay(h, midDayInput(), `test-daywait-stop-${Date.now()}`);
    await waitForTimer(handle);
    const sentAt = Date.now();
    await handle.signal(stopSignal, { by: 'test' });
    const summary = await handle.result();
    assert.ok(Date.now() - sentAt < PROMPT_MS, 'the day ended promptly after the stop');
    assert.equal(summary.finalStatus.stopped, true);
    assert.equal(summary.finalStatus.state, 'done');
    assert.deepEqual(summary.sessions, []);
    assert.ok(await timerCancelled(handle), 'the wait was cancelled');
  });
});
