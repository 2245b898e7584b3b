import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { readSimJournal } from '../../activities/broker/simBroker';
import type { BrokerOrder } from '../../activities/broker/brokerTypes';
import { readTradeHistory } from '../../activities/outputs/tradeHistory';
import { fnv1a } from '../../domain/orders/clientOrderId';
import { accountStatusQuery } from '../../workflows/accountApi';
import { dayStatusQuery } from '../../workflows/tradingDayApi';
import { grantRequestId } from '../../workflows/sessionPositions';
import { DAY_BARS_DIR, ROOMY_OPEN_LIMITS, createTestWorker, quietRuntime, replayDayInput, startDay, tempOutputDir, testConfig, type DayHarness } from '../helpers/tradingDayHarness';
import { connectTestTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporalTestServer';

/*
 * A crash that loses the workflows, not only the worker (docs/brokers.md, "Ownership and adoption"): the
 * OPEN session holds positions when its worker stops and the day and session are terminated, so no
 * workflow tracks them any more. The same day started again at MID time must find them at the broker by
 * the bot's client order ids, exit them as `reconciled`, record each trade once and give the account its
 * slots back. TEST_MODE on the simulated broker, whose journal outlives the workers as a broker would.
 */

const UNIVERSE = ['SQQQ', 'SVIX', 'TNA', 'TQQQ', 'TZA', 'UVXY'];
const DATE = '2025-04-09';

let temporal: TestTemporal;
before(async () => {
  quietRuntime();
  temporal = await connectTestTemporal();
});
after(async () => {
  await temporal.close();
});

function runWorker(taskQueue: string, outputDir: string): Promise<{ worker: Worker; running: Promise<void> }> {
  return createTestWorker({ connection: temporal.nativeConnection, client: temporal.client, taskQueue, outputDir, symbols: UNIVERSE }).then((worker) => ({
    worker,
    running: worker.run(),
  }));
}

/** Net signed quantity per broker symbol of the filled orders in the simulated broker's journal. */
function heldAtBroker(journal: readonly BrokerOrder[]): Map<string, number> {
  const held = new Map<string, number>();
  for (const o of journal) {
    if (o.filledQty <= 0) continue;
    held.set(o.symbol, (held.get(o.symbol) ?? 0) + (o.side === 'buy' ? o.filledQty : -o.filledQty));
  }
  for (const [s, q] of held) if (Math.abs(q) < 1e-9) held.delete(s);
  return held;
}

/** The ticker of each held broker symbol (a put's underlying), from its entry order's client order id. */
function underlyingsOf(journal: readonly BrokerOrder[], held: ReadonlyMap<string, number>): string[] {
  const tickers = new Set<string>();
  for (const o of journal) {
    const ticker = /[-:]([A-Z.]+)[-:]entry$/.exec(o.clientOrderId)?.[1];
    if (held.has(o.symbol) && ticker !== undefined) tickers.add(ticker);
  }
  return [...tickers].sort();
}

test('positions of a terminated day are adopted by the next session of that day: exited as reconciled, recorded once, slots released', { timeout: 240_000 }, async () => {
  const taskQueue = uniqueTaskQueue('adopt');
  const outputDir = tempOutputDir('adopt');
  const dayId = `test-adopt-${Date.now()}`;
  const openSessionId = `${dayId}-open`;
  const journalPath = path.join(outputDir, 'state', `sim_broker_${fnv1a(path.resolve(DAY_BARS_DIR))}.jsonl`);
  const h = { temporal, taskQueue } as DayHarness;

  // Run 1: the OPEN session enters, then the worker stops and both workflows are terminated while it holds.
  let w = await runWorker(taskQueue, outputDir);
  const openConfig = testConfig({ ...ROOMY_OPEN_LIMITS, STRATEGY_OVERRIDE: 'open' });
  const first = await startDay(h, replayDayInput({ date: DATE, config: openConfig, universe: UNIVERSE, marketStart: `${DATE}T14:50:00Z`, speed: 60 }), dayId);
  let status = await first.query(dayStatusQuery);
  for (let i = 0; i < 900 && status.entries === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    status = await first.query(dayStatusQuery);
  }
  assert.ok(status.entries > 0, 'the OPEN session entered before the crash');
  w.worker.shutdown();
  await w.running;
  await temporal.client.workflow.getHandle(openSessionId).terminate('test: the session is lost');
  await first.terminate('test: the day is lost');

  const journalAfterCrash = readSimJournal(journalPath);
  const heldAfterCrash = heldAtBroker(journalAfterCrash);
  assert.ok(heldAfterCrash.size > 0, 'the broker holds the crashed session positions');
  const underlyings = underlyingsOf(journalAfterCrash, heldAfterCrash);
  assert.equal(underlyings.length, heldAfterCrash.size, `one ticker per held symbol: ${[...heldAfterCrash.keys()].join(', ')}`);
  const tradesBefore = readTradeHistory(outputDir, 'paper').filter((t) => t.exit_time !== null);

  // Run 2: the same day, started again at MID time on a fresh worker (which also answers the account's query).
  w = await runWorker(taskQueue, outputDir);
  const accountId = `account-${taskQueue}`;
  try {
    const grantsBefore = (await temporal.client.workflow.getHandle(accountId).query(accountStatusQuery)).grants.map((g) => g.requestId);
    for (const u of underlyings) assert.ok(grantsBefore.includes(grantRequestId(openSessionId, u)), `the account still holds the grant of ${u}`);
    const midConfig = testConfig({ ...ROOMY_OPEN_LIMITS, STRATEGY_OVERRIDE: 'mid' });
    const second = await startDay(h, replayDayInput({ date: DATE, config: midConfig, universe: UNIVERSE, marketStart: `${DATE}T15:29:00Z`, speed: 120 }), dayId);
    const summary = await second.result();
    assert.equal(summary.halted, false, summary.haltReason ?? '');
    const account = await temporal.client.workflow.getHandle(accountId).query(accountStatusQuery);
    for (const u of underlyings) assert.ok(!account.grants.some((g) => g.requestId === grantRequestId(openSessionId, u)), `the grant of ${u} was released`);
  } finally {
    w.worker.shutdown();
    await w.running;
  }

  const journal = readSimJournal(journalPath);
  const ids = journal.map((o) => o.clientOrderId);
  assert.equal(new Set(ids).size, ids.length, `an order was placed twice: ${ids.join(' ')}`);
  const heldAtEnd = heldAtBroker(journal);
  for (const symbol of heldAfterCrash.keys()) assert.equal(heldAtEnd.get(symbol), undefined, `${symbol} was exited`);

  const adopted = readTradeHistory(outputDir, 'paper').filter((t) => t.tradeId.startsWith(`${openSessionId}:`) && !tradesBefore.some((b) => b.tradeId === t.tradeId));
  assert.deepEqual(adopted.map((t) => t.underlying).sort(), underlyings, 'one trade record per adopted position');
  for (const t of adopted) {
    assert.equal(t.exit_reason, 'reconciled', `${t.underlying} exit reason`);
    assert.ok(t.exit_price !== null && t.exit_price > 0, `${t.underlying} exit price`);
    assert.ok(t.exit_time !== null && t.exit_time >= `${DATE}T15:29:00`, `${t.underlying} exited by the MID session, at ${t.exit_time}`);
  }

});
