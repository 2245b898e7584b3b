import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { dayStatusQuery } from '../../workflows/tradingDayApi';
import { REPO_ROOT, ROOMY_OPEN_LIMITS, startDay, startDayHarness, testConfig, type DayHarness } from '../helpers/tradingDayHarness';

/**
 * The day's status says which session failed and why (docs/temporal.md, "A day never dies silently"):
 * the session's strategy log can never be written, so the session workflow fails; the day's status names
 * the session and carries the root cause, not only "Activity task failed".
 */
const FIXTURE = path.join(REPO_ROOT, 'tests', 'fixtures', 'minute');
const DATE = '2025-04-09';
const UNIVERSE = ['SQQQ', 'SVIX', 'TNA', 'TQQQ', 'TZA', 'UVXY'];
const ROOT_CAUSE = 'strategy log is on a read-only disk (test)';

describe('a failed session in the day status', { concurrency: false }, () => {
  let h: DayHarness;
  before(async () => {
    h = await startDayHarness({
      symbols: UNIVERSE,
      prefix: 'dayfailed',
      overrideActivities: {
        writeStrategyLog: async () => {
          throw ApplicationFailure.nonRetryable(ROOT_CAUSE, 'StorageError');
        },
      },
    });
  });
  after(async () => {
    await h.stop();
  });

  test('names the session and the root cause; the day itself completes', { timeout: 300_000 }, async () => {
    const input = {
      date: DATE,
      config: testConfig(ROOMY_OPEN_LIMITS),
      broker: 'sim' as const,
      universe: UNIVERSE,
      replay: { folder: FIXTURE, speed: 240, marketStartMs: Date.parse(`${DATE}T14:28:00Z`) },
    };
    const handle = await startDay(h, input, `test-dayfailed-${Date.now()}`);
    const summary = await handle.result();
    const status = await handle.query(dayStatusQuery);
    const open = status.sessions.find((s) => s.workflowId === `${handle.workflowId}-open`);
    assert.ok(open, 'the failed session is in the status');
    assert.equal(open.state, 'halted');
    assert.ok(open.failure?.startsWith(`session ${handle.workflowId}-open failed: `), open.failure ?? 'no failure');
    assert.ok(open.failure?.includes(ROOT_CAUSE), `the root cause is named: ${open.failure}`);
    // Settled once: one warning (and one shutdown alert) for the failed session, not one per settlement.
    assert.equal(summary.finalStatus.warnings.filter((w) => w.includes(ROOT_CAUSE)).length, 1, summary.finalStatus.warnings.join(' | '));
  });
});
