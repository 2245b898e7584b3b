import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { killSignal } from '../../workflows/tradingDayApi';
import { BROKER, DAY_STATE, HALTED, MODE, STRATEGY, TRADING_DATE } from '../../workflows/searchAttributes';
import { REPO_ROOT, ROOMY_OPEN_LIMITS, startDay, startDayHarness, testConfig, type DayHarness } from '../helpers/tradingDayHarness';

/**
 * Days and sessions carry the bot's search attributes and Web UI summaries (workflows/searchAttributes.ts; docs/temporal.md,
 * "Finding workflows"), so visibility queries find them: run on the test server, which registers them
 * (scripts/runTests.js). An OPEN day on the committed fixture, and a MID day killed before MID.
 */
const FIXTURE = path.join(REPO_ROOT, 'tests', 'fixtures', 'minute');
const DATE = '2025-04-09';
const UNIVERSE = ['SQQQ', 'SVIX', 'TNA', 'TQQQ', 'TZA', 'UVXY'];
const dayInput = (strategy: 'open' | 'mid', speed: number) => ({
  date: DATE,
  config: testConfig({ ...ROOMY_OPEN_LIMITS, STRATEGY_OVERRIDE: strategy }),
  broker: 'sim' as const,
  universe: UNIVERSE,
  replay: { folder: FIXTURE, speed, marketStartMs: Date.parse(`${DATE}T14:28:00Z`) },
});

/** Workflow ids the query lists, once visibility has caught up with `expected` of them. */
async function listedIds(client: Client, query: string, expected: number): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  let ids: string[] = [];
  while (Date.now() < deadline) {
    ids = [];
    for await (const w of client.workflow.list({ query })) ids.push(w.workflowId);
    if (ids.length >= expected) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  return ids.sort();
}

describe('search attributes on days and sessions', { concurrency: false }, () => {
  let h: DayHarness;
  before(async () => {
    h = await startDayHarness({ symbols: UNIVERSE, prefix: 'searchattr' });
  });
  after(async () => {
    await h.stop();
  });

  test('an OPEN day and its session are found by date, mode, broker and strategy; the day by its final state', { timeout: 240_000 }, async () => {
    const id = `test-searchattr-open-${Date.now()}`;
    const handle = await startDay(h, dayInput('open', 600), id);
    const summary = await handle.result();
    assert.equal(summary.halted, false);
    const base = `TaskQueue = '${h.taskQueue}' AND TradingDate = '${DATE}' AND TradingMode = 'paper'`;
    assert.deepEqual(await listedIds(h.temporal.client, `${base} AND Broker = 'sim' AND Strategy = 'open'`, 2), [id, `${id}-open`]);
    // The day and its session, each by its own final state (the session's: patch tradebot-session-search-state).
    assert.deepEqual(await listedIds(h.temporal.client, `${base} AND DayState = 'done' AND Halted = false`, 2), [id, `${id}-open`]);
    assert.deepEqual(await listedIds(h.temporal.client, `${base} AND Strategy = 'mid'`, 0), [], 'no MID here');
    const attrs = (await handle.describe()).typedSearchAttributes;
    assert.equal(attrs.get(TRADING_DATE), DATE);
    assert.equal(attrs.get(MODE), 'paper');
    assert.deepEqual(attrs.get(BROKER), ['sim']);
    assert.deepEqual(attrs.get(STRATEGY), ['open']);
    assert.equal(attrs.get(DAY_STATE), 'done');
    assert.equal(attrs.get(HALTED), false);
    // The Web UI's summary of the session and the day's current details.
    const session = h.temporal.client.workflow.getHandle(`${id}-open`);
    const sessionDescription = await session.describe();
    assert.equal(await sessionDescription.staticSummary(), `OPEN session at sim, ${DATE} (paper)`);
    assert.equal(sessionDescription.typedSearchAttributes.get(DAY_STATE), 'done');
    assert.equal(sessionDescription.typedSearchAttributes.get(HALTED), false);
    const metadata = await handle.query<{ currentDetails?: string | null }>('__temporal_workflow_metadata');
    assert.match(metadata.currentDetails ?? '', new RegExp(`^\\*\\*${DATE}\\*\\* paper \\(TEST_MODE\\): done\nentries \\d+, exits \\d+, realized PnL -?\\d+\\.\\d{2}`));
  });

  test('a day killed before MID is found as halted', { timeout: 120_000 }, async () => {
    const id = `test-searchattr-kill-${Date.now()}`;
    const handle = await startDay(h, dayInput('mid', 1), id);
    // Halted only once killed: the day is listed as running, not halted, while it waits.
    const waiting = `TaskQueue = '${h.taskQueue}' AND WorkflowId = '${id}' AND Halted = false AND DayState = 'idle'`;
    assert.deepEqual(await listedIds(h.temporal.client, waiting, 1), [id]);
    const waitStarted = Date.now() + 60_000;
    while (!((await handle.fetchHistory()).events ?? []).some((e) => e.timerStartedEventAttributes)) {
      assert.ok(Date.now() < waitStarted, 'the day never started its wait for MID');
      await new Promise((r) => setTimeout(r, 250));
    }
    await handle.signal(killSignal, { by: 'test' });
    await handle.result();
    const timer = ((await handle.fetchHistory()).events ?? []).find((e) => e.timerStartedEventAttributes);
    const summary = timer?.userMetadata?.summary?.data;
    assert.ok(summary, 'the wait has a summary');
    assert.equal(JSON.parse(Buffer.from(summary).toString('utf8')), 'waiting for MID (15:29 UTC market time)');
    const halted = `TaskQueue = '${h.taskQueue}' AND Halted = true AND DayState = 'halted' AND Strategy = 'mid'`;
    assert.deepEqual(await listedIds(h.temporal.client, halted, 1), [id]);
  });
});
