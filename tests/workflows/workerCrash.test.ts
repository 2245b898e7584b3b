import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import fs from 'node:fs';
import { readSimJournal } from '../../activities/broker/simBroker';
import { readBook } from '../../activities/ledger/ledgerStore';
import { bookProblems } from '../../domain/ledger/balance';
import { loadMinuteBars } from '../../activities/marketData/minuteBarCsv';
import { readTradeHistory } from '../../activities/outputs/tradeHistory';
import { fnv1a } from '../../domain/orders/clientOrderId';
import { getStrategy } from '../../domain/strategies/strategies';
import { simulateSymbolDay } from '../../domain/strategies/simulate';
import { tradingDayWorkflow } from '../../workflows/tradingDay';
import { dayStatusQuery } from '../../workflows/tradingDayApi';
import { DAY_BARS_DIR, REPO_ROOT, replayDayInput, tempOutputDir, testConfig } from '../helpers/tradingDayHarness';
import { connectTestTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporalTestServer';

const UNIVERSE = ['SQQQ', 'SVIX', 'TNA', 'TQQQ', 'TZA', 'UVXY'];
const DATE = '2025-04-09';

function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'tests/helpers/workerProcess.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('worker-ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker process exited early with ${code}`)));
  });
}

let temporal: TestTemporal;
before(async () => {
  temporal = await connectTestTemporal();
});
after(async () => {
  await temporal.close();
});

test('SIGKILL of the worker mid-session: the day completes, no order twice, no trade lost', async () => {
  const outputDir = tempOutputDir('crash');
  const taskQueue = uniqueTaskQueue('crash');
  const env = { TB_OUTPUT_DIR: outputDir, TB_TASK_QUEUE: taskQueue, TB_SYMBOLS: UNIVERSE.join(',') };
  const config = testConfig({
    STRATEGY_OVERRIDE: 'open',
    MAX_TRADES: '6',
    WEIGHTS: '0.2,0.2,0.15,0.15,0.15,0.15',
    MAX_CONCURRENT_TRADES_PER_BROKER: '6',
    MAX_OPEN_POSITIONS: '6',
    TOTAL_ALLOCATION: '0.5',
  });
  let worker = await startWorkerProcess(env);
  const handle = await temporal.client.workflow.start(tradingDayWorkflow, {
    taskQueue,
    workflowId: `test-crash-${Date.now()}`,
    args: [replayDayInput({ date: DATE, config, universe: UNIVERSE, marketStart: `${DATE}T14:50:00Z`, speed: 60 })],
  });
  let status = await handle.query(dayStatusQuery);
  for (let i = 0; i < 600 && status.entries === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    status = await handle.query(dayStatusQuery);
  }
  assert.ok(status.entries > 0, 'the kill must come mid-session, after an entry');
  worker.kill('SIGKILL');
  await new Promise((r) => worker.once('exit', r));
  worker = await startWorkerProcess(env);
  try {
    const summary = await handle.result();
    assert.equal(summary.halted, false);
  } finally {
    worker.kill('SIGTERM');
  }

  const journal = readSimJournal(path.join(outputDir, 'state', `sim_broker_${fnv1a(path.resolve(DAY_BARS_DIR))}.jsonl`));
  const ids = journal.map((o) => o.clientOrderId);
  assert.equal(new Set(ids).size, ids.length, `an order was placed twice: ${ids.join(' ')}`);

  const data = loadMinuteBars(DAY_BARS_DIR, { symbols: UNIVERSE });
  const expected = UNIVERSE.flatMap((s) =>
    simulateSymbolDay(getStrategy('open'), config, { vixPrevClose: null }, s, DATE, data.bars.get(s)?.get(DATE) ?? []),
  );
  const trades = readTradeHistory(outputDir, 'paper');
  assert.equal(new Set(trades.map((t) => t.tradeId)).size, trades.length, 'a trade was recorded twice');
  assert.deepEqual(
    trades.map((t) => `${t.underlying} ${t.side} ${t.entry_time} ${t.exit_time} ${t.exit_reason}`).sort(),
    expected
      .map((t) => `${t.symbol} ${t.side} ${new Date(t.entryTime).toISOString()} ${new Date(t.exitTime).toISOString()} ${t.exitReason}`)
      .sort(),
    'every simulated trade is in the trade history exactly once',
  );
  assert.equal(journal.length, trades.length * 2, 'one entry and one exit order per trade');

  // The ledger has each trade's postings exactly once, and balances.
  const book = readBook(outputDir, 'paper');
  const keys = book.map((e) => e.entryKey);
  assert.equal(new Set(keys).size, keys.length, 'a ledger entry was posted twice');
  for (const t of trades) assert.ok(book.some((e) => e.meta.tradeId === t.tradeId), `trade ${t.tradeId} is in the ledger`);
  assert.deepEqual(bookProblems(book, 'paper'), []);
  assert.ok(!fs.existsSync(path.join(outputDir, 'ledgers', 'tbot_live_ledger.jsonl')), 'TEST_MODE never writes the live book');
});
