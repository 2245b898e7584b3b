import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { createAuditActivities } from '../../activities/auditActivities';
import { readBook } from '../../activities/ledger/ledgerStore';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig } from '../../domain/config/envSchema';
import { PAPER_CHART } from '../../domain/ledger/chartOfAccounts';
import { buildTradePostings } from '../../domain/ledger/postings';
import { connectTestTemporal, uniqueTaskQueue } from '../helpers/temporalTestServer';
import { makeTrade } from './ledgerFixtures';
import { chartFor, startFakeManager } from './managerFakeServer';
import type { postTradesWorkflow } from './ledgerRetryWorkflows';

void test('on the real dev server: activities that crash after writing are retried, and the book and Manager.io get each entry exactly once', { skip: !process.env.TEMPORAL_TEST_ADDRESS && 'needs npm test (dev server)' }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tbot-ledger-retry-'));
  const outputDir = path.join(root, 'output');
  const manager = await startFakeManager({ accounts: chartFor(PAPER_CHART.map((a) => a.name)), pageSize: 7 });
  manager.dropAfterCreate = 2;
  const env = { ...defaultEnvConfig(), MANAGER_API_URL: manager.baseUrl, MANAGER_API_TOKEN: manager.token };
  const real = createAuditActivities({ outputDir, backupsDir: path.join(root, 'backups'), env, bot: defaultBotConfig() });
  let attempts = 0;
  const activities = {
    ...real,
    // Simulates a worker dying after the write but before reporting completion, twice per trade.
    async postTradeToLedger(input: Parameters<typeof real.postTradeToLedger>[0]) {
      attempts += 1;
      const r = await real.postTradeToLedger(input);
      if (Context.current().info.attempt < 3) throw new Error('simulated crash after the write');
      return r;
    },
  };
  const t = await connectTestTemporal();
  const taskQueue = uniqueTaskQueue('ledger-retry');
  const worker = await Worker.create({
    connection: t.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./ledgerRetryWorkflows'),
    activities,
  });
  try {
    const trades = [makeTrade({ n: 1 }), makeTrade({ n: 2, broker: 'ibkr', instrument: 'put' }), makeTrade({ n: 3, exit_price: null })];
    const results = await worker.runUntil(
      t.client.workflow.execute<typeof postTradesWorkflow>('postTradesWorkflow', {
        taskQueue,
        workflowId: `ledger-retry-${process.pid}-${Date.now()}`,
        args: [{ trades }],
      }),
    );
    assert.equal(attempts, 9, 'three attempts per trade');
    for (const r of results) {
      assert.deepEqual(r.posted, [], 'the attempt that completed found everything already posted');
      assert.ok(r.alreadyPosted.length > 0);
    }
    const expected = [...new Set(trades.flatMap((x) => buildTradePostings(x).map((e) => e.entryKey)))];
    const book = readBook(outputDir, 'paper');
    assert.deepEqual(book.map((e) => e.entryKey).sort(), expected.sort());
    // Two POSTs lost their answer and were retried: Manager.io still has each Reference once.
    const refs = manager.entries.map((e) => e.Reference);
    assert.equal(new Set(refs).size, refs.length);
    assert.deepEqual([...refs].sort(), book.map((e) => e.reference).sort());
  } finally {
    await t.close();
    await manager.close();
  }
});
