import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { tradingDayWorkflow } from '../../workflows/tradingDay';
import { checkDayOutputs, failedChecks } from '../../scripts/drill/checks';
import { startWorkerProcess, stopGently, type WorkerChild } from '../../scripts/drill/processes';
import {
  OPEN_DAY_DATE,
  OPEN_DAY_UNIVERSE,
  REPO_ROOT,
  ROOMY_OPEN_LIMITS,
  replayDayInput,
  tempOutputDir,
  testConfig,
} from '../helpers/tradingDayHarness';
import { connectTestTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporalTestServer';

/*
 * Two worker processes poll the same task queue and share the output folder, as two workers started by
 * mistake on one machine would. Temporal hands each task to one of them; whichever runs a retried order
 * activity must find the first attempt's order by client order id. The day must still place each order
 * once and record each trade once.
 */

const UNIVERSE = OPEN_DAY_UNIVERSE.slice(0, 6);

let temporal: TestTemporal;
before(async () => {
  temporal = await connectTestTemporal();
});
after(async () => {
  await temporal.close();
});

/** Identities of the workers that ran the day's activities (the session is a child `<day>-open`). */
async function activityWorkers(workflowIds: readonly string[]): Promise<Set<string>> {
  const identities = new Set<string>();
  for (const id of workflowIds) {
    const history = await temporal.client.workflow.getHandle(id).fetchHistory();
    for (const e of history.events ?? []) {
      const identity = e.activityTaskStartedEventAttributes?.identity;
      if (identity) identities.add(identity);
    }
  }
  return identities;
}

async function runWithTwoWorkers(prefix: string, extraEnv: Record<string, string>) {
  const outputDir = tempOutputDir(prefix);
  const taskQueue = uniqueTaskQueue(prefix);
  const env = { TB_OUTPUT_DIR: outputDir, TB_TASK_QUEUE: taskQueue, TB_SYMBOLS: UNIVERSE.join(','), ...extraEnv };
  const entry = path.join(REPO_ROOT, 'tests', 'helpers', 'workerProcess.ts');
  // Worker logs (activity failure warnings under faults) go to the output folder, not the test report.
  const workers: WorkerChild[] = await Promise.all(
    [1, 2].map((n) => startWorkerProcess(entry, env, { cwd: REPO_ROOT, logFile: path.join(outputDir, `worker_${n}.log`) })),
  );
  const config = testConfig(ROOMY_OPEN_LIMITS);
  const workflowId = `test-${prefix}-${Date.now()}`;
  try {
    const summary = await temporal.client.workflow.execute(tradingDayWorkflow, {
      taskQueue,
      workflowId,
      args: [replayDayInput({ date: OPEN_DAY_DATE, config, universe: UNIVERSE, marketStart: `${OPEN_DAY_DATE}T14:28:00Z`, speed: 120 })],
    });
    assert.equal(summary.halted, false, summary.haltReason ?? '');
  } finally {
    await Promise.all(workers.map((w) => stopGently(w)));
  }
  const { checks, figures } = checkDayOutputs({ outputDir, mode: 'paper', date: OPEN_DAY_DATE, config });
  return { checks, figures, identities: await activityWorkers([workflowId, `${workflowId}-open`]) };
}

test('two workers on the same task queue run the same day: no order twice, every trade once', { timeout: 180_000 }, async () => {
  const { checks, figures, identities } = await runWithTwoWorkers('two-workers', {});
  assert.deepEqual(failedChecks(checks), []);
  assert.ok(figures.trades > 0 && figures.orders === figures.trades * 2, `one entry and one exit per trade: ${JSON.stringify(figures)}`);
  assert.equal(figures.duplicateOrders, 0);
  assert.ok(identities.size === 2, `both workers ran activities: ${[...identities].join(', ')}`);
});

/*
 * Found by this test: the simulated broker used to load its journal once per process, so a retry on the
 * other worker did not see an order whose answer was lost and submitted it again. It now re-reads the
 * journal for an unknown client order id and submits under a cross-process lock, as one shared service.
 */
test('two workers and dropped broker answers: a retry on the other worker still finds the order', {
  timeout: 180_000,
}, async () => {
  // 30% of broker calls fail (a quarter of order submits lose their answer after the order was placed),
  // so retries often land on the worker that did not place the order.
  const { checks, figures, identities } = await runWithTwoWorkers('two-workers-faults', { TB_FAULT_RATE: '0.3', TB_FAULT_SEED: '5' });
  assert.deepEqual(failedChecks(checks), []);
  assert.equal(figures.duplicateOrders, 0);
  assert.ok(figures.trades > 0);
  assert.ok(identities.size === 2, `both workers ran activities: ${[...identities].join(', ')}`);
});
