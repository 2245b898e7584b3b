import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivityDeps } from '../../activities/replayDeps';
import { createScreenerActivities, type ScreenCandidatesInput, type ScreenCandidatesResult } from '../../activities/screening/screenerActivities';
import { createTradingActivities, type FetchBarsResult } from '../../activities/tradingActivities';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { classifyActivityErrors } from '../../activities/activityFailures';
import { tempOutputDir } from '../helpers/tradingDayHarness';

/*
 * Activities inside a Temporal activity context without a server (@temporalio/testing's
 * MockActivityEnvironment): the attempt number the session counts retries by, and a screening scan that
 * stops when cancelled (a worker's graceful shutdown) instead of running to its end.
 */

const MINUTE = path.resolve(__dirname, '..', 'fixtures', 'minute');
const DATE = '2025-04-09';
const OPEN_START = Date.parse(`${DATE}T14:30:00Z`);
const deps = createActivityDeps({ outputDir: tempOutputDir('actctx'), startingCash: 100_000, vixCsvPath: null });

test('fetchBars and brokerHeartbeat report the attempt that succeeded', async () => {
  const trading = createTradingActivities(deps);
  const env = new MockActivityEnvironment({ attempt: 3 });
  const res = (await env.run(trading.fetchBars, { symbols: ['SQQQ'], fromMs: OPEN_START, throughMs: OPEN_START + 5 * 60_000, replayFolder: MINUTE })) as FetchBarsResult;
  assert.equal(res.attempt, 3);
  assert.equal(res.bars.SQQQ?.length, 5, 'the five bars of those minutes');
  // Outside an activity (a direct call) the attempt is the first.
  assert.equal((await trading.fetchBars({ symbols: ['SQQQ'], fromMs: OPEN_START, throughMs: OPEN_START + 60_000, replayFolder: MINUTE })).attempt, 1);
});

test('a screening scan heartbeats per symbol and stops at the first heartbeat after its cancellation, as a cancellation', async () => {
  const { screenCandidates } = classifyActivityErrors(createScreenerActivities({ marketData: deps.marketData, baseDir: path.resolve(__dirname, '..', '..') }));
  const input: ScreenCandidatesInput = { date: DATE, strategy: 'open', universe: [], testMode: true, replayFolder: MINUTE, firstSessionBarMs: OPEN_START, config: defaultBotConfig() };

  const uncancelled = new MockActivityEnvironment();
  const beats: unknown[] = [];
  uncancelled.on('heartbeat', (d: unknown) => beats.push(d));
  const whole = (await uncancelled.run(screenCandidates, input)) as ScreenCandidatesResult;
  const total = whole.accepted.length + whole.rejected.length;
  assert.equal(beats.length, total, 'one heartbeat per symbol examined');

  const env = new MockActivityEnvironment();
  let seen = 0;
  env.on('heartbeat', () => {
    seen += 1;
    if (seen === 2) env.cancel('WORKER_SHUTDOWN');
  });
  await assert.rejects(env.run(screenCandidates, input), (err: unknown) => {
    // Not wrapped into a non-retryable LogicError by the error classifier.
    assert.ok(err instanceof CancelledFailure, `a cancellation, got ${String(err)}`);
    assert.match(err.message, new RegExp(`screening cancelled after 1 of ${total} symbols`));
    return true;
  });
  assert.ok(seen < total, `stopped after ${seen} of ${total} heartbeats`);
});
